"""The body is cleaned once: sanitising the already-cleaned parts without cleaning them again is
the same HTML as cleaning the whole again (checked on awkward text, not assumed)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from nashra.feeds import items as items_module
from nashra.feeds.items import ItemImage
from nashra.text import clean_text, sanitize_html

# Arabic letters and harakat, Latin with combining accents, controls, bidi controls, joiners,
# line breaks and markup: what sources send and what cleaning and NFC could treat differently
# at the seams between the parts.
ALPHABET = st.sampled_from(
    [
        *"ابتثجحخدذرزسشصضطظعغفقكلمنهوي ةىءأإآ",
        *("\u064b", "\u0651", "\u0640", "e", "\u0301", "\u0327", "A", " ", "\t", "\n", "\r\n", "\u2028"),
        *("\x00", "\x07", "\x0b", "\x85", "\u202e", "\u2066", "\u200f", "\u200b", "\u200d", "\ufeff"),
        *("<p>", "</p>", "<b>", "<a href='/x'>", "</a>", "&amp;", "<script>", "<", ">", "&"),
    ]
)
TEXT = st.lists(ALPHABET, max_size=40).map("".join)


@settings(max_examples=400, deadline=None)
@given(body=TEXT, lead=TEXT, caption=TEXT, with_image=st.booleans())
def test_the_joined_cleaned_parts_are_already_clean(
    body: str, lead: str, caption: str, with_image: bool
) -> None:
    """So `sanitize_html(..., cleaned=True)` gives what cleaning the whole again gave before."""
    base = "https://news.example.org/1"
    cleaned_caption = clean_text(caption)
    image = ItemImage(base + ".jpg", cleaned_caption, cleaned_caption, None, None) if with_image else None
    joined: list[str] = []

    def sanitize(html: str, *, base_url: str | None = None, cleaned: bool = False) -> str:
        joined.append(html)
        return sanitize_html(html, base_url=base_url, cleaned=cleaned)

    original = items_module.sanitize_html
    items_module.sanitize_html = sanitize  # type: ignore[assignment]
    try:
        once = items_module._content(clean_text(body, keep_newlines=True), clean_text(lead), image, base)
    finally:
        items_module.sanitize_html = original  # type: ignore[assignment]
    assert clean_text(joined[0], keep_newlines=True) == joined[0]
    assert once == sanitize_html(joined[0], base_url=base)
