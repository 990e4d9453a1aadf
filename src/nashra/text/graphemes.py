"""Grapheme clusters: the unit a reader (and Bluesky) sees as one character.

Code points are the wrong unit for Arabic and emoji: a letter with shadda and
fatha is three code points, a family emoji is seven, a flag is two. Cutting or
counting by code point splits them; cutting by extended grapheme cluster does not.
"""

import regex

_CLUSTER = regex.compile(r"\X")


def graphemes(s: str) -> list[str]:
    """Split into extended grapheme clusters so a cut can never orphan a mark or a ZWJ part."""
    return _CLUSTER.findall(s)


def grapheme_len(s: str) -> int:
    """Count what a reader perceives as characters, the measure Bluesky's 300 limit uses."""
    return len(graphemes(s))
