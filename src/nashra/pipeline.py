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
from nashra.feedback.stage import inbound_jobs, poll_mailbox
from nashra.feeds import build_feeds_stage
from nashra.ingest import ingest, source_names
from nashra.jobs import Every, Job, Split, Stage, Unit
from nashra.mail.alerts import alert_jobs, alert_target, alert_targets, alerts_stage
from nashra.mail.stage import digest_jobs, digest_names, digest_target, digests_stage
from nashra.model import StageReport
from nashra.runtime import Runtime
from nashra.social.stage import channel_names, social_jobs, social_stage

__all__ = [
    "STAGES",
    "Job",
    "Stage",
    "Unit",
    "all_jobs",
    "followers_of_ingest",
    "found_changes",
    "run_cycle",
    "run_unit",
    "spread",
]


def _ingest_jobs(settings: Settings) -> Sequence[Job]:
    return (Job("ingest", Every(minutes=settings.ingest.every_minutes), ingest, Unit("ingest")),)


STAGES: tuple[Stage, ...] = (
    Stage("ingest", ingest, jobs=_ingest_jobs, split=Split(source_names, ingest)),
    # Right after ingest: breaking news goes out within the cycle that saw it.
    Stage(
        "alerts", alerts_stage, jobs=alert_jobs, after_ingest=True, split=Split(alert_targets, alert_target)
    ),
    Stage("feeds", build_feeds_stage, after_ingest=True),
    Stage("digests", digests_stage, jobs=digest_jobs, split=Split(digest_names, digest_target)),
    Stage(
        "social", social_stage, jobs=social_jobs, after_ingest=True, split=Split(channel_names, social_stage)
    ),
    Stage("inbound", poll_mailbox, jobs=inbound_jobs),
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


def found_changes(report: StageReport) -> bool:
    """Whether this report is an ingest's that stored new or changed articles: the stages that
    follow ingest then run."""
    return report.stage == "ingest" and bool(report.counts.get("new") or report.counts.get("updated"))


def spread(unit: Unit, settings: Settings, *, stages: Sequence[Stage] = STAGES) -> list[Unit]:
    """The units a queue runs for `unit`: a whole stage that splits becomes one unit per target
    (each source, channel, digest), so workers can share it; any other unit is itself."""
    stage = _stage(unit.stage, stages)
    if unit.target is not None or stage.split is None:
        return [unit]
    return [Unit(stage.name, target) for target in stage.split.targets(settings)]


def run_unit(runtime: Runtime, unit: Unit, *, stages: Sequence[Stage] = STAGES) -> StageReport:
    """Run one unit with the stage's own function: what a queue worker does with a job."""
    stage = _stage(unit.stage, stages)
    if unit.target is None:
        return stage.run(runtime)
    if stage.split is None:
        raise ValueError(f"stage {stage.name} does not run per target; got {unit.key}")
    return stage.split.run(runtime, unit.target)


def _stage(name: str, stages: Sequence[Stage]) -> Stage:
    for stage in stages:
        if stage.name == name:
            return stage
    raise ValueError(f"no stage named {name!r}")
