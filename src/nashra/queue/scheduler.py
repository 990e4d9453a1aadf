"""`nashra run` in the distributed mode: the scheduler. It only queues; workers run.

Each job the stages declare keeps its trigger exactly as the inline worker builds it
(`nashra.worker.trigger`), but firing *queues* the job's units: ingest one job per source, social
one per channel, each digest its own. Only the active scheduler (`leader.py`) has triggers;
standbys wait for the lock. A scheduler that becomes active queues ingest at once and every cron
job that fell due within the misfire grace before it took over (the one that died may or may not
have queued it: the queueing lock and the stages' idempotence make twice harmless).

It also keeps the queue healthy, as procrastinate leaves to the application: every
`heartbeat_seconds` it puts back the jobs of workers whose heartbeat is older than
`stalled_after_seconds` (killed, frozen, machine gone) so that another worker runs them, and
drops those workers; every hour it deletes finished jobs older than `keep_finished_hours`
(failed ones stay for the operator). A slow worker that still beats never loses its job.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from procrastinate import App, sql

from nashra.jobs import Job
from nashra.logs import event
from nashra.pipeline import all_jobs, spread
from nashra.queue.app import SCHEDULER_ROLE, conninfo, open_app, process_name
from nashra.queue.leader import POLL_SECONDS, STEP_DOWN_SECONDS, Leadership
from nashra.queue.task import defer
from nashra.runtime import Runtime
from nashra.shutdown import refuse_reload, stop_on_signals
from nashra.worker import HEARTBEAT, JOB_DEFAULTS, Presence, apply_new_overrides, trigger

log = logging.getLogger(__name__)

RETRY_STALLED = "queue:retry-stalled"
DELETE_FINISHED = "queue:delete-finished"
HOUSEKEEPING = frozenset((RETRY_STALLED, DELETE_FINISHED, HEARTBEAT))
FINISHED = ["succeeded", "cancelled", "aborted"]


def _queue_job(app: App, runtime: Runtime, job: Job, presence: Presence) -> None:
    """What a trigger does here: queue the job's units, and say so as the job's last run."""
    presence.started(job.id)
    units = spread(job.unit, runtime.settings)
    queued = [unit.key for unit in units if defer(app, unit) is not None]
    waiting = len(units) - len(queued)
    summary = f"queued {', '.join(queued) or 'nothing'}" + (f"; {waiting} already waiting" if waiting else "")
    presence.finished(job.id, "ok", summary)


def retry_stalled(app: App, stalled_after: float) -> None:
    """Put the jobs of workers silent for `stalled_after` seconds back in the queue, and drop those
    workers. procrastinate has these steps only as coroutines (for a worker's loop); this runs
    the same named queries of procrastinate's on the scheduler's synchronous connection."""
    connector = app.connector.get_sync_connector()
    stalled = connector.execute_query_all(
        query=sql.queries["select_stalled_jobs_by_heartbeat"],
        queue=None,
        task_name=None,
        seconds_since_heartbeat=stalled_after,
    )
    for row in stalled:
        app.job_manager.retry_job_by_id(row["id"], retry_at=datetime.now(UTC))
        event(log, "queue.stalled_job_retried", job=row["id"], worker=row["worker_id"], task=row["task_name"])
    connector.execute_query_all(
        query=sql.queries["prune_stalled_workers"], seconds_since_heartbeat=stalled_after
    )


def delete_finished(app: App, hours: int) -> None:
    """Delete jobs finished (not failed) more than `hours` ago: procrastinate's own query."""
    app.connector.get_sync_connector().execute_query(
        query=sql.queries["delete_old_jobs"], nb_hours=hours, queue=None, statuses=FINISHED
    )


def _schedule_pipeline(
    scheduler: BaseScheduler, app: App, runtime: Runtime, presence: Presence, *, catch_up: bool
) -> None:
    """(Re)add a job for every pipeline job of the runtime's settings. On becoming active
    (`catch_up`), ingest runs at once and a cron job due within the grace runs now; later (values
    changed from the console) every job keeps to its next time from now."""
    zone = runtime.settings.site.zone
    for existing in scheduler.get_jobs():
        if existing.id not in HOUSEKEEPING:
            existing.remove()
    now = datetime.now(zone)
    grace = timedelta(seconds=int(JOB_DEFAULTS["misfire_grace_time"]))
    for job in all_jobs(runtime.settings):
        fires = trigger(job.when, zone)
        first = now if job.id == "ingest" and catch_up else None
        if isinstance(fires, CronTrigger) and catch_up:
            first = fires.get_next_fire_time(None, now - grace)  # due within the grace: at once
        scheduler.add_job(
            _queue_job,
            fires,
            args=(app, runtime, job, presence),
            id=job.id,
            name=job.id,
            **({"next_run_time": first} if first else {}),
        )


def _build(app: App, runtime: Runtime, presence: Presence) -> BackgroundScheduler:
    settings = runtime.settings
    zone = settings.site.zone
    scheduler = BackgroundScheduler(
        timezone=zone, executors={"default": ThreadPoolExecutor(max_workers=2)}, job_defaults=JOB_DEFAULTS
    )
    now = datetime.now(zone)
    _schedule_pipeline(scheduler, app, runtime, presence, catch_up=True)
    queue = settings.queue
    scheduler.add_job(
        retry_stalled,
        IntervalTrigger(seconds=queue.heartbeat_seconds),
        args=(app, queue.stalled_after_seconds),
        id=RETRY_STALLED,
        next_run_time=now,
    )
    scheduler.add_job(
        delete_finished, IntervalTrigger(hours=1), args=(app, queue.keep_finished_hours), id=DELETE_FINISHED
    )
    scheduler.add_job(
        presence.beat, IntervalTrigger(seconds=queue.heartbeat_seconds), args=(scheduler,), id=HEARTBEAT
    )
    return scheduler


def _lead(app: App, runtime: Runtime, leadership: Leadership) -> None:
    """Be the active scheduler until asked to stop or the lock is lost."""
    presence = Presence(runtime)
    presence.announce()
    scheduler = _build(app, runtime, presence)
    scheduler.start()
    presence.beat(scheduler)
    event(log, "scheduler.active", scheduler=presence.id, jobs=len(all_jobs(runtime.settings)))

    def reschedule() -> None:
        _schedule_pipeline(scheduler, app, runtime, presence, catch_up=False)
        presence.beat(scheduler)

    try:
        while not runtime.stopping.wait(POLL_SECONDS):
            if not leadership.held():
                event(log, "scheduler.lock_lost", level=logging.WARNING, scheduler=presence.id)
                break
            apply_new_overrides(runtime, reschedule)
    finally:
        scheduler.shutdown(wait=True)
        presence.stopped()


def serve_scheduler(runtime: Runtime) -> None:
    """Run as a scheduler until SIGINT/SIGTERM: standby until the lock is free, then active."""
    stop_on_signals(runtime.stopping)
    refuse_reload("scheduler")
    name = process_name(SCHEDULER_ROLE)
    leadership = Leadership(conninfo(runtime.settings.database_url), name)
    app = open_app(runtime.settings, role=SCHEDULER_ROLE, pool_size=2)
    app.open()
    event(log, "scheduler.started", scheduler=name, state="standby until the lock is free")
    try:
        while not runtime.stopping.is_set():
            if leadership.try_acquire():
                _lead(app, runtime, leadership)
                runtime.stopping.wait(STEP_DOWN_SECONDS)  # a standby has the first chance
            else:
                runtime.stopping.wait(POLL_SECONDS)
    finally:
        leadership.close()
        app.close()
        event(log, "scheduler.stopped", scheduler=name)
