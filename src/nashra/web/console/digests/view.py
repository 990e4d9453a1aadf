"""What the console shows of a digest, read in one place for its pages: the schedule (as cron and
in words), the next run (as the running worker or scheduler has it, else as the schedule says),
the selection window and size, where each of those values comes from (a line of nashra.toml, an
operator's override, or the built-in default), the pause, and the issues with their counts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from nashra.config import Settings
from nashra.config.cron_words import describe
from nashra.config.digests import DigestSettings
from nashra.config.overrides import OVERRIDABLE
from nashra.digest import configured_digests
from nashra.digest.schedule import job_id
from nashra.health import Health, IssueHealth, PauseHealth, issue_health
from nashra.runtime import Runtime
from nashra.store.deliveries import digest_issues_progress

KEYS = OVERRIDABLE["digests"]
"""schedule, window, max_items: what an admin may change here."""


@dataclass(frozen=True, slots=True)
class Origin:
    kind: str
    """"file" (a line of the config), "override" (set in the console or the CLI), or "default"."""
    file_value: Any
    location: str = ""
    """`nashra.toml:12` for a value the file sets (the file's name: its folder is the server's)."""
    by: str = ""
    at: datetime | None = None


@dataclass(frozen=True, slots=True)
class DigestView:
    name: str
    enabled: bool
    paused: PauseHealth | None
    schedule: str
    in_words: str
    next_run: datetime | None
    next_by: str
    """"worker": as the running scheduler has it; "config": as the schedule says (none running)."""
    window: str | int
    max_items: int
    origins: dict[str, Origin]
    issues: list[IssueHealth]


def path_of(name: str, key: str) -> str:
    return f"digests.{name}.{key}"


def origin(settings: Settings, name: str, key: str) -> Origin:
    file = settings.file_settings
    index = next((i for i, d in enumerate(file.digests) if d.name == name), None)
    file_digest = file.digests[index] if index is not None else DigestSettings(name=name)
    file_value = getattr(file_digest, key)
    override = next((o for o in settings.overrides if o.path == path_of(name, key)), None)
    if override is not None:
        return Origin("override", file_value, by=override.set_by, at=override.set_at)
    loc = ("digests", index, key) if index is not None else None
    if loc is not None and file.written(loc):
        return Origin("file", file_value, location=Path(file.locate(loc)).name)
    return Origin("default", file_value)


def _view(
    settings: Settings, digest: DigestSettings, health: Health, issues: list[IssueHealth], locale: str
) -> DigestView:
    job = next((j for j in health.jobs if j.id == job_id(digest)), None)
    state = next(d for d in health.digests if d.name == digest.name)
    return DigestView(
        name=digest.name,
        enabled=digest.enabled,
        paused=state.paused,
        schedule=digest.schedule,
        in_words=describe(digest.schedule, locale),
        next_run=job.next_run if job else None,
        next_by=job.scheduled_by if job else "config",
        window=digest.window,
        max_items=digest.max_items,
        origins={key: origin(settings, digest.name, key) for key in KEYS},
        issues=issues,
    )


def digest_views(runtime: Runtime, health: Health, locale: str) -> list[DigestView]:
    """Every configured digest, with its last few issues (from the health snapshot)."""
    settings = runtime.settings
    return [
        _view(
            settings, digest, health, next(d.issues for d in health.digests if d.name == digest.name), locale
        )
        for digest in configured_digests(settings)
    ]


def digest_view(
    runtime: Runtime, health: Health, name: str, locale: str, *, issues: int = 20
) -> DigestView | None:
    """One digest with its newest `issues` issues; None when no digest has that name."""
    settings = runtime.settings
    digest = next((d for d in configured_digests(settings) if d.name == name), None)
    if digest is None:
        return None
    with runtime.store.connect() as conn:
        history = [issue_health(i) for i in digest_issues_progress(conn, name, limit=issues)]
    return _view(settings, digest, health, history, locale)
