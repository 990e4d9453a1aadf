"""The excerpt under a headline: the article's own summary, or the first real paragraph, shortened.

Shortening is `nashra.text.truncate` (grapheme-safe, word boundary, balanced quotes and brackets);
this module only decides *which* text to shorten.
"""

from __future__ import annotations

from functools import lru_cache

from nashra.model import Article
from nashra.text import truncate
from nashra.text.graphemes import first_graphemes
from nashra.text.html import excerpt_source


def teaser_text(article: Article, length: int) -> str:
    """Lead when present, else the first prose paragraph of the body, else a short body's own text."""
    return _teaser(article.lead, article.body_html, length)


@lru_cache(maxsize=256)
def _teaser(lead: str, body_html: str, length: int) -> str:
    """Once per article version: a preview, the issue sent after it and the next day's digest
    show the same text, so they share one computation (keyed by the exact texts)."""
    source = excerpt_source(lead, body_html)
    return shorten(source, length) if source else ""


def shorten(text: str, length: int) -> str:
    """`truncate` to `length` grapheme clusters, fed only the first length+1 clusters.

    Only those are segmented, however long the paragraph (or a preheader made of every title):
    a digest's excerpts cost the same for a one-line lead and for a whole body stored as one.
    """
    return truncate("".join(first_graphemes(text, length + 1)), length)
