"""Subject line and preheader from the digest's one-line templates.

Mail clients show the subject and the inbox snippet in their own (often left-to-right) UI, where
a Latin name or a number inside Arabic can jump to the wrong end, and a subject opening with a
Latin word would be laid out left to right; each such run is wrapped in LRI…PDI.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from nashra.text import clean_text, isolate_ltr_runs
from nashra.text.excerpt import shorten

PREHEADER_LIMIT = 140


def render_subject(source: str, context: Mapping[str, Any], *, where: str) -> str:
    from nashra.digest.templating import render_string

    return isolate_ltr_runs(clean_text(render_string(source, context, name=where)))


def render_preheader(source: str, context: Mapping[str, Any], *, where: str) -> str:
    """Inbox snippet text: short, so clients do not pad it with the email's first lines."""
    from nashra.digest.templating import render_string

    return preheader_text(render_string(source, context, name=where))


@lru_cache(maxsize=64)
def preheader_text(rendered: str) -> str:
    """Once per issue: its preview and the issue sent after it join the same titles."""
    return isolate_ltr_runs(shorten(clean_text(rendered), PREHEADER_LIMIT))
