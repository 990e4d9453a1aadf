"""What the running worker tells the others: that it is alive, and what each job did last and does next.

`nashra status` runs in another process (often on another machine, in another container); it can
only know the worker through the database. The worker writes a heartbeat every
`HEARTBEAT_SECONDS`, and for every job its last run (when, how it ended, its counts or error) and
its next run *as its own scheduler has it* — not as recomputed from the config, which may have
changed since the worker started.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Column, Connection, String, Table, Text, select, update

from nashra.store.schema import metadata
from nashra.store.types import UTCDateTime
from nashra.store.upsert import upsert

HEARTBEAT_SECONDS = 30
ALIVE_WITHIN = timedelta(seconds=3 * HEARTBEAT_SECONDS)
"""A worker whose heartbeat is older than this is taken for dead (killed, frozen, machine gone)."""

workers = Table(
    "workers",
    metadata,
    Column("id", String(200), primary_key=True),  # host:pid
    Column("started_at", UTCDateTime(), nullable=False),
    Column("heartbeat_at", UTCDateTime(), nullable=False),
    Column("stopped_at", UTCDateTime()),
)

job_runs = Table(
    "job_runs",
    metadata,
    Column("job", String(200), primary_key=True),
    Column("worker", String(200)),
    Column("started_at", UTCDateTime()),
    Column("finished_at", UTCDateTime()),
    Column("result", String(20)),  # ok | failed | crashed | running
    Column("summary", Text),
    Column("next_run_at", UTCDateTime()),
    Column("last_success_at", UTCDateTime()),  # kept through later failures (revision 0015)
)


@dataclass(frozen=True, slots=True)
class WorkerState:
    id: str
    started_at: datetime
    heartbeat_at: datetime
    stopped_at: datetime | None

    def alive(self, now: datetime) -> bool:
        return self.stopped_at is None and now - self.heartbeat_at < ALIVE_WITHIN


@dataclass(frozen=True, slots=True)
class JobRun:
    job: str
    worker: str | None
    started_at: datetime | None
    finished_at: datetime | None
    result: str | None
    summary: str | None
    next_run_at: datetime | None
    last_success_at: datetime | None = None


def beat(conn: Connection, worker: str, *, now: datetime, started_at: datetime) -> None:
    upsert(
        conn,
        workers,
        workers.c.id,
        worker,
        {"started_at": started_at, "heartbeat_at": now, "stopped_at": None},
    )


def stopped(conn: Connection, worker: str, *, now: datetime) -> None:
    conn.execute(update(workers).where(workers.c.id == worker).values(stopped_at=now, heartbeat_at=now))


def newest_worker(conn: Connection) -> WorkerState | None:
    row = conn.execute(select(workers).order_by(workers.c.heartbeat_at.desc()).limit(1)).one_or_none()
    return WorkerState(**row._asdict()) if row else None


def job_started(conn: Connection, job: str, worker: str, *, now: datetime) -> None:
    upsert(conn, job_runs, job_runs.c.job, job, {"worker": worker, "started_at": now, "result": "running"})


def job_finished(conn: Connection, job: str, *, now: datetime, result: str, summary: str) -> None:
    success = {"last_success_at": now} if result == "ok" else {}
    conn.execute(
        update(job_runs)
        .where(job_runs.c.job == job)
        .values(finished_at=now, result=result, summary=summary, **success)
    )


def scheduled(conn: Connection, worker: str, next_runs: dict[str, datetime | None]) -> None:
    """The next run of every job as the worker's scheduler has it."""
    for job, next_run in next_runs.items():
        upsert(conn, job_runs, job_runs.c.job, job, {"worker": worker, "next_run_at": next_run})


def job_runs_by_name(conn: Connection) -> dict[str, JobRun]:
    return {row.job: JobRun(**row._asdict()) for row in conn.execute(select(job_runs))}
