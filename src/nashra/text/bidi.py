"""Bidirectional text helpers for Arabic texts that quote Latin names and numbers.

In a right-to-left paragraph, the Unicode Bidirectional Algorithm lets neutral
characters around an embedded Latin run or number (spaces, punctuation, a
trailing slash of a URL) take the wrong side, so "Macron," or "9 May 2025" can
render scrambled ("May 2025 9"). Wrapping such a run in an isolate makes it one
opaque left-to-right unit: LRI…PDI in plain text (posts, subjects, the text
part), `<bdi dir="ltr">` in HTML (the digest and its web copy). Both come from
the one rule `ltr_run_spans`. Isolates are not free (X weighs each control as
2), so only the runs that need them are wrapped.
"""

import bisect
import re
import unicodedata
from itertools import accumulate, chain

import regex
from markupsafe import Markup

from nashra.text.graphemes import graphemes, is_simple
from nashra.text.markup import as_markup, escape_text
from nashra.text.memo import memoise_short

LRI = "\u2066"
RLI = "\u2067"
FSI = "\u2068"
PDI = "\u2069"
RLM = "\u200f"

_ISOLATE_INITIATORS = frozenset((LRI, RLI, FSI))
_ISOLATE_CONTROL = re.compile(f"[{LRI}{RLI}{FSI}{PDI}]")

#: Explicit embeddings/overrides/isolates and the implicit marks LRM, RLM, ALM.
#: Shared with ``clean`` so both modules agree on what a bidi control is.
BIDI_CONTROL_CLASS = "\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c"
_BIDI_CONTROLS = regex.compile(f"[{BIDI_CONTROL_CLASS}]")

# One LTR atom: a URL (taken up to whitespace, then trailing punctuation given
# back to the sentence), a Latin-script word (internal apostrophes, hyphens,
# dots and ampersands kept: "l'Algérie", "Jean-Luc", "U.S", "AT&T"), or an
# ASCII number with its separators ("10:30", "1,500.25", "13/06/2025", "20%")
# and a sign when one starts a word ("-5", "+213"), which would otherwise be
# drawn on the wrong side; in "كوفيد-19" the hyphen is not a sign. A word may
# start with digits ("5G", "3D", "4K"): letters and digits of one token are one
# atom, whichever comes first.
_URL = r"(?:https?://|www\.)[^\s<>\"«»]*[^\s<>\"«».,:;!?،؛؟)\]}]"
_WORD = r"[0-9]*\p{Bidi_Class=L}[\p{Bidi_Class=L}\p{M}0-9]*(?:['’\-.&_][\p{Bidi_Class=L}0-9][\p{Bidi_Class=L}\p{M}0-9]*)*"
_NUMBER = r"(?:(?<=^|[\s(\[«])[+\-−])?[0-9]+(?:[.,:/\-][0-9]+)*%?"
_ATOM = f"(?:{_URL}|{_WORD}|{_NUMBER})"
# Atoms separated only by spaces or ASCII neutral punctuation form a single run,
# so "Emmanuel Macron" costs one isolate, not two. Arabic punctuation (، ؛ ؟)
# ends a run: it belongs to the surrounding sentence.
_JOINER = r"(?:[ \t]*[,.:;&/+\-–—][ \t]*|[ \t]+)"
_LTR_RUN = regex.compile(f"{_ATOM}(?:{_JOINER}{_ATOM})*")
# A run starts with an ASCII digit, a sign or a strong left-to-right letter. Arabic text is mostly
# characters that cannot start one (Arabic letters, spaces, punctuation): `re` skips each stretch
# of those far faster than `regex` tries `_LTR_RUN` at each of their positions, so `_LTR_RUN` is
# tried only where a run may start. Taken from the `regex` module itself, over the blocks that
# Arabic texts are written with (Latin to Arabic, general punctuation); any other character is
# simply tried.
_RUN_START = regex.compile(r"[0-9+\-−\p{Bidi_Class=L}]")
_NEVER_A_RUN_START = "".join(
    c for c in map(chr, chain(range(0x700), range(0x2000, 0x2070))) if not _RUN_START.match(c)
)
_MAY_START_A_RUN = re.compile(f"[^{re.escape(_NEVER_A_RUN_START)}]")
# Most runs in Arabic news are plain numbers before an Arabic word or a closing bracket ("30 نوفمبر",
# "(2)"): ASCII digits followed, after spaces at most, by a character that can neither go on with a
# number or a word, nor join another atom, nor start one, are that run alone; `re` tells so far
# faster than `regex` matches `_LTR_RUN`, which decides every other case.
_RUN_ENDS = '\u0621-\u063a\u0641-\u064a)\\]}»«("،؛؟!?\n'
_DIGITS_RUN = re.compile(f"[0-9]+(?=[ \t]*(?:[{_RUN_ENDS}]|\\Z))")


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
    for match in _ISOLATE_CONTROL.finditer(text):  # only the controls are visited, not every character
        index = match.start()
        if match.group() != PDI:
            if depth == 0:
                spans.append((start, index))
            depth += 1
        elif depth > 0:
            depth -= 1
            if depth == 0:
                start = index + 1
    if depth == 0:
        spans.append((start, len(text)))
    return spans


