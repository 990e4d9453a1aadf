"""Previews for operators (CLI and web): what would be sent now, with working generic links.

Nothing is recorded: previewing never changes what the next real issue contains.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from nashra.digest.archive import public_copy
from nashra.digest.prepare import find_digest, prepare_digest
from nashra.digest.render import RenderedDigest
from nashra.runtime import Runtime


def preview(runtime: Runtime, name: str | None, *, now: datetime | None = None) -> RenderedDigest | None:
    """The rendered digest with placeholders replaced by the generic subscription page, or None."""
    digest = find_digest(runtime.settings, name)
    rendered = prepare_digest(runtime, digest, now=now)
    if rendered is None:
        return None
    settings = runtime.settings
    return replace(
        rendered,
        html=public_copy(settings, rendered.html, digest),
        text=public_copy(settings, rendered.text, digest),
    )
