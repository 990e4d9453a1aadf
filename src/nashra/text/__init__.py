"""Arabic-aware text handling: cleaning, grapheme-safe truncation, bidi, hashtags, dates, HTML, slugs.

Everything here is a pure function of its arguments, so the steps that compose
posts, feeds and digests can call it freely and tests need no fixtures.
"""

from nashra.text.bidi import (
    FSI,
    LRI,
    PDI,
    RLI,
    RLM,
    is_rtl,
    isolate_ltr_runs,
    isolate_ltr_runs_html,
    rtl_paragraph,
    strip_bidi_controls,
)
from nashra.text.clean import clean_text, clean_text_report, normalize_for_match, strip_harakat
from nashra.text.dates import format_date, format_datetime, parse_locale
from nashra.text.graphemes import grapheme_len, graphemes
from nashra.text.hashtags import hashtags
from nashra.text.html import first_paragraph, html_to_text, sanitize_html
from nashra.text.slug import slugify
from nashra.text.truncate import truncate

__all__ = [
    "FSI",
    "LRI",
    "PDI",
    "RLI",
    "RLM",
    "clean_text",
    "clean_text_report",
    "first_paragraph",
    "format_date",
    "format_datetime",
    "grapheme_len",
    "graphemes",
    "hashtags",
    "html_to_text",
    "is_rtl",
    "isolate_ltr_runs",
    "isolate_ltr_runs_html",
    "normalize_for_match",
    "parse_locale",
    "rtl_paragraph",
    "sanitize_html",
    "slugify",
    "strip_bidi_controls",
    "strip_harakat",
    "truncate",
]
