"""The one registration point for stages: what a cycle runs, in order, and what the worker schedules.

A stage is a function of the Runtime returning a StageReport. It runs
- in every `nashra run --once` cycle, in the order of STAGES;
- in the worker, on the timed jobs it declares (`jobs`), and/or
- right after any ingest that found new or changed articles (`after_ingest`).
Later features add themselves by appending one Stage to STAGES.
"""

from __future__ import annotations

from collections.abc import Sequence

from nashra.config import Settings
from nashra.feeds import build_feeds_stage
from nashra.ingest import ingest
from nashra.jobs import Every, Job, Stage
from nashra.mail.stage import digest_jobs, digests_stage
from nashra.model import StageReport
from nashra.runtime import Runtime
from nashra.social.stage import social_jobs, social_stage

__all__ = ["STAGES", "Job", "Stage", "all_jobs", "followers_of_ingest", "run_cycle"]


def _ingest_jobs(settings: Settings) -> Sequence[Job]:
    return (Job("ingest", Every(minutes=settings.ingest.every_minutes), ingest),)


STAGES: tuple[Stage, ...] = (
    Stage("ingest", ingest, jobs=_ingest_jobs),
    Stage("feeds", build_feeds_stage, after_ingest=True),
    Stage("digests", digests_stage, jobs=digest_jobs),
    Stage("social", social_stage, jobs=social_jobs, after_ingest=True),
)


def run_cycle(runtime: Runtime, *, stages: Sequence[Stage] = STAGES) -> list[StageReport]:
    """One full pass of every stage, in order: what `nashra run --once` does. A stop request
    ends it after the stage in progress."""
    reports = []
    for stage in stages:
        if runtime.stopping.is_set():
            break
        reports.append(stage.run(runtime))
    return reports


def all_jobs(settings: Settings, *, stages: Sequence[Stage] = STAGES) -> list[Job]:
    return [job for stage in stages for job in stage.jobs(settings)]


def followers_of_ingest(stages: Sequence[Stage] = STAGES) -> list[Stage]:
    return [stage for stage in stages if stage.after_ingest]
