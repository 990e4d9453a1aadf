"""The excerpt under a headline: the article's own summary, or the first real paragraph, shortened.

Shortening is `nashra.text.truncate` (grapheme-safe, word boundary, balanced quotes and brackets);
this module only decides *which* text to shorten.
"""

from __future__ import annotations

from nashra.model import Article
from nashra.text import graphemes, truncate
from nashra.text.html import excerpt_source


def teaser_text(article: Article, length: int) -> str:
    """Lead when present, else the first prose paragraph of the body, else a short body's own text."""
    source = excerpt_source(article.lead, article.body_html)
    return shorten(source, length) if source else ""


def shorten(text: str, length: int) -> str:
    """`truncate` to `length` grapheme clusters, fed only the part that can matter.

    The cut depends only on the first length+1 clusters; a long paragraph (or a preheader made
    of every title) would otherwise be re-segmented at each step of truncate's bisection.
    """
    clusters = graphemes(text)
    if len(clusters) > length + 1:
        text = "".join(clusters[: length + 1])
    return truncate(text, length)
