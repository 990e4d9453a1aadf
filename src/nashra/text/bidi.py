"""Bidirectional text helpers for Arabic posts that quote Latin names and numbers.

In a right-to-left paragraph, the Unicode Bidirectional Algorithm lets neutral
characters around an embedded Latin run or number (spaces, punctuation, a
trailing slash of a URL) take the wrong side, so "Macron," or "10:30" can render
scrambled. Wrapping such a run in LRI…PDI makes it one opaque left-to-right unit.
Isolates are not free (X weighs each control as 2), so only the runs that need
them are wrapped.
"""

import unicodedata

import regex

LRI = "\u2066"
RLI = "\u2067"
FSI = "\u2068"
PDI = "\u2069"

_ISOLATE_INITIATORS = frozenset((LRI, RLI, FSI))

#: Explicit embeddings/overrides/isolates and the implicit marks LRM, RLM, ALM.
#: Shared with ``clean`` so both modules agree on what a bidi control is.
BIDI_CONTROL_CLASS = "\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c"
_BIDI_CONTROLS = regex.compile(f"[{BIDI_CONTROL_CLASS}]")

# One LTR atom: a URL (taken up to whitespace, then trailing punctuation given
# back to the sentence), a Latin-script word (internal apostrophes, hyphens,
# dots and ampersands kept: "l'Algérie", "Jean-Luc", "U.S", "AT&T"), or an
# ASCII number with its separators ("10:30", "1,500.25", "13/06/2025", "20%")
# and a sign when one starts a word ("-5", "+213"), which would otherwise be
# drawn on the wrong side; in "كوفيد-19" the hyphen is not a sign.
_URL = r"(?:https?://|www\.)[^\s<>\"«»]*[^\s<>\"«».,:;!?،؛؟)\]}]"
_WORD = r"\p{Bidi_Class=L}[\p{Bidi_Class=L}\p{M}0-9]*(?:['’\-.&_][\p{Bidi_Class=L}0-9][\p{Bidi_Class=L}\p{M}0-9]*)*"
_NUMBER = r"(?:(?<=^|[\s(\[«])[+\-−])?[0-9]+(?:[.,:/\-][0-9]+)*%?"
_ATOM = f"(?:{_URL}|{_WORD}|{_NUMBER})"
# Atoms separated only by spaces or ASCII neutral punctuation form a single run,
# so "Emmanuel Macron" costs one isolate, not two. Arabic punctuation (، ؛ ؟)
# ends a run: it belongs to the surrounding sentence.
_JOINER = r"(?:[ \t]*[,.:;&/+\-–—][ \t]*|[ \t]+)"
_LTR_RUN = regex.compile(f"{_ATOM}(?:{_JOINER}{_ATOM})*")


def strip_bidi_controls(text: str) -> str:
    """Remove explicit bidi controls and LRM/RLM/ALM, e.g. before re-isolating or counting."""
    return _BIDI_CONTROLS.sub("", text)


def _first_strong(text: str) -> tuple[int, str | None]:
    """Find the first strong character the way UAX #9 (P2) does: isolated content is skipped."""
    depth = 0
    for index, char in enumerate(text):
        if char in _ISOLATE_INITIATORS:
            depth += 1
        elif char == PDI:
            depth = max(depth - 1, 0)
        elif depth == 0:
            klass = unicodedata.bidirectional(char)
            if klass in ("L", "R", "AL"):
                return index, klass
    return -1, None


def is_rtl(text: str) -> bool:
    """Tell whether a renderer using dir=auto would lay this text out right-to-left."""
    return _first_strong(text)[1] in ("R", "AL")


def _unisolated_spans(text: str) -> list[tuple[int, int]]:
    """Spans outside existing isolates, so already isolated runs are never wrapped twice."""
    spans: list[tuple[int, int]] = []
    depth = 0
    start = 0
    for index, char in enumerate(text):
        if char in _ISOLATE_INITIATORS:
            if depth == 0:
                spans.append((start, index))
            depth += 1
        elif char == PDI and depth > 0:
            depth -= 1
            if depth == 0:
                start = index + 1
    if depth == 0:
        spans.append((start, len(text)))
    return spans


def isolate_ltr_runs(text: str) -> str:
    """Wrap each LTR run (Latin words, ASCII numbers, URLs) of an RTL text in LRI…PDI.

    Rule chosen for where an isolate is needed: a run is wrapped when it comes
    after the first strong RTL character, including a run that ends the text.
    A run at the very end renders correctly on its own, but whether it stays
    at the end is decided later, when the post is composed (hashtags, a URL
    line or a signature get appended), and an unwrapped run then captures the
    neutrals that follow it. Numbers *before* the first Arabic letter are left
    alone: nothing strong precedes them, so they sit at the paragraph start in
    logical order whatever follows, and an isolate would only cost 2 on X.

    LTR texts are returned unchanged, and content already inside an isolate is
    left untouched. Run this after ``clean_text``, which strips bidi controls.
    """
    first_index, klass = _first_strong(text)
    if klass not in ("R", "AL"):
        return text
    pieces: list[str] = []
    position = 0
    for span_start, span_end in _unisolated_spans(text):
        for match in _LTR_RUN.finditer(text, span_start, span_end):
            if match.start() < first_index:
                continue
            pieces.append(text[position : match.start()])
            pieces.append(f"{LRI}{match.group()}{PDI}")
            position = match.end()
    pieces.append(text[position:])
    return "".join(pieces)
