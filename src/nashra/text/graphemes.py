"""Grapheme clusters: the unit a reader (and Bluesky) sees as one character.

Code points are the wrong unit for Arabic and emoji: a letter with shadda and
fatha is three code points, a family emoji is seven, a flag is two. Cutting or
counting by code point splits them; cutting by extended grapheme cluster does not.
"""

import re

import regex

_CLUSTER = regex.compile(r"\X")
# Every code point that can share a cluster with a neighbour under UAX #29: CR (before LF),
# marks and joiners (Extend, ZWJ, SpacingMark; harakat are Extend), Prepend, regional
# indicators and Hangul jamo and syllables. Text without any of them (unvowelled Arabic, Latin,
# digits, most lone emoji) is one cluster per code point, and segmenting it is only `list`.
# Taken from the same regex module as \X, so both agree on the Unicode version.
_JOINS_A_NEIGHBOUR = regex.compile(
    r"[\r\p{GCB=Extend}\p{GCB=ZWJ}\p{GCB=SpacingMark}\p{GCB=Prepend}\p{GCB=Regional_Indicator}"
    r"\p{GCB=L}\p{GCB=V}\p{GCB=T}\p{GCB=LV}\p{GCB=LVT}]"
)
# The same two questions for most news text, answered by the much faster `re`: code points that
# are each a cluster (ASCII but CR, Latin, Greek, Cyrillic letters, Arabic letters, digits and
# punctuation, general punctuation), and the harakat, which join the code point before them
# unless it is a control (tab, newline, soft hyphen): those are left out of the harakat path.
# tests/text/test_text_graphemes.py checks every one of them against the regex module's \X.
_LETTER_CLASS = (
    "\x20-\x7e\xa0-\xac\xae-\u02ff\u0370-\u0482\u048a-\u0590\u060c\u061b\u061f"
    "\u0621-\u064a\u0660-\u066f\u0671-\u06d5\u2010-\u2027\u2030-\u205e"
)
CONTROL_CLASS = "\t\n\xad"
_SIMPLE_CLASS = CONTROL_CLASS + _LETTER_CLASS
HARAKAT_CLASS = "\u064b-\u065f\u0670"
_ALL_SIMPLE = re.compile(f"[{_SIMPLE_CLASS}]*")
_SIMPLE_OR_HARAKAT = re.compile(f"[{_LETTER_CLASS}{HARAKAT_CLASS}]*")
_HARAKAT_RUN = re.compile(f"[{HARAKAT_CLASS}]+")


def is_simple(s: str) -> bool:
    """Whether every code point of `s` is a cluster of its own (no mark, joiner, flag or jamo)."""
    return _ALL_SIMPLE.fullmatch(s) is not None or _JOINS_A_NEIGHBOUR.search(s) is None


def graphemes(s: str) -> list[str]:
    """Split into extended grapheme clusters so a cut can never orphan a mark or a ZWJ part."""
    if _ALL_SIMPLE.fullmatch(s) is not None:
        return list(s)
    if _SIMPLE_OR_HARAKAT.fullmatch(s) is not None:  # vowelled Arabic: letters and their harakat
        return _with_harakat(s)
    return list(s) if _JOINS_A_NEIGHBOUR.search(s) is None else _CLUSTER.findall(s)


def _with_harakat(s: str) -> list[str]:
    """Clusters of simple code points and harakat: each run of harakat joins the code point before
    it (or is a cluster of its own at the very start). Built around the few runs, not per character."""
    clusters: list[str] = []
    position = 0
    for run in _HARAKAT_RUN.finditer(s):
        start, end = run.span()
        if start > position:  # runs are maximal, so only a run at the very start has no letter
            clusters.extend(s[position : start - 1])
            start -= 1
        clusters.append(s[start:end])
        position = end
    clusters.extend(s[position:])
    return clusters


def grapheme_len(s: str) -> int:
    """Count what a reader perceives as characters, the measure Bluesky's 300 limit uses."""
    return len(s) if is_simple(s) else len(graphemes(s))


def first_graphemes(s: str, count: int) -> list[str]:
    """The first `count` clusters of `s` (all of them if it has fewer), without segmenting the rest.

    A boundary depends only on the text before it and the code point after it, so every cluster
    of a prefix but its last is a cluster of the whole text: a prefix that yields more than
    `count` clusters has the first `count` right. A long lead cut to a 220-cluster teaser is then
    segmented over a few hundred code points, not its whole length.
    """
    if count <= 0:
        return []
    if _ALL_SIMPLE.fullmatch(s, 0, count + 1) is not None:  # those and the one after are each a cluster
        return list(s[:count])
    # Clusters of more than one code point: news text has a shadda or a fatha here and there, so a
    # quarter more code points (and a few) mostly hold `count` clusters; fully vowelled text takes
    # a pass or two more, each twice as long.
    size = count + count // 4 + 8
    while size < len(s):
        clusters = graphemes(s[:size])
        if len(clusters) > count:
            return clusters[:count]
        size *= 2
    return graphemes(s)[:count]
