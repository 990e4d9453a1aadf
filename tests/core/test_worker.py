"""Worker wiring: jobs from config with safe defaults; followers run only after a productive ingest."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from apscheduler.triggers.interval import IntervalTrigger

from nashra.config.cron import parse_cron
from nashra.ingest import ingest
from nashra.jobs import Cron, Every, Unit
from nashra.model import StageReport
from nashra.pipeline import Job, Stage
from nashra.runtime import Runtime
from nashra.worker import Presence, _run_job, build_scheduler, cron_fields, next_run


@pytest.mark.sqlite_only
def test_scheduler_has_ingest_job_with_safe_defaults(make_runtime: Callable[[str], Runtime]) -> None:
    runtime = make_runtime('[site]\ntimezone = "Africa/Algiers"\n[ingest]\nevery_minutes = 7\n')
    scheduler = build_scheduler(runtime, Presence(runtime))
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

    job = Job("ingest", Every(minutes=1), ingest, Unit("ingest"))
    stage = Stage("feeds", follower, after_ingest=True)
    presence = Presence(runtime)
    _run_job(runtime, job, [stage], presence)
    assert calls == ["feeds"]
    _run_job(runtime, job, [stage], presence)
    assert calls == ["feeds"], "an ingest that found nothing new must not rebuild outputs"


def _weekdays(expression: str) -> str:
    return cron_fields(parse_cron(expression))["day_of_week"]


def test_cron_weekdays_mean_what_cron_means() -> None:
    assert cron_fields(parse_cron("0 7 * * *")) == {
        "minute": "0",
        "hour": "7",
        "day": "*",
        "month": "*",
        "day_of_week": "*",
    }
    assert _weekdays("0 7 * * 1-5") == "mon,tue,wed,thu,fri"
    assert _weekdays("0 7 * * 0,6") == "sun,sat"
    assert _weekdays("0 7 * * 7") == "sun"
    assert _weekdays("0 7 * * */2") == "sun,tue,thu,sat"
    assert _weekdays("0 7 * * sat,sun") == "sun,sat"
    assert _weekdays("0 7 * * sun-thu") == "sun,mon,tue,wed,thu"  # the Algerian working week
    for bad in ("0 7 * *", "0 7 * * 8", "0 7 * * mon,3", "0 7 * * 5-2"):
        with pytest.raises(ValueError, match=r"day of week|fields"):
            parse_cron(bad)
    for bad, field in (("61 7 * * *", "minute"), ("0 24 * * *", "hour"), ("0 7 L * *", "day of month")):
        with pytest.raises(ValueError, match=field):
            parse_cron(bad)
    assert cron_fields(parse_cron("*/15 7-9 1,15 jan-mar *"))["month"] == "1,2,3"


def test_cron_jobs_fire_on_cron_weekdays_in_their_zone() -> None:
    algiers = ZoneInfo("Africa/Algiers")
    # Saturday 28 November 2026, 12:00 UTC: "1-5" is Monday to Friday, so Monday 30th, 07:00 in Algiers.
    fire = next_run(Cron("0 7 * * 1-5", algiers), algiers, datetime(2026, 11, 28, 12, tzinfo=UTC))
    assert fire == datetime(2026, 11, 30, 7, 0, tzinfo=algiers)
    now = datetime(2026, 11, 28, 12, tzinfo=algiers)
    with time_machine.travel(now, tick=False):  # an interval counts from when the worker starts
        assert next_run(Every(minutes=7), algiers, now) == now + timedelta(minutes=7)
