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
import os
import signal
import socket
import threading
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from zoneinfo import ZoneInfo

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import Connection
from sqlalchemy.exc import SQLAlchemyError

from nashra.config import load_settings
from nashra.config.cron import DAY_NAMES, CronFields, parse_cron
from nashra.errors import ConfigError, NashraError
from nashra.jobs import Cron, Every, Job, Stage, When
from nashra.logs import event
from nashra.metrics.process import measured
from nashra.model import StageReport
from nashra.pipeline import STAGES, all_jobs, followers_of_ingest, found_changes
from nashra.runtime import Runtime
from nashra.shutdown import stop_on_signals
from nashra.store import workers
from nashra.store.workers import HEARTBEAT_SECONDS

log = logging.getLogger(__name__)

JOB_DEFAULTS = {"coalesce": True, "misfire_grace_time": 300, "max_instances": 1}
HEARTBEAT = "heartbeat"
OVERRIDES_POLL_SECONDS = 5.0
"""How often a running scheduler looks for values changed from the console or `nashra config set`."""


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


class Presence:
    """This worker as other processes see it through the store (nashra.store.workers): its
    heartbeat, each job's last run, and each job's next run as this scheduler has it. A store that
    cannot be written to is logged, never allowed to stop the jobs themselves."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.id = f"{socket.gethostname()}:{os.getpid()}"
        self.started_at = datetime.now(UTC)

    def _write(self, what: str, write: Callable[[Connection], None]) -> None:
        try:
            with self.runtime.store.begin() as conn:
                write(conn)
        except SQLAlchemyError as exc:
            event(log, "worker.presence_failed", level=logging.WARNING, what=what, error=str(exc))

    def announce(self) -> None:
        """The first heartbeat, before any job can start: a job's run never names an unknown worker."""
        now = datetime.now(UTC)
        self._write(
            "heartbeat", lambda conn: workers.beat(conn, self.id, now=now, started_at=self.started_at)
        )

    def beat(self, scheduler: BaseScheduler) -> None:
        now = datetime.now(UTC)
        next_runs = {job.id: job.next_run_time for job in scheduler.get_jobs() if job.id != HEARTBEAT}

        def write(conn: Connection) -> None:
            workers.beat(conn, self.id, now=now, started_at=self.started_at)
            workers.scheduled(conn, self.id, next_runs)

        self._write("heartbeat", write)

    def started(self, job: str) -> None:
        self._write(job, lambda conn: workers.job_started(conn, job, self.id, now=datetime.now(UTC)))

    def finished(self, job: str, result: str, summary: str) -> None:
        self._write(
            job,
            lambda conn: workers.job_finished(
                conn, job, now=datetime.now(UTC), result=result, summary=summary
            ),
        )

    def stopped(self) -> None:
        self._write("stop", lambda conn: workers.stopped(conn, self.id, now=datetime.now(UTC)))


def _summary(report: StageReport) -> str:
    counts = ", ".join(f"{k}={v}" for k, v in report.counts.items()) or "nothing to do"
    return "; ".join([counts, *report.problems])


def _run_job(runtime: Runtime, job: Job, followers: Sequence[Stage], presence: Presence) -> None:
    """Run one job; after an ingest that changed something, run the stages that follow ingest."""
    presence.started(job.id)
    try:
        report = measured(job.id, partial(job.run, runtime))
        event(log, "job.done", job=job.id, **report.counts)
        presence.finished(job.id, "ok", _summary(report))
        if found_changes(report):
            for stage in followers:
                follow: StageReport = measured(stage.name, partial(stage.run, runtime))
                event(log, "job.done", job=stage.name, after="ingest", **follow.counts)
    except NashraError as exc:
        event(log, "job.failed", level=logging.ERROR, job=job.id, error=str(exc))
        presence.finished(job.id, "failed", str(exc))
    except Exception as exc:
        log.exception("job.crashed", extra={"job": job.id})
        presence.finished(job.id, "crashed", f"{exc.__class__.__name__}: {exc}")


