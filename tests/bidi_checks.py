"""What a reader's renderer decides about a finished text, checked independently of `nashra.text.bidi`.

Shared by the text, social and digest tests (a uniquely named module, not a conftest).
"""

from __future__ import annotations

import unicodedata

import regex

ISOLATE_OPENERS = frozenset("\u2066\u2067\u2068")
PDI = "\u2069"
CONTROLS = frozenset("\u2066\u2067\u2068\u2069\u200e\u200f\u061c\u202a\u202b\u202c\u202d\u202e")


def paragraph_direction(paragraph: str) -> str | None:
    """UAX #9 rules P2/P3: the class of the first L/R/AL character outside isolates, as "ltr"/"rtl"."""
    depth = 0
    for char in paragraph:
        if char in ISOLATE_OPENERS:
            depth += 1
        elif char == PDI:
            depth = max(depth - 1, 0)
        elif depth == 0:
            klass = unicodedata.bidirectional(char)
            if klass == "L":
                return "ltr"
            if klass in ("R", "AL"):
                return "rtl"
    return None


def has_arabic(text: str) -> bool:
    return any(unicodedata.bidirectional(char) == "AL" for char in text)


def isolates_balanced(text: str) -> bool:
    depth = 0
    for char in text:
        if char in ISOLATE_OPENERS:
            depth += 1
        elif char == PDI:
            depth -= 1
            if depth < 0:
                return False
    return depth == 0


def graphemes_intact(text: str) -> bool:
    """No bidi control sits inside a grapheme cluster (between a letter and its haraka, inside an
    emoji sequence): the clusters (`\\X`) around the controls are those of the text without them."""
    kept = [c for c in regex.findall(r"\X", text) if c not in CONTROLS]
    bare = "".join(ch for ch in text if ch not in CONTROLS)
    return kept == regex.findall(r"\X", bare)
