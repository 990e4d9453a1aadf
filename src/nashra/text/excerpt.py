"""Excerpts: the text under a headline, cut to a length without breaking a letter or a quotation.

Which text is `excerpt_source` (`nashra.text.html`); the cut is `truncate`. Here only the two meet,
so the digest's teasers, its preheader and the stored article forms cut the same way.
"""

from __future__ import annotations

from nashra.text.graphemes import first_graphemes
from nashra.text.truncate import truncate_clusters


def shorten(text: str, length: int) -> str:
    """`truncate` to `length` grapheme clusters, fed only the first length+1 clusters.

    Only those are segmented, once, however long the paragraph (or a preheader made of every
    title): a digest's excerpts cost the same for a one-line lead and for a whole body stored as one.
    """
    return truncate_clusters(first_graphemes(text, length + 1), length)


def teaser_excerpt(source: str, length: int) -> str:
    """The excerpt of `length` clusters cut from `source` (an `excerpt_source`); "" when there is none."""
    return shorten(source, length) if source else ""
