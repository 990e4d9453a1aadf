"""When a digest goes out: its cron expression read in the newsroom's time zone.

For the sending stage's timed jobs; the expression was already validated with the config.
"""

from __future__ import annotations

from nashra.config import Settings
from nashra.config.digests import DigestSettings
from nashra.jobs import Cron


def digest_schedule(settings: Settings, digest: DigestSettings) -> Cron:
    return Cron(digest.schedule, settings.site.zone)


def job_id(digest: DigestSettings) -> str:
    """Stable id for logs and `status` ("digest:daily")."""
    return f"digest:{digest.name}"
