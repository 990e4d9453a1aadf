"""When a digest goes out: its cron expression read in the newsroom's time zone.

For the sending stage's timed jobs; the expression was already validated with the config.
Weekdays follow standard cron (0 = Sunday), not APScheduler 3's Monday = 0.
"""

from __future__ import annotations

from apscheduler.triggers.cron import CronTrigger

from nashra.config import Settings
from nashra.config.digests import DigestSettings, apscheduler_crontab


def digest_trigger(settings: Settings, digest: DigestSettings) -> CronTrigger:
    return CronTrigger.from_crontab(apscheduler_crontab(digest.schedule), timezone=settings.site.zone)


def job_id(digest: DigestSettings) -> str:
    """Stable id for logs and `status` ("digest:daily")."""
    return f"digest:{digest.name}"
