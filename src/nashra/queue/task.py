"""The one task, `nashra.run_unit(stage, target)`, and how a unit of work is queued: by a process
(`defer`: the scheduler) or inside the transaction of the state that needs it (`defer_units`).

Every unit is a job on the queue named after its stage (so `nashra worker --queues digests` can
keep senders apart), with the unit's key (`ingest:wire`, `feeds`, `social:x`, `digests:daily`) as
both its lock and its queueing lock: a unit never runs twice at once (a channel's posts stay in
order, a digest has one sender) and never waits in the queue twice (a burst of ingests queues one
feed rebuild, not ten).

A worker runs the unit with the stage's own function. An ingest that stores something new or
changed queues the stages that follow ingest (feeds once, social once per channel) in the same
transaction, as the inline worker runs them after it; a digest's job queues its batches with the
issue (nashra.mail.batches). A job's arguments are names and every effect is keyed in the store,
so a job run again after its worker died changes nothing twice.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from functools import partial

from procrastinate import App, JobContext
from procrastinate.exceptions import AlreadyEnqueued
from sqlalchemy import Connection, text
from sqlalchemy.exc import IntegrityError

from nashra.config import Settings
from nashra.jobs import Unit
from nashra.logs import event
from nashra.metrics.process import measured
from nashra.pipeline import followers_of_ingest, run_unit, spread
from nashra.runtime import Runtime

log = logging.getLogger(__name__)

TASK = "nashra.run_unit"


def defer(app: App, unit: Unit) -> int | None:
    """Queue `unit`; None when it is already waiting (its queueing lock), which is no error."""
    try:
        job_id: int = app.configure_task(TASK, queue=unit.stage, lock=unit.key, queueing_lock=unit.key).defer(
            stage=unit.stage, target=unit.target
        )
    except AlreadyEnqueued:
        event(log, "queue.already_waiting", unit=unit.key)
        return None
    event(log, "queue.deferred", unit=unit.key, job=job_id)
    return job_id


_DEFER = text(
    "SELECT procrastinate_defer_jobs_v1(ARRAY[ROW(:queue, :task, 0, :lock, :lock, CAST(:args AS jsonb), :at)"
    "::procrastinate_job_to_defer_v1])"
)


def defer_units(conn: Connection, units: Sequence[Unit], *, delay: float = 0) -> int:
    """`defer`'s jobs (same task, queue, lock and queueing lock), queued with procrastinate's own
    SQL function in the caller's transaction: they exist exactly when the state that needs them
    does. A unit whose job already waits (its queueing lock) is left out, the rest still queued."""
    at = datetime.now(UTC) + timedelta(seconds=delay) if delay > 0 else None
    queued = 0
    for unit in units:
        values = {
            "queue": unit.stage,
            "task": TASK,
            "lock": unit.key,
            "args": json.dumps({"stage": unit.stage, "target": unit.target}),
            "at": at,
        }
        try:
            with conn.begin_nested():
                conn.execute(_DEFER, values)
        except IntegrityError:
            event(log, "queue.already_waiting", unit=unit.key)
            continue
        event(log, "queue.deferred", unit=unit.key, delay=delay)
        queued += 1
    return queued


def defer_in(conn: Connection, stage: str, targets: Sequence[str], *, delay: float = 0) -> int:
    """A queue worker's `Runtime.handoff`: one job per target of `stage` (digest batches)."""
    return defer_units(conn, [Unit(stage, target) for target in targets], delay=delay)


def followers_in(settings: Settings) -> Callable[[Connection], object]:
    """A queue worker's `Runtime.on_new_articles`: queue what follows an ingest that stored
    something new or changed (feeds once, social once per channel) in the ingest's transaction,
    so a worker that dies right after the ingest commits leaves no article unposted."""
    units = [queued for follower in followers_of_ingest() for queued in spread(Unit(follower.name), settings)]
    return lambda conn: defer_units(conn, units)


def metric_job(unit: Unit) -> str:
    """The unit's `job` label in the metrics: its key, but one label for all the batches of a
    digest (their targets, "daily/12/1-1000", are new with every issue and span)."""
    if unit.target is not None and "/" in unit.target:
        return f"{unit.stage}:{unit.target.split('/', 1)[0]}/batches"
    return unit.key


def run_unit_job(context: JobContext, stage: str, target: str | None) -> str:
    """The task; returns the report's counts (procrastinate logs them with the job)."""
    runtime: Runtime = context.additional_context["runtime"]
    runtime.refresh_overrides()  # a schedule or size an operator changed since the last job
    unit = Unit(stage, target)
    report = measured(metric_job(unit), partial(run_unit, runtime, unit))
    event(log, "job.done", job=unit.key, **report.counts)
    for problem in report.problems:
        event(log, "job.problem", level=logging.WARNING, job=unit.key, problem=problem)
    return ", ".join(f"{k}={v}" for k, v in report.counts.items()) or "nothing to do"
