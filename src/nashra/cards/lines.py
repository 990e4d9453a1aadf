"""A title broken into the lines a card has room for, shortened only when it must be.

Widths are whatever the caller's `measure` says — on a card, the width the font draws the line at
once shaped, which for Arabic is not the sum of its letters' widths. Lines break between words;
a title that does not fit is cut on its last line by `nashra.text.truncate`, which prefers a word
boundary, never parts a letter from its harakat and leaves no quote or bracket open.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from nashra.text.truncate import truncate

Measure = Callable[[str], float]
ELLIPSIS = "…"


def fit_lines(text: str, width: float, max_lines: int, measure: Measure) -> list[str]:
    """`text` in at most `max_lines` lines no wider than `width`, filled greedily word by word.

    What does not fit is dropped from the last line on, which then ends in an ellipsis; a single
    word wider than a line ends the text there, cut between letters. The caller tells a whole
    title from a shortened one by comparing words (`is_whole`).
    """
    if max_lines < 1:
        raise ValueError(f"max_lines must be >= 1, got {max_lines}")
    words = text.split()
    lines: list[str] = []
    start = 0
    while start < len(words) and len(lines) < max_lines - 1:
        end = start + 1
        if measure(words[start]) > width:
            break
        while end < len(words) and measure(" ".join(words[start : end + 1])) <= width:
            end += 1
        lines.append(" ".join(words[start:end]))
        start = end
    if start < len(words):
        rest = " ".join(words[start:])
        last = truncate(rest, math.floor(width), measure=lambda s: math.ceil(measure(s)), ellipsis=ELLIPSIS)
        if last:
            lines.append(last)
    return lines


def balanced_lines(text: str, width: float, max_lines: int, measure: Measure) -> list[str]:
    """`fit_lines`, but a whole text is wrapped at the narrowest width that keeps its number of lines:
    the lines come out about equally long, and the last is no lone word under a full block.

    A text cut short keeps its full lines: it needs all the room there is.
    """
    lines = fit_lines(text, width, max_lines, measure)
    if len(lines) < 2 or not is_whole(lines, text):
        return lines
    # Greedy wrapping never needs more lines at a greater width, so the narrowest width is found by
    # bisection between one that is too narrow (0) and one that fits (`width`).
    too_narrow, fits = 0, math.floor(width)
    while fits - too_narrow > 1:
        middle = (too_narrow + fits) // 2
        if is_whole(fit_lines(text, middle, len(lines), measure), text):
            fits = middle
        else:
            too_narrow = middle
    return fit_lines(text, fits, len(lines), measure)


def is_whole(lines: Sequence[str], text: str) -> bool:
    """Whether `lines` hold every word of `text`, none cut."""
    return " ".join(lines).split() == text.split()