def schedule_jobs(
    scheduler: BaseScheduler,
    runtime: Runtime,
    presence: Presence,
    *,
    stages: Sequence[Stage] = STAGES,
    catch_up: bool = True,
) -> None:
    """(Re)build every job from the runtime's settings, plus the heartbeat."""
    zone = runtime.settings.site.zone
    scheduler.remove_all_jobs()
    followers = followers_of_ingest(stages)
    for job in all_jobs(runtime.settings, stages=stages):
        # Ingest runs at start so a restarted worker catches up at once; the rest keep their times.
        start_now = {"next_run_time": datetime.now(zone)} if catch_up and job.id == "ingest" else {}
        scheduler.add_job(
            _run_job,
            trigger(job.when, zone),
            args=(runtime, job, followers, presence),
            id=job.id,
            name=job.id,
            **start_now,
        )
    scheduler.add_job(
        presence.beat,
        IntervalTrigger(seconds=HEARTBEAT_SECONDS),
        args=(scheduler,),
        id=HEARTBEAT,
        name=HEARTBEAT,
    )


def build_scheduler(
    runtime: Runtime, presence: Presence, *, stages: Sequence[Stage] = STAGES
) -> BaseScheduler:
    scheduler = BackgroundScheduler(
        timezone=runtime.settings.site.zone,
        executors={"default": ThreadPoolExecutor(max_workers=4)},
        job_defaults=JOB_DEFAULTS,
    )
    schedule_jobs(scheduler, runtime, presence, stages=stages)
    return scheduler


def reload(runtime: Runtime, scheduler: BaseScheduler, presence: Presence) -> bool:
    """Read the config again; apply it if it is valid, else keep the one running (errors logged)."""
    origin = runtime.settings.origin
    if origin is None:
        event(log, "worker.reload_skipped", level=logging.WARNING, reason="running on the built-in defaults")
        return False
    try:
        settings = load_settings(Path(origin))
    except ConfigError as exc:
        event(log, "worker.reload_failed", level=logging.ERROR, config=origin, errors=str(exc))
        return False
    if settings.database_url != runtime.settings.database_url:
        event(
            log,
            "worker.reload_failed",
            level=logging.ERROR,
            config=origin,
            errors="[database] url changed: restart the worker to use another database",
        )
        return False
    runtime.refresh_overrides(settings)
    schedule_jobs(scheduler, runtime, presence, catch_up=False)
    presence.beat(scheduler)
    event(log, "worker.reloaded", config=origin, jobs=len(scheduler.get_jobs()) - 1)
    return True


def apply_new_overrides(runtime: Runtime, reschedule: Callable[[], None]) -> bool:
    """Take in what an operator changed from the console or `nashra config set` since the last
    look, and `reschedule` the jobs when something did. A database that does not answer now is
    looked at again next time: the running settings stay."""
    try:
        changed = runtime.refresh_overrides()
    except SQLAlchemyError as exc:
        event(log, "config.overrides_unread", level=logging.WARNING, error=str(exc).splitlines()[0])
        return False
    if changed:
        reschedule()
        event(log, "config.overrides_applied", overrides=len(runtime.settings.overrides))
    return changed


def serve_forever(runtime: Runtime) -> None:
    """Run until SIGINT/SIGTERM (or `runtime.stopping` is set), let running steps reach a safe
    point (a digest send stops after its batch in flight), and exit. SIGHUP reloads the config."""
    stop_on_signals(runtime.stopping)
    reload_asked = threading.Event()
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGHUP, lambda _signum, _frame: reload_asked.set())
    presence = Presence(runtime)
    scheduler = build_scheduler(runtime, presence)
    presence.announce()
    scheduler.start()
    presence.beat(scheduler)
    event(log, "worker.started", worker=presence.id, config=runtime.settings.origin or "built-in defaults")
    for job in scheduler.get_jobs():
        event(
            log,
            "worker.scheduled",
            job=job.id,
            next_run=job.next_run_time or "never",
        )

    def reschedule() -> None:
        schedule_jobs(scheduler, runtime, presence, catch_up=False)
        presence.beat(scheduler)

    look_again = time.monotonic() + OVERRIDES_POLL_SECONDS
    while not runtime.stopping.wait(0.5):
        if reload_asked.is_set():
            reload_asked.clear()
            reload(runtime, scheduler, presence)
        elif time.monotonic() >= look_again:
            look_again = time.monotonic() + OVERRIDES_POLL_SECONDS
            apply_new_overrides(runtime, reschedule)
    event(log, "worker.stopping")
    scheduler.shutdown(wait=True)
    presence.stopped()
    event(log, "worker.stopped")
