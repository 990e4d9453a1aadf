"""What a stage and a timed job are; kept apart from `pipeline` so steps can declare jobs without
importing the registry that imports them."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from apscheduler.triggers.base import BaseTrigger

from nashra.config import Settings
from nashra.model import StageReport
from nashra.runtime import Runtime

StageFn = Callable[[Runtime], StageReport]


@dataclass(frozen=True)
class Job:
    """A timed job: `id` is stable so status and logs can name it."""

    id: str
    trigger: BaseTrigger
    run: StageFn


def _no_jobs(_settings: Settings) -> Sequence[Job]:
    return ()


@dataclass(frozen=True)
class Stage:
    name: str
    run: StageFn
    jobs: Callable[[Settings], Sequence[Job]] = field(default=_no_jobs)
    after_ingest: bool = False
