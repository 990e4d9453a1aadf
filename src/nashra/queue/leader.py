"""Which scheduler is the active one: the holder of a PostgreSQL session advisory lock.

Several `nashra run` schedulers may run for availability; each holds a connection of its own
(named "nashra-scheduler host:pid" in pg_stat_activity, which is how `nashra status` lists them)
and tries the lock every `POLL_SECONDS`. The lock dies with its session, so when the active one
is killed, its machine lost or its session terminated, a standby has it within about a second.
The active one checks every `POLL_SECONDS` that its session still holds the lock and stops
queueing the moment it does not; it then waits `STEP_DOWN_SECONDS` before trying again, so that
a standby (which tries every second) takes over rather than the scheduler whose session was just
ended from outside. Between losing it and noticing, both may queue the same unit:
the unit's queueing lock turns the second into a no-op, and every stage is idempotent.
"""

from __future__ import annotations

import logging
from contextlib import suppress

import psycopg

from nashra.logs import event
from nashra.store.queue_state import SCHEDULER_LOCK_KEY

log = logging.getLogger(__name__)

POLL_SECONDS = 1.0
STEP_DOWN_SECONDS = 3 * POLL_SECONDS

_HELD = (
    "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE pid = pg_backend_pid() AND locktype = 'advisory'"
    " AND granted AND classid::bigint = %(high)s AND objid::bigint = %(low)s AND objsubid = 1)"
)


class Leadership:
    """This process's claim to be the active scheduler, on a connection of its own."""

    def __init__(self, conninfo: str, name: str) -> None:
        self._conninfo = conninfo
        self._name = name
        self._conn: psycopg.Connection[tuple[bool]] | None = None

    def _connection(self) -> psycopg.Connection[tuple[bool]]:
        if self._conn is None or self._conn.closed:
            self._conn = psycopg.connect(
                self._conninfo, autocommit=True, application_name=self._name, connect_timeout=5
            )
        return self._conn

    def _ask(self, query: str) -> bool:
        """One yes/no question on the lock session; a session that died answers no."""
        try:
            row = self._connection().execute(query, self._params).fetchone()
        except psycopg.Error as exc:
            event(log, "scheduler.lock_session_lost", level=logging.WARNING, error=str(exc).strip())
            self.close()
            return False
        return bool(row and row[0])

    @property
    def _params(self) -> dict[str, int]:
        return {
            "key": SCHEDULER_LOCK_KEY,
            "high": (SCHEDULER_LOCK_KEY >> 32) & 0xFFFFFFFF,
            "low": SCHEDULER_LOCK_KEY & 0xFFFFFFFF,
        }

    def try_acquire(self) -> bool:
        """Take the lock if no other scheduler's session holds it (never waits)."""
        return self._ask("SELECT pg_try_advisory_lock(%(key)s)")

    def held(self) -> bool:
        """Whether this session still holds the lock (and is still alive)."""
        return self._ask(_HELD)

    def close(self) -> None:
        """Let go: closing the session releases the lock for a standby."""
        if self._conn is not None:
            with suppress(psycopg.Error):
                self._conn.close()
        self._conn = None
