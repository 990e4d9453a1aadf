"""One sender per digest at a time, across processes and machines sharing the store.

A restarted sender re-queues the rows a dead one left "sending"; if the other sender were still
alive, that would send those rows twice. The lock dies with its holder (a PostgreSQL session
advisory lock; an flock on a file beside the SQLite database), so a crash never leaves it stuck
and a restart right after a `kill -9` can take over at once.

A lock that dies with its session can also die under a *live* sender: the session is terminated
by an administrator, a pooler or `idle_session_timeout`, and a second sender takes over. So the
holder carries a fence: a SQL condition true only while its lock session still holds the lock,
which every claim and every intent to send is written under (nashra.store.deliveries). A fenced-off
sender's writes change nothing, it sees that, and it stops before its next "." — the one thing that
would make a duplicate. The lock session is also kept from idling (`keepalive`).

In the distributed mode an issue is sent in batches, each a job any worker may take. A batch
holds its own lock (one sender per batch, fenced the same way) and its digest's lock *shared*:
batches run side by side, and never beside a sender of the whole digest (`nashra digest send`,
or the job that opens the issue and queues its batches), which holds the digest's lock alone.
"""

from __future__ import annotations

import fcntl
import hashlib
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from sqlalchemy import (
    BigInteger,
    Boolean,
    ColumnElement,
    Connection,
    Integer,
    String,
    cast,
    column,
    exists,
    table,
    text,
    true,
)
from sqlalchemy.exc import DBAPIError

from nashra.store import Store

KEEPALIVE_SECONDS = 10.0

_PG_LOCKS = table(
    "pg_locks",
    column("locktype", String),
    column("granted", Boolean),
    column("pid", Integer),
    column("classid", BigInteger),
    column("objid", BigInteger),
    column("objsubid", Integer),
)


def _key(name: str) -> bytes:
    return hashlib.sha256(f"nashra-send:{name}".encode()).digest()


def _pg_key(name: str) -> int:
    return int.from_bytes(_key(name)[:8], "big", signed=True)


SHARED_WAIT_SECONDS = 10.0
"""How long a batch waits for a digest's lock held alone (by the job queueing its batches, which
lets go once they are queued) before it gives up and is queued again."""


class Fence:
    """What this process holds while it is a digest's sender."""

    def __init__(self, clause: ColumnElement[bool], session: Connection | None = None) -> None:
        self.clause = clause
        """Add to every write that is only right while the lock is held."""
        self._session = session
        self._touched = time.monotonic()

    def keepalive(self) -> bool:
        """Keep the lock's session from idling out; False once it has gone (the lock with it)."""
        if self._session is None or time.monotonic() - self._touched < KEEPALIVE_SECONDS:
            return True
        try:
            self._session.execute(text("SELECT 1"))
            self._session.commit()
        except DBAPIError:
            return False
        self._touched = time.monotonic()
        return True


def _shared(conn: Connection, key: int) -> bool:
    """The digest's lock in shared mode, waiting a little for the one holding it alone."""
    deadline = time.monotonic() + SHARED_WAIT_SECONDS
    while True:
        taken = bool(conn.execute(text("SELECT pg_try_advisory_lock_shared(:key)"), {"key": key}).scalar())
        conn.commit()
        if taken or time.monotonic() > deadline:
            return taken
        time.sleep(0.2)


@contextmanager
def _postgres_lock(store: Store, key: int, *, within: int | None = None) -> Iterator[Fence | None]:
    """`key` alone, on a session of its own; with `within`, that lock shared first (a batch holds
    its digest's lock shared, so the digest's sender alone — which holds it exclusively — never
    runs beside a batch, and batches run beside each other)."""
    with store.engine.connect() as conn:
        if within is not None and not _shared(conn, within):
            yield None
            return
        try:
            row = conn.execute(
                text("SELECT pg_try_advisory_lock(:key), pg_backend_pid()"), {"key": key}
            ).one()
            conn.commit()
            if not row[0]:
                yield None
                return
            # pg_locks shows a bigint key as its high half in classid and its low half in objid.
            held = exists().where(
                _PG_LOCKS.c.locktype == "advisory",
                _PG_LOCKS.c.granted,
                _PG_LOCKS.c.pid == row[1],
                cast(_PG_LOCKS.c.classid, BigInteger) == (key >> 32) & 0xFFFFFFFF,
                cast(_PG_LOCKS.c.objid, BigInteger) == key & 0xFFFFFFFF,
                _PG_LOCKS.c.objsubid == 1,
            )
            try:
                yield Fence(held, conn)
            finally:
                with suppress(DBAPIError):  # a session that died released the lock with it
                    conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
                    conn.commit()
        finally:
            if within is not None:
                with suppress(DBAPIError):
                    conn.execute(text("SELECT pg_advisory_unlock_shared(:key)"), {"key": within})
                    conn.commit()


@contextmanager
def _file_lock(path: Path) -> Iterator[Fence | None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield None
            return
        try:
            yield Fence(true())  # an flock lives as long as this process: nothing can take it away
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextmanager
def sender_lock(store: Store, digest: str) -> Iterator[Fence | None]:
    """Yields this process's fence as the digest's only sender, or None when another one is."""
    if store.backend == "postgresql":
        with _postgres_lock(store, _pg_key(digest)) as fence:
            yield fence
        return
    database = store.engine.url.database
    if not database or database == ":memory:":  # one process by construction
        yield Fence(true())
        return
    lock = Path(database).with_name(f".{Path(database).name}.send-{_key(digest).hex()[:16]}.lock")
    with _file_lock(lock) as fence:
        yield fence


@contextmanager
def batch_lock(store: Store, digest: str, batch: str) -> Iterator[Fence | None]:
    """Yields this process's fence as the only sender of one batch of a digest's issue (`batch`
    names the issue and the span), or None when another process sends that batch or the digest
    is being sent whole. PostgreSQL only: batches are jobs of the distributed mode."""
    with _postgres_lock(store, _pg_key(f"{digest}:{batch}"), within=_pg_key(digest)) as fence:
        yield fence
