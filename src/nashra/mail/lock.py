"""One sender per digest at a time, across processes and machines sharing the store.

A restarted sender re-queues the rows a dead one left "sending"; if the other sender were still
alive, that would send those rows twice. The lock dies with its holder (a PostgreSQL session
advisory lock; an flock on a file beside the SQLite database), so a crash never leaves it stuck
and a restart right after a `kill -9` can take over at once.
"""

from __future__ import annotations

import fcntl
import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import text

from nashra.store import Store


def _key(digest: str) -> bytes:
    return hashlib.sha256(f"nashra-send:{digest}".encode()).digest()


@contextmanager
def _postgres_lock(store: Store, digest: str) -> Iterator[bool]:
    key = int.from_bytes(_key(digest)[:8], "big", signed=True)
    with store.engine.connect() as conn:
        held = bool(conn.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": key}).scalar())
        conn.commit()
        try:
            yield held
        finally:
            if held:
                conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
                conn.commit()


@contextmanager
def _file_lock(path: Path) -> Iterator[bool]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextmanager
def sender_lock(store: Store, digest: str) -> Iterator[bool]:
    """Yields True when this process is now the digest's only sender, False when another one is."""
    if store.backend == "postgresql":
        with _postgres_lock(store, digest) as held:
            yield held
        return
    database = store.engine.url.database
    if not database or database == ":memory:":  # one process by construction
        yield True
        return
    lock = Path(database).with_name(f".{Path(database).name}.send-{_key(digest).hex()[:16]}.lock")
    with _file_lock(lock) as held:
        yield held
