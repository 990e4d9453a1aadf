"""What a stage and a timed job are; kept apart from `pipeline` so steps can declare jobs without
importing the registry that imports them.

A job says *when* it runs as plain data (`Every`, `Cron`); only the worker turns that into its
scheduler's triggers, so replacing the scheduler (e.g. by a job queue) touches the worker alone.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from nashra.config import Settings
from nashra.model import StageReport
from nashra.runtime import Runtime

StageFn = Callable[[Runtime], StageReport]


@dataclass(frozen=True, slots=True)
class Every:
    """Every `minutes` minutes, counted from when the worker starts."""

    minutes: float


@dataclass(frozen=True, slots=True)
class Cron:
    """A standard 5-field cron expression (weekdays 0 or 7 = Sunday), read in `zone`; validated
    with the config (`nashra.config.cron`)."""

    expr: str
    zone: ZoneInfo


When = Every | Cron


@dataclass(frozen=True)
class Job:
    """A timed job: `id` is stable so status and logs can name it."""

    id: str
    when: When
    run: StageFn


def _no_jobs(_settings: Settings) -> Sequence[Job]:
    return ()


@dataclass(frozen=True)
class Stage:
    name: str
    run: StageFn
    jobs: Callable[[Settings], Sequence[Job]] = field(default=_no_jobs)
    after_ingest: bool = False
