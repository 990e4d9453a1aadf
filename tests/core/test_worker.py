"""Worker wiring: jobs from config with safe defaults; followers run only after a productive ingest."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from apscheduler.triggers.interval import IntervalTrigger

from nashra.ingest import ingest
from nashra.model import StageReport
from nashra.pipeline import Job, Stage
from nashra.runtime import Runtime
from nashra.worker import _run_job, build_scheduler


@pytest.mark.sqlite_only
def test_scheduler_has_ingest_job_with_safe_defaults(make_runtime: Callable[[str], Runtime]) -> None:
    runtime = make_runtime('[site]\ntimezone = "Africa/Algiers"\n[ingest]\nevery_minutes = 7\n')
    scheduler = build_scheduler(runtime)
    scheduler.start(paused=True)  # defaults are applied when jobs are committed at start
    job = scheduler.get_job("ingest")
    scheduler.shutdown(wait=False)
    assert isinstance(job.trigger, IntervalTrigger)
    assert job.trigger.interval == timedelta(minutes=7)
    assert str(job.trigger.timezone) == "Africa/Algiers"
    assert (job.coalesce, job.max_instances, job.misfire_grace_time) == (True, 1, 300)


def test_followers_run_only_when_ingest_found_something(make_runtime: Callable[[str], Runtime]) -> None:
    runtime = make_runtime("")  # no sources: the bundled demo articles
    calls: list[str] = []

    def follower(_runtime: Runtime) -> StageReport:
        calls.append("feeds")
        return StageReport("feeds")

    job = Job("ingest", IntervalTrigger(minutes=1), ingest)
    stage = Stage("feeds", follower, after_ingest=True)
    _run_job(runtime, job, [stage])
    assert calls == ["feeds"]
    _run_job(runtime, job, [stage])
    assert calls == ["feeds"], "an ingest that found nothing new must not rebuild outputs"
