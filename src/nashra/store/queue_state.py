"""What the distributed mode's queue holds, read for `nashra status`: jobs per queue and state,
procrastinate's workers and their heartbeats, and which scheduler holds the lock that makes it
the active one. Read-only, and only on PostgreSQL (the only database the queue runs on).

procrastinate's tables are part of this store's schema (revision 0011, `store/queue_schema.py`),
so reading them here is reading our own schema, pinned by that revision.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, text

SCHEDULER_LOCK_KEY = 0x6E617368_73636864  # "nashschd": held by the active scheduler's session
SCHEDULER_APPLICATION = "nashra-scheduler"
"""The application_name prefix of the schedulers' lock sessions (active and standby)."""


@dataclass(frozen=True, slots=True)
class QueueCount:
    queue: str
    status: str
    jobs: int


@dataclass(frozen=True, slots=True)
class QueueWorker:
    id: int
    last_heartbeat: datetime
    running: int
    """Jobs it has in "doing"."""


@dataclass(frozen=True, slots=True)
class SchedulerSession:
    name: str
    """"nashra-scheduler host:pid"."""
    since: datetime
    active: bool


def job_counts(conn: Connection) -> list[QueueCount]:
    rows = conn.execute(
        text(
            "SELECT queue_name, status::text, count(*) FROM procrastinate_jobs"
            " GROUP BY queue_name, status ORDER BY queue_name, status"
        )
    )
    return [QueueCount(*row) for row in rows]


def queue_workers(conn: Connection) -> list[QueueWorker]:
    rows = conn.execute(
        text(
            "SELECT w.id, w.last_heartbeat, count(j.id) FROM procrastinate_workers w"
            " LEFT JOIN procrastinate_jobs j ON j.worker_id = w.id AND j.status = 'doing'"
            " GROUP BY w.id, w.last_heartbeat ORDER BY w.id"
        )
    )
    return [QueueWorker(*row) for row in rows]


def scheduler_sessions(conn: Connection) -> list[SchedulerSession]:
    """Every scheduler connected to this database (each has its lock session and a small pool,
    all under its name), the one holding the lock first."""
    rows = conn.execute(
        text(
            "SELECT a.application_name, min(a.backend_start), bool_or(EXISTS ("
            "  SELECT 1 FROM pg_locks l WHERE l.pid = a.pid AND l.locktype = 'advisory' AND l.granted"
            "  AND l.classid::bigint = :high AND l.objid::bigint = :low AND l.objsubid = 1))"
            " FROM pg_stat_activity a"
            " WHERE a.datname = current_database() AND a.application_name LIKE :prefix"
            " GROUP BY a.application_name ORDER BY 3 DESC, 2"
        ),
        {
            "high": (SCHEDULER_LOCK_KEY >> 32) & 0xFFFFFFFF,
            "low": SCHEDULER_LOCK_KEY & 0xFFFFFFFF,
            "prefix": f"{SCHEDULER_APPLICATION} %",
        },
    )
    return [SchedulerSession(*row) for row in rows]
