"""The excerpt under a headline: the article's own summary, or the first real paragraph, shortened.

Shortening is `nashra.text.truncate` (grapheme-safe, word boundary, balanced quotes and brackets);
this module only decides *which* text to shorten.
"""

from __future__ import annotations

import regex

from nashra.model import Article
from nashra.text import clean_text, first_paragraph, graphemes, html_to_text, truncate

_LOOKS_LIKE_HTML = regex.compile(r"<(?:[a-zA-Z][a-zA-Z0-9]*[\s/>]|/[a-zA-Z]|!--)")


def _plain(text: str) -> str:
    """Leads from WordPress arrive as HTML ("<p>…</p>"), from Markdown front matter as text."""
    if _LOOKS_LIKE_HTML.search(text):
        text = html_to_text(text)
    return clean_text(text)


def teaser_text(article: Article, length: int) -> str:
    """Lead when present, else the first prose paragraph of the body (never a heading, quote or caption)."""
    source = _plain(article.lead) if article.lead.strip() else ""
    if not source and article.body_html:
        source = clean_text(first_paragraph(article.body_html) or "")
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
