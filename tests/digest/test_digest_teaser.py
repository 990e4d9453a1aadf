"""Teasers: which text, and a cut that never breaks a letter, an emoji or a quotation.

The cut itself is `nashra.text.truncate` (tested in tests/text); these properties check the
teaser as a reader gets it, from an article's lead or body, after cleaning.
"""

from __future__ import annotations

import unicodedata

from digest_helpers import stored
from hypothesis import given, settings
from hypothesis import strategies as st

from nashra.forms import fresh_forms
from nashra.model import Article
from nashra.text import clean_text, grapheme_len, graphemes

LETTERS = [*"ابتثجحخدذرزسشصضطظعغفقكلمنهوي", "لا", "ة", "ى", "ء", "أ", "إ", "آ"]
MARKS = [
    "\u064e",
    "\u064f",
    "\u0650",
    "\u0651",
    "\u0652",
    "\u064b",
    "\u064c",
    "\u064d",
    "\u0651\u064e",
    "\u0670",
]
EMOJI = ["😀", "👍🏽", "👨\u200d👩\u200d👧\u200d👦", "🇩🇿", "🏳️\u200d🌈", "❤️", "🧕🏾"]
OTHER = [" ", " ", " ", "، ", ". ", "«", "»", "(", ")", "؟", "2026", "Sonatrach", "3.5", '"', "\u0640"]
OPEN_CLOSE = {"«": "»", "(": ")", "[": "]", "“": "”"}


def teaser_text(article: Article, length: int) -> str:
    """The excerpt a teaser of `length` shows (the lead, else the body's first paragraph, cut)."""
    return fresh_forms(article, length).excerpt(length).plain


@st.composite
def arabic_text(draw: st.DrawFn) -> str:
    pieces = []
    for _ in range(draw(st.integers(min_value=0, max_value=120))):
        kind = draw(st.sampled_from(["letter", "letter", "letter", "emoji", "other"]))
        if kind == "letter":
            pieces.append(draw(st.sampled_from(LETTERS)) + draw(st.sampled_from(["", "", *MARKS])))
        elif kind == "emoji":
            pieces.append(draw(st.sampled_from(EMOJI)))
        else:
            pieces.append(draw(st.sampled_from(OTHER)))
    return "".join(pieces)


def _unbalanced(text: str) -> bool:
    closers = set(OPEN_CLOSE.values())
    stack: list[str] = []
    for char in text:
        if char in OPEN_CLOSE:
            stack.append(OPEN_CLOSE[char])
        elif char in closers and stack and stack[-1] == char:
            stack.pop()
    return bool(stack)


@settings(max_examples=300, deadline=None)
@given(text=arabic_text(), length=st.integers(min_value=40, max_value=160))
def test_teaser_is_a_clean_cluster_prefix_within_the_length(text: str, length: int) -> None:
    source = clean_text(text)
    teaser = teaser_text(stored("p", lead=text, body_html="").article, length)  # the lead's cut alone
    assert grapheme_len(teaser) <= length
    if grapheme_len(source) <= length:
        assert teaser == source
        return
    assert teaser.endswith("…")
    kept = graphemes(teaser[:-1])
    # Cut between clusters: no mark torn from its letter, no emoji sequence split.
    assert kept == graphemes(source)[: len(kept)]
    if kept:
        assert not unicodedata.category(kept[-1][-1]).startswith("Z")
    # Every quote or bracket the teaser opens, it also closes.
    assert not _unbalanced(teaser)


@settings(max_examples=100, deadline=None)
@given(prefix=arabic_text(), length=st.integers(min_value=40, max_value=120))
def test_an_opened_guillemet_is_never_left_open(prefix: str, length: int) -> None:
    quoted = prefix.replace("«", "").replace("»", "") + " «" + "كلمة " * 60 + "»"
    teaser = teaser_text(stored("q", lead=quoted).article, length)
    assert teaser.count("«") == teaser.count("»")


def test_lead_wins_then_first_prose_paragraph() -> None:
    assert (
        teaser_text(stored("a", lead="<p>مقدمة <b>مهمة</b> من الووردبريس</p>").article, 200)
        == "مقدمة مهمة من الووردبريس"
    )
    body = (
        "<h2>عنوان فرعي لا يصلح مقدمة للخبر مهما كان طوله في الصفحة</h2>"
        "<figure><img src='x.png'><figcaption>تعليق على الصورة طويل بما يكفي ليبدو فقرة حقيقية</figcaption></figure>"
        "<blockquote><p>«اقتباس بارز طويل بما يكفي ليبدو فقرة حقيقية من الخبر»</p></blockquote>"
        "<p>الفقرة الأولى الحقيقية من الخبر، وفيها ما يكفي من الكلام ليكون مقدمة صالحة.</p>"
    )
    assert teaser_text(stored("b", lead="", body_html=body).article, 200) == (
        "الفقرة الأولى الحقيقية من الخبر، وفيها ما يكفي من الكلام ليكون مقدمة صالحة."
    )
    assert teaser_text(stored("c", lead="  ", body_html="<h2>عنوان فقط</h2>").article, 200) == ""


def test_a_short_body_without_lead_is_its_own_teaser() -> None:
    # Under the 40 letters first_paragraph asks of a lede, but the only text the story has.
    article = stored("short", lead="", body_html="<p>انقطاع الكهرباء\u200b في وهران.</p>").article
    assert teaser_text(article, 200) == "انقطاع الكهرباء في وهران."
