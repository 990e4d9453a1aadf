import regex
from hypothesis import example, given, settings
from hypothesis import strategies as st
from text_strategies import any_text

from nashra.text import grapheme_len, graphemes
from nashra.text.graphemes import (
    _JOINS_A_NEIGHBOUR,
    _SIMPLE_CLASS,
    CONTROL_CLASS,
    HARAKAT_CLASS,
    first_graphemes,
    is_simple,
)


def test_letter_keeps_its_harakat_in_one_cluster() -> None:
    word = "شَدَّ"  # shin+fatha, dal+shadda+fatha
    assert graphemes(word) == ["شَ", "دَّ"]
    assert grapheme_len(word) == 2


def test_emoji_sequences_are_single_clusters() -> None:
    family = "👨\u200d👩\u200d👧"
    flag = "🇩🇿"
    thumbs = "👍🏽"
    assert graphemes(f"{family}{flag}{thumbs}") == [family, flag, thumbs]


def test_crlf_is_one_cluster_and_empty_string_has_none() -> None:
    assert graphemes("أ\r\nب") == ["أ", "\r\n", "ب"]
    assert graphemes("") == []
    assert grapheme_len("") == 0


# --- fast paths, checked equal to the regex module's \X ---------------------------------------

_X = regex.compile(r"\X")
EVERY_CODE_POINT = "".join(map(chr, range(0x110000)))


@settings(max_examples=400, deadline=None)
@given(any_text, st.integers(min_value=0, max_value=90))
@example("\nَب", 2)
@example("\tَّ", 1)
@example("ب\xadَ", 3)
@example("َّبَ", 2)
def test_fast_paths_segment_exactly_like_x(text: str, count: int) -> None:
    clusters = _X.findall(text)
    assert graphemes(text) == clusters
    assert grapheme_len(text) == len(clusters)
    assert first_graphemes(text, count) == clusters[:count]
    if is_simple(text):
        assert all(len(c) == 1 for c in clusters)


def test_text_without_marks_or_joiners_is_one_cluster_per_code_point() -> None:
    # Every code point that is not a mark, joiner, Prepend, regional indicator, CR or jamo, twice
    # in a row and next to the one before: \X must give one cluster per code point.
    alone = _JOINS_A_NEIGHBOUR.sub("", EVERY_CODE_POINT)
    text = "".join(c + c for c in alone)
    assert len(_X.findall(text)) == len(text)
    assert is_simple(text)


def test_the_re_classes_agree_with_the_regex_module() -> None:
    simple = "".join(regex.findall(f"[{_SIMPLE_CLASS}]", EVERY_CODE_POINT))
    assert _JOINS_A_NEIGHBOUR.search(simple) is None
    controls = regex.findall(r"[\p{GCB=Control}\p{GCB=CR}\p{GCB=LF}]", simple)
    assert "".join(controls) == CONTROL_CLASS
    letters = "".join(c for c in simple if c not in controls)
    for mark in regex.findall(f"[{HARAKAT_CLASS}]", EVERY_CODE_POINT):
        assert regex.fullmatch(r"\p{GCB=Extend}", mark), hex(ord(mark))
        # every letter of the harakat path takes the marks that follow it
        assert len(_X.findall(mark.join(letters) + mark)) == len(letters)
