"""The excerpt under a headline: the article's own summary, or the first real paragraph, shortened.

Which text is `nashra.text.html.excerpt_source`; the cut is `nashra.text.excerpt.shorten`
(grapheme-safe, word boundary, balanced quotes and brackets). Both are worked out once per
article version, as part of its forms (`nashra.forms`).
"""

from __future__ import annotations

from nashra.forms import fresh_forms
from nashra.model import Article


def teaser_text(article: Article, length: int) -> str:
    """Lead when present, else the first prose paragraph of the body, else a short body's own text."""
    return fresh_forms(article, length).excerpt(length).plain
