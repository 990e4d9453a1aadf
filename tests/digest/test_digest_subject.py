"""The preheader is cut from the cleaned start of what its template rendered: the same text as
cleaning and cutting the whole, whatever sits around the cut (controls, marks, spaces)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from nashra.digest.subject import PREHEADER_LIMIT, preheader_text
from nashra.text import clean_text, isolate_ltr_runs
from nashra.text.excerpt import shorten

_PIECES = [
    *"ابتثجحخدذرزسشصضطظعغفقكلمنهويءأإآؤئىة",
    *"\u064b\u064e\u064f\u0650\u0651\u0652\u0670",  # harakat
    *"\u200c\u200d\u2066\u2069",  # ZWNJ, ZWJ, LRI, PDI
    *"0123456789٠١٢abcXé،؛؟.,:!-«»()\"'…",
    "👨\u200d👩\u200d👧",
    "🇩🇿",
    " ",
    "  ",
    "\u00a0",
    "\u200b",
    "\u200f ",
    " \u0651",
    "\u0301",
    "\x00",
    "\x1c",
    "\r\n",
    "\t",
    " • ",
    "e",
    "كلمة",
    "مُحَمَّد",
    "BRICS 2026",
    "(1)",
]
_titles = st.lists(st.sampled_from(_PIECES), max_size=60).map("".join) | st.lists(
    st.sampled_from(_PIECES), min_size=150, max_size=400
).map("".join)


@settings(max_examples=300, deadline=None)
@given(_titles)
def test_preheader_is_the_whole_text_cleaned_and_cut(rendered: str) -> None:
    preheader_text.cache_clear()
    assert preheader_text(rendered) == isolate_ltr_runs(shorten(clean_text(rendered), PREHEADER_LIMIT))


def test_a_long_preheader_is_cleaned_only_from_its_start() -> None:
    title = "مزارعو الزيتون في سهول الشرق يستعيدون الأمل مع محصول وفير (1)"
    rendered = " • ".join([title] * 40)
    preheader_text.cache_clear()
    assert preheader_text(rendered) == isolate_ltr_runs(shorten(clean_text(rendered), PREHEADER_LIMIT))
