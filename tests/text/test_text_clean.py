import re
import unicodedata

import lxml.etree
import pytest
import regex
from hypothesis import given
from hypothesis import strategies as st

from nashra.text import clean_text, clean_text_report, normalize_for_match, strip_harakat
from nashra.text.clean import _NOTHING_TO_REMOVE, _REMOVED, HORIZONTAL_SPACE_CLASS


def test_controls_and_bidi_marks_are_removed_and_counted() -> None:
    dirty = "\u202bالبرلمان\u202c\x00 يصادق\u200f على\x1b الميزانية\x85\ud800\ufffe"
    text, removed = clean_text_report(dirty)
    assert text == "البرلمان يصادق على الميزانية"
    # \u202b \u202c \x00 \u200f \x1b \ud800 \ufffe; NEL is whitespace, not counted
    assert removed == 7


def test_whitespace_collapses_to_single_spaces_by_default() -> None:
    assert clean_text("  أسعار\t\tالنفط\n\nترتفع\u00a0اليوم  ") == "أسعار النفط ترتفع اليوم"


def test_keep_newlines_keeps_tabs_and_normalises_line_breaks() -> None:
    text = "السطر الأول  \r\nالسطر\tالثاني\rالثالث\u2028الرابع\x07"
    assert clean_text(text, keep_newlines=True) == "السطر الأول \nالسطر\tالثاني\nالثالث\nالرابع"


def test_output_is_nfc() -> None:
    decomposed = unicodedata.normalize("NFD", "أمطار غزيرة في آفلو")
    assert decomposed != "أمطار غزيرة في آفلو"
    assert clean_text(decomposed) == "أمطار غزيرة في آفلو"


def test_removal_happens_before_composition() -> None:
    # A stray control between alef and hamza-above must not keep them apart.
    assert clean_text("ا\x00\u0654") == "أ"


def test_report_count_excludes_whitespace_collapsing() -> None:
    assert clean_text_report("  كلمة   كلمة  ") == ("كلمة كلمة", 0)


@given(st.text())
def test_any_string_becomes_safe_for_lxml(s: str) -> None:
    element = lxml.etree.Element("title")
    for keep_newlines in (False, True):
        cleaned = clean_text(s, keep_newlines=keep_newlines)
        element.text = cleaned  # raises ValueError on XML-incompatible characters
        assert cleaned == cleaned.strip()
        assert not any(
            c in cleaned for c in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
        )
        if not keep_newlines:
            assert "\n" not in cleaned and "\t" not in cleaned and "  " not in cleaned


def test_strip_harakat_removes_marks_and_tatweel_but_keeps_hamza() -> None:
    assert strip_harakat("مُـحَـمَّدٌ") == "محمد"
    assert strip_harakat("الْقُرْآنِ") == "القرآن"
    # Decomposed hamza/madda live in the harakat block; they must survive.
    assert strip_harakat(unicodedata.normalize("NFD", "أَإِآ")) == "أإآ"
    assert strip_harakat("رحمٰن") == "رحمن"


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("إعلانُ نتائجِ البكالوريا", "اعلان نتائج البكالوريا"),
        ("«المدرسة» الأولى؟", "المدرسه الاولي"),
        ("رئيـــس الحكومة، يستقبل سفير مؤسسة", "رئيس الحكومه يستقبل سفير موسسه"),
        ("موسم ٢٠٢٥ — الأول", "موسم 2025 الاول"),
        ("Sommet d'Alger : COP ۳۰", "sommet d alger cop 30"),
        ("مسائل\u200cجديدة", "مسايلجديده"),
    ],
)
def test_normalize_for_match_unifies_spelling_variants(first: str, second: str) -> None:
    assert normalize_for_match(first) == normalize_for_match(second)


def test_normalize_for_match_keeps_different_words_apart() -> None:
    assert normalize_for_match("مدينة الجزائر") != normalize_for_match("مدينة وهران")
    assert normalize_for_match("الدورة 2024") != normalize_for_match("الدورة 2025")


def test_normalize_for_match_exact_output() -> None:
    assert normalize_for_match("  آفاقُ  الاقتصادِ: ٢٠٢٦!  ") == "افاق الاقتصاد 2026"
    assert normalize_for_match("ﻻ") == "لا"  # presentation form via NFKC


def test_whitespace_collapsing_matches_unicode_white_space() -> None:
    """clean_text collapses with str.split(); after removal that must equal \\p{White_Space}."""
    import sys

    import regex

    white = regex.compile(r"\p{White_Space}")
    for code in range(sys.maxunicode + 1):
        char = chr(code)
        cleaned = clean_text(f"a{char}b")
        if white.match(char):
            assert cleaned == "a b", hex(code)
        else:
            assert " " not in cleaned, hex(code)


def test_invisible_spaces_are_removed_but_joiners_stay() -> None:
    # U+200B (zero-width space), U+2060 (word joiner) and a BOM inside text are invisible noise that
    # splits words for search and hashtags; ZWNJ/ZWJ shape Persian words and emoji sequences.
    text, removed = clean_text_report("\ufeffكلمة\u200b أخرى\u2060 وثالثة\ufeff")
    assert (text, removed) == ("كلمة أخرى وثالثة", 4)
    assert clean_text("می\u200cخواهم 👩\u200d💻", keep_newlines=True) == "می\u200cخواهم 👩\u200d💻"


def test_the_quick_check_never_skips_a_character_that_must_go() -> None:
    every_code_point = "".join(map(chr, range(0x110000)))
    kept = "".join(_NOTHING_TO_REMOVE.findall(every_code_point))
    assert len(kept) > 60_000
    assert _REMOVED.search(kept) is None


def test_horizontal_space_is_white_space_but_newline_and_tab() -> None:
    every_code_point = "".join(map(chr, range(0x110000)))
    expected = regex.findall(r"[\p{White_Space}--[\n\t]]", every_code_point, flags=regex.VERSION1)
    assert re.findall(f"[{HORIZONTAL_SPACE_CLASS}]", every_code_point) == expected


_SPACES = st.lists(
    st.sampled_from(["\r\n", "\r", "\n", " ", "  ", "\t", "\xa0", "\u2028", "\x85", "\v", "ب", "a"])
)


@given(_SPACES.map("".join))
def test_line_breaks_and_spaces_collapse_as_with_the_full_patterns(text: str) -> None:
    breaks = regex.sub(r"\r\n|[\r\n\v\f\x85\u2028\u2029]", "\n", text)
    expected = regex.sub(r"[\p{White_Space}--[\n\t]]+", " ", breaks, flags=regex.VERSION1).strip()
    assert clean_text(text, keep_newlines=True) == expected
