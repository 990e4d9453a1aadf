"""Keep the HTML under Gmail's clipping limit (~102 KB) by dropping teasers from the end.

A clipped email hides the footer (and with it the unsubscribe link) behind "[Message clipped]";
a shorter digest with a "more on the site" link is better for readers and for deliverability.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from nashra.digest.compose import Composition
from nashra.logs import event

log = logging.getLogger(__name__)

GMAIL_CLIP_BYTES = 102_000  # "about 102 KB": the conservative reading


def html_bytes(html: str) -> int:
    return len(html.encode("utf-8"))


def fit_to_budget(
    composition: Composition, render: Callable[[Composition], str], budget: int
) -> tuple[Composition, str]:
    """The fullest version of `composition` whose rendered HTML fits `budget` bytes, and that HTML.

    Size grows with each teaser, so the number of teasers kept is found by bisection: a handful of
    renders (about 1 ms each with mjml-python) even for a long digest. The lead always stays; if
    the lead alone is over budget the template itself is too heavy, which is logged, not hidden.
    """
    html = render(composition)
    if html_bytes(html) <= budget:
        return composition, html
    low, high = 0, composition.section_teaser_count - 1
    best: tuple[Composition, str] | None = None
    while low <= high:
        middle = (low + high) // 2
        candidate = composition.keep(middle)
        candidate_html = render(candidate)
        if html_bytes(candidate_html) <= budget:
            best = (candidate, candidate_html)
            low = middle + 1
        else:
            high = middle - 1
    if best is None:
        smallest = composition.keep(0)
        best = (smallest, render(smallest))
        event(log, "digest.over_budget", level=logging.WARNING, bytes=html_bytes(best[1]), budget=budget)
    return best
