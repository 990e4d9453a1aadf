"""Subject line and preheader from the digest's one-line templates.

Mail clients show the subject and the inbox snippet in their own (often left-to-right) UI, where
a Latin name or a number inside Arabic can jump to the wrong end, and a subject opening with a
Latin word would be laid out left to right; each such run is wrapped in LRI…PDI.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

from nashra.text import clean_text, isolate_ltr_runs
from nashra.text.excerpt import shorten
from nashra.text.graphemes import first_graphemes
from nashra.text.truncate import truncate_clusters

PREHEADER_LIMIT = 140
# Code points of the rendered preheader cleaned first: far more than hold the clusters the cut reads.
_ENOUGH = 2 * (PREHEADER_LIMIT + 2)


def render_subject(source: str, context: Mapping[str, Any], *, where: str | Callable[[], str]) -> str:
    from nashra.digest.templating import render_string

    return isolate_ltr_runs(clean_text(render_string(source, context, name=where)))


def render_preheader(source: str, context: Mapping[str, Any], *, where: str | Callable[[], str]) -> str:
    """Inbox snippet text: short, so clients do not pad it with the email's first lines."""
    from nashra.digest.templating import render_string

    return preheader_text(render_string(source, context, name=where))


@lru_cache(maxsize=64)
def preheader_text(rendered: str) -> str:
    """Once per issue: its preview and the issue sent after it join the same titles.

    The default preheader joins every title of the issue, of which the cut keeps 140 clusters,
    so only a start of it is cleaned, cut before a space: cleaning goes character by character,
    never removes a space and never joins or composes across one, so the start cleaned is the
    start of the text cleaned. When it holds more clusters than `shorten` reads, the cut is the
    same (tests/digest/test_digest_subject.py).
    """
    wanted = PREHEADER_LIMIT + 1  # what `shorten` reads
    cut = rendered.find(" ", _ENOUGH)
    if cut >= 0:
        clusters = first_graphemes(clean_text(rendered[:cut]), wanted + 1)
        if len(clusters) > wanted:
            return isolate_ltr_runs(truncate_clusters(clusters[:wanted], PREHEADER_LIMIT))
    return isolate_ltr_runs(shorten(clean_text(rendered), PREHEADER_LIMIT))
