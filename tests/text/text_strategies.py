"""Hypothesis strategies for the text that makes segmentation, truncation and bidi subtle.

A uniquely named module (not conftest) so `from text_strategies import ...` never picks up another
area's helpers when the whole suite runs.
"""

from __future__ import annotations

from hypothesis import strategies as st

ARABIC_LETTERS = "ابتثجحخدذرزسشصضطظعغفقكلمنهويءأإآؤئىة"
HARAKAT = "\u064b\u064c\u064d\u064e\u064f\u0650\u0651\u0652\u0670"  # tanwin, vowels, shadda, sukun
JOINERS = "\u200c\u200d"  # ZWNJ (Persian words), ZWJ (emoji sequences)
PIECES = [
    *ARABIC_LETTERS,
    *HARAKAT,
    *JOINERS,
    *"0123456789٠١٢٣٤٥٦٧٨٩",
    *"abcXYZé",
    *" \t\n\r،؛؟.,:;!?-–«»()[]\"'…",
    "ـ",  # tatweel
    "\xad",  # soft hyphen: a control, which a mark after it does not join
    "\u2066",
    "\u2067",
    "\u2068",
    "\u2069",  # isolates
    "\u200f",  # RLM
    "\u0600",  # Arabic number sign: a Prepend character
    "\u06dd",  # end of ayah: Prepend too
    "\u0653",  # madda above: a mark outside the harakat class
    "👨",
    "👩",
    "👧",
    "👍",
    "🏽",  # skin tone: an Extend character
    "🇩",
    "🇿",  # regional indicators: flags
    "❤",
    "\ufe0f",  # variation selector
    "\u20e3",  # keycap
    "क",
    "्",
    "ष",  # Devanagari consonant, virama, consonant: one cluster in Unicode 15.1
    "한",
    "\u1100",
    "\u1161",  # Hangul syllable and jamo
    "Macron",
    "2026",
    "https://nashra.example/a?x=1",
]

news_text = st.lists(st.sampled_from(PIECES), max_size=80).map("".join)
"""Arabic with and without harakat, ZWJ/ZWNJ, emoji, Latin and number runs, and the odd cases."""

any_text = st.one_of(news_text, st.text(max_size=60))