# Every character of bidi class R or AL is in these blocks: Hebrew to Arabic Extended, RLM, the
# presentation forms and the right-to-left ranges of the SMP (tests/text/test_text_bidi.py checks
# every code point). Only the characters found there are asked for their class.
_MAY_BE_RTL = re.compile(
    "[\u0590-\u08ff\u200f\ufb1d-\ufdff\ufe70-\ufeff\U00010800-\U00010fff\U0001e800-\U0001efff]"
)


def _has_rtl(text: str) -> bool:
    """Whether a strong right-to-left letter stands outside every isolate (quoted Arabic does not count)."""
    for start, end in _unisolated_spans(text):
        position = start
        while found := _MAY_BE_RTL.search(text, position, end):
            if unicodedata.bidirectional(found.group()) in ("R", "AL"):
                return True
            position = found.end()
    return False


def ltr_run_spans(text: str) -> list[tuple[int, int]]:
    """The (start, end) of each LTR run (Latin words, ASCII numbers, URLs) that must be isolated.

    The one rule for every output. A text with an Arabic letter outside isolates
    is a right-to-left paragraph, whatever its first letter: every LTR run in it
    is isolated, including one that opens the text ("BRICS …"), so the first
    strong character left outside isolates is Arabic and renderers that take the
    direction from it (dir=auto, X, Mastodon, Telegram) lay it out right to
    left. A run at the very end is wrapped too: whether it stays at the end is
    decided later (hashtags, a URL line or a signature get appended), and an
    unwrapped run then captures the neutrals that follow it. Only numbers that
    come before any strong letter are left alone: they sit at the paragraph
    start in logical order whatever follows, and an isolate would cost 2 on X.

    Texts with no Arabic are left alone, and so is content already isolated.
    """
    return list(_ltr_run_spans(text))


@memoise_short(maxsize=4096)
def _ltr_run_spans(text: str) -> tuple[tuple[int, int], ...]:
    """`ltr_run_spans`, once per text: a title is isolated in the HTML, the text part and the
    subject of the same issue, and again in every issue and post that carries it."""
    if _MAY_START_A_RUN.search(text) is None or not _has_rtl(text):  # no run anywhere, or no Arabic
        return ()
    first_index, _ = _first_strong(text)
    # Cluster bounds only when a cluster can span code points (otherwise every index is one), and
    # only once a run is found: most Arabic texts have none.
    bounds: list[int] | None = None
    clustered: bool | None = None
    spans: list[tuple[int, int]] = []
    for span_start, span_end in _unisolated_spans(text):
        position = span_start
        # `_LTR_RUN.finditer(text, span_start, span_end)`, trying only where a run may start.
        while found := _MAY_START_A_RUN.search(text, position, span_end):
            position = found.start()
            match = _DIGITS_RUN.match(text, position, span_end) or _LTR_RUN.match(text, position, span_end)
            if match is None:
                position += 1
                continue
            position = match.end()
            if match.end() <= first_index:
                continue
            start, end = match.span()
            if clustered is None:
                clustered = not is_simple(text)
                bounds = list(accumulate(map(len, graphemes(text)), initial=0)) if clustered else None
            if bounds is not None:
                # Widened to whole grapheme clusters: "1️⃣" is one character to a reader, never "1" + "️⃣".
                start = bounds[bisect.bisect_right(bounds, start) - 1]
                end = bounds[bisect.bisect_left(bounds, end)]
            if spans and start <= spans[-1][1]:
                spans[-1] = (spans[-1][0], end)
            else:
                spans.append((start, end))
    return tuple(spans)


def isolate_ltr_runs(text: str) -> str:
    """Wrap each LTR run of an Arabic text in LRI…PDI (see `ltr_run_spans` for which).

    When every Arabic letter ends up inside an isolate (a URL with an Arabic path
    glued to the rest), RLM in front keeps the text right-to-left. Run this after
    ``clean_text``, which strips bidi controls.
    """
    spans = _ltr_run_spans(text)
    pieces: list[str] = []
    position = 0
    for start, end in spans:
        pieces.append(f"{text[position:start]}{LRI}{text[start:end]}{PDI}")
        position = end
    pieces.append(text[position:])
    isolated = "".join(pieces)
    return isolated if not spans or is_rtl(isolated) else RLM + isolated


def isolate_ltr_runs_html(text: str) -> Markup:
    """HTML-escape `text`, wrapping each LTR run of an Arabic text in `<bdi dir="ltr">`.

    `<bdi>` isolates in browsers; `dir="ltr"` keeps the run left-to-right in
    clients that ignore the element but honour the attribute.
    """
    pieces: list[str] = []
    position = 0
    for start, end in _ltr_run_spans(text):
        pieces += (
            escape_text(text[position:start]),
            '<bdi dir="ltr">',
            escape_text(text[start:end]),
            "</bdi>",
        )
        position = end
    pieces.append(escape_text(text[position:]))
    return as_markup("".join(pieces))


def rtl_paragraph(text: str) -> str:
    """`text`, opened with RLM when it holds Arabic but would otherwise be laid out left to right.

    For finished texts whose parts are not all isolated (a post's hashtags and
    link must stay bare): RLM is the cheapest strong RTL character (2 on X).
    """
    # Opening with a right-to-left letter (most lines) or with no strong letter at all (outside
    # isolates, so no Arabic either): nothing to add, known from the first strong letter.
    if _first_strong(text)[1] != "L":
        return text
    return RLM + text if _has_rtl(text) else text
