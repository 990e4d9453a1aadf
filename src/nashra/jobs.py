"""What a stage and a timed job are; kept apart from `pipeline` so steps can declare jobs without
importing the registry that imports them.

A job says *when* it runs as plain data (`Every`, `Cron`); only the worker turns that into its
scheduler's triggers, so replacing the scheduler (e.g. by a job queue) touches the worker alone.
It also says *what* it runs as plain data (a `Unit`): the distributed mode (nashra.queue) stores
that as a queued job's arguments, and a worker on another machine runs the same stage function.
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


@dataclass(frozen=True, slots=True)
class Unit:
    """A piece of work that runs on its own: a stage, for one of its targets (a source, a channel,
    a digest), or for all of them (`target` None). Plain data, so it can wait in a queue."""

    stage: str
    target: str | None = None

    @property
    def key(self) -> str:
        """Names the unit in logs and locks: "ingest:wire", "feeds", "social:x", "digests:daily"."""
        return self.stage if self.target is None else f"{self.stage}:{self.target}"


@dataclass(frozen=True)
class Job:
    """A timed job: `id` is stable so status and logs can name it; `run` is what the inline
    worker calls, `unit` the same work as data for a queue."""

    id: str
    when: When
    run: StageFn
    unit: Unit


def _no_jobs(_settings: Settings) -> Sequence[Job]:
    return ()


@dataclass(frozen=True)
class Split:
    """How a stage runs for one target at a time, so a queue can spread it over workers: the
    targets the settings name (enabled sources, channels, digests) and the run for one of them."""

    targets: Callable[[Settings], Sequence[str]]
    run: Callable[[Runtime, str], StageReport]


@dataclass(frozen=True)
class Stage:
    name: str
    run: StageFn
    jobs: Callable[[Settings], Sequence[Job]] = field(default=_no_jobs)
    after_ingest: bool = False
    split: Split | None = None
