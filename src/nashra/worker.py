"""The long-running worker: APScheduler decides *when*; stages decide *what*.

The only module that knows the scheduler: jobs describe when they run as plain data (`Every`,
`Cron`) and this module turns that into APScheduler triggers, so a job queue can replace the
scheduler here alone. Exactly one scheduler per deployment (APScheduler's job stores must not be
shared), with an in-memory job store rebuilt from config at start. Jobs coalesce, tolerate misfires
of a few minutes, and never overlap themselves. SIGINT/SIGTERM stop the running steps at their
next safe point, then exit; a second signal exits at once (nashra.shutdown).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from nashra.config.cron import DAY_NAMES, CronFields, parse_cron
from nashra.errors import NashraError
from nashra.jobs import Cron, Every, Job, Stage, When
from nashra.logs import event
from nashra.model import StageReport
from nashra.pipeline import STAGES, all_jobs, followers_of_ingest
from nashra.runtime import Runtime
from nashra.shutdown import stop_on_signals

log = logging.getLogger(__name__)

JOB_DEFAULTS = {"coalesce": True, "misfire_grace_time": 300, "max_instances": 1}


def _listed(values: frozenset[int], every: range) -> str:
    return "*" if values == frozenset(every) else ",".join(str(v) for v in sorted(values))


def cron_fields(fields: CronFields) -> dict[str, str]:
    """CronTrigger arguments for parsed cron fields, weekdays written as names.

    APScheduler 3 counts weekday *numbers* from Monday = 0 (cron: Sunday = 0), so "1-5" would
    mean Tuesday to Saturday there; names are read the same by both.
    """
    weekday = "*" if len(fields.weekday) == 7 else ",".join(DAY_NAMES[day] for day in sorted(fields.weekday))
    return {
        "minute": _listed(fields.minute, range(60)),
        "hour": _listed(fields.hour, range(24)),
        "day": _listed(fields.day, range(1, 32)),
        "month": _listed(fields.month, range(1, 13)),
        "day_of_week": weekday,
    }


def trigger(when: When, zone: ZoneInfo) -> BaseTrigger:
    """The APScheduler trigger for a job's `when`; `zone` is the site's, for intervals."""
    match when:
        case Every(minutes=minutes):
            return IntervalTrigger(minutes=minutes, timezone=zone)
        case Cron(expr=expr, zone=cron_zone):
            return CronTrigger(**cron_fields(parse_cron(expr)), timezone=cron_zone)


def next_run(when: When, zone: ZoneInfo, now: datetime) -> datetime | None:
    """When a job would next run if the worker started at `now` (for `nashra status`)."""
    upcoming: datetime | None = trigger(when, zone).get_next_fire_time(None, now)
    return upcoming


def _run_job(runtime: Runtime, job: Job, followers: Sequence[Stage]) -> None:
    """Run one job; after an ingest that changed something, run the stages that follow ingest."""
    try:
        report = job.run(runtime)
        event(log, "job.done", job=job.id, **report.counts)
        if report.stage == "ingest" and (report.counts.get("new") or report.counts.get("updated")):
            for stage in followers:
                follow: StageReport = stage.run(runtime)
                event(log, "job.done", job=stage.name, after="ingest", **follow.counts)
    except NashraError as exc:
        event(log, "job.failed", level=logging.ERROR, job=job.id, error=str(exc))
    except Exception:
        log.exception("job.crashed", extra={"job": job.id})


def build_scheduler(runtime: Runtime, *, stages: Sequence[Stage] = STAGES) -> BackgroundScheduler:
    zone = runtime.settings.site.zone
    scheduler = BackgroundScheduler(
        timezone=zone,
        executors={"default": ThreadPoolExecutor(max_workers=4)},
        job_defaults=JOB_DEFAULTS,
    )
    followers = followers_of_ingest(stages)
    for job in all_jobs(runtime.settings, stages=stages):
        # Ingest runs at start so a restarted worker catches up at once; the rest keep their times.
        start_now = {"next_run_time": datetime.now(zone)} if job.id == "ingest" else {}
        scheduler.add_job(
            _run_job,
            trigger(job.when, zone),
            args=(runtime, job, followers),
            id=job.id,
            name=job.id,
            **start_now,
        )
    return scheduler


def serve_forever(runtime: Runtime) -> None:
    """Run until SIGINT/SIGTERM (or `runtime.stopping` is set), let running steps reach a safe
    point (a digest send stops after its batch in flight), and exit."""
    stop_on_signals(runtime.stopping)
    scheduler = build_scheduler(runtime)
    scheduler.start()
    for job in scheduler.get_jobs():
        event(
            log,
            "worker.scheduled",
            job=job.id,
            next_run=job.next_run_time.isoformat() if job.next_run_time else "never",
        )
    runtime.stopping.wait()
    event(log, "worker.stopping")
    scheduler.shutdown(wait=True)
    event(log, "worker.stopped")
