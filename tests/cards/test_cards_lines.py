"""Title lines: broken between words, balanced, and shortened at a word with an ellipsis.

Measured here in code points (one unit each) so every expectation can be counted by hand; the card
measures shaped widths through the same functions.
"""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from nashra.cards.lines import ELLIPSIS, balanced_lines, fit_lines, is_whole
from nashra.text import graphemes

TITLE = "الحكومة تعلن خطة وطنية لتحلية مياه البحر في المدن الساحلية"


def width(text: str) -> float:
    return len(text)


def test_lines_break_between_words_and_keep_every_word() -> None:
    lines = fit_lines(TITLE, 20, 5, width)
    assert lines == ["الحكومة تعلن خطة", "وطنية لتحلية مياه", "البحر في المدن", "الساحلية"]
    assert all(len(line) <= 20 for line in lines)
    assert is_whole(lines, TITLE)


def test_a_title_longer_than_its_lines_is_cut_at_a_word_with_an_ellipsis() -> None:
    lines = fit_lines(TITLE, 20, 2, width)
    assert lines == ["الحكومة تعلن خطة", "وطنية لتحلية مياه" + ELLIPSIS]
    assert not is_whole(lines, TITLE)


def test_no_trailing_punctuation_before_the_ellipsis_and_no_quote_left_open() -> None:
    assert fit_lines("الوزير: «سنرفع الأجور في الخريف»", 14, 1, width) == ["الوزير" + ELLIPSIS]
    assert fit_lines("أمطار غزيرة، وفيضانات في الجنوب", 14, 1, width) == ["أمطار غزيرة" + ELLIPSIS]


def test_a_word_wider_than_a_line_is_cut_between_letters_never_inside_one() -> None:
    word = "الاستراتيجيّةُ"  # shadda and damma on the last letters
    lines = fit_lines(f"{word} الجديدة", 13, 3, width)
    assert len(lines) == 1 and lines[0].endswith(ELLIPSIS)
    kept = lines[0].removesuffix(ELLIPSIS)
    assert word.startswith(kept) and graphemes(word)[: len(graphemes(kept))] == graphemes(kept)


def test_balanced_lines_are_about_equally_long() -> None:
    title = "ارتفاع أسعار زيت الزيتون مع بداية موسم الجني"
    assert fit_lines(title, 30, 3, width) == ["ارتفاع أسعار زيت الزيتون مع", "بداية موسم الجني"]
    assert balanced_lines(title, 30, 3, width) == ["ارتفاع أسعار زيت الزيتون", "مع بداية موسم الجني"]


def test_a_shortened_title_keeps_its_full_lines() -> None:
    assert balanced_lines(TITLE, 20, 2, width) == fit_lines(TITLE, 20, 2, width)


words = st.lists(
    st.text(alphabet="ابتثجحخدذرزسشصضطظعغفقكلمنهوي", min_size=1, max_size=12), min_size=1, max_size=30
)


@given(words, st.integers(min_value=12, max_value=60), st.integers(min_value=1, max_value=5))
def test_lines_never_overflow_and_hold_the_title_in_order(
    title_words: list[str], line_width: int, max_lines: int
) -> None:
    title = " ".join(title_words)
    lines = balanced_lines(title, line_width, max_lines, width)
    assert 1 <= len(lines) <= max_lines
    assert all(len(line) <= line_width for line in lines)
    if is_whole(lines, title):
        return
    assert lines[-1].endswith(ELLIPSIS)
    kept = " ".join(lines).removesuffix(ELLIPSIS)
    assert title.startswith(kept)
    last_line_start = len(" ".join(lines[:-1])) + bool(lines[:-1])
    first_word = title[last_line_start:].split()[0]
    if len(first_word + ELLIPSIS) <= line_width:  # a cut inside a word only when no word fits
        assert title[len(kept)] == " "
