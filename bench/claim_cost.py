"""Cost of one 50-row claim as the queue grows, on SQLite and PostgreSQL: Nashra's claim (one
keyset query per status on the (issue_id, status, id) index) against the claim it replaced (one
query with an OR of the two due states, then the same UPDATE), interleaved, on the same freshly
queued table (no manual ANALYZE; both on the current schema). Each claim is rolled back so every
one sees the same queue.

    .venv/bin/python bench/claim_cost.py [--sizes 2000 20000 200000] [--postgres URL]

Each round claims at the front, the middle and the end of the queue; medians of the rounds.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Connection, and_, create_engine, insert, or_, select, text, true, update
from sqlalchemy.engine import make_url

from nashra.store import open_store
from nashra.store.deliveries import DeliveryStatus, claim_batch, deliveries
from nashra.store.subscribers import subscribers

NOW = datetime(2026, 12, 1, tzinfo=UTC)
ROUNDS = 15


def _fill(store_url: str, size: int) -> None:
    store = open_store(store_url)
    with store.begin() as conn:
        conn.execute(
            insert(subscribers),
            [
                {
                    "email": f"r{n}@example.com",
                    "name": "",
                    "status": "active",
                    "created_at": NOW,
                    "updated_at": NOW,
                }
                for n in range(size)
            ],
        )
        ids = conn.execute(select(subscribers.c.id)).scalars().all()
        conn.execute(
            insert(deliveries),
            [
                {"issue_id": 1, "subscriber_id": i, "status": "queued", "attempts": 0, "updated_at": NOW}
                for i in ids
            ],
        )
    store.close()


def old_claim(conn: Connection, after_id: int) -> None:
    """The claim as it was before (commit 4772e5a): one query with an OR of the two due states."""
    due = or_(
        deliveries.c.status == DeliveryStatus.QUEUED,
        and_(deliveries.c.status == DeliveryStatus.DEFERRED, deliveries.c.next_attempt_at <= NOW),
    )
    rows = conn.execute(
        select(deliveries.c.id, subscribers.c.email, subscribers.c.status)
        .join(subscribers, subscribers.c.id == deliveries.c.subscriber_id)
        .where(deliveries.c.issue_id == 1, deliveries.c.id > after_id, due)
        .order_by(deliveries.c.id)
        .limit(50)
    ).all()
    conn.execute(
        update(deliveries)
        .where(deliveries.c.id.in_([r.id for r in rows]), due)
        .values(status=DeliveryStatus.SENDING, claim="bench", updated_at=NOW)
        .returning(deliveries.c.id)
    ).all()


def measure(url: str, size: int) -> tuple[float, float]:
    _fill(url, size)
    store = open_store(url)
    old, new = [], []
    with store.engine.connect() as conn:
        for _ in range(ROUNDS):
            for after in (0, size // 2, size - 100):
                started = time.perf_counter()
                old_claim(conn, after)
                old.append(time.perf_counter() - started)
                conn.rollback()  # leave the rows queued for the next claim
                started = time.perf_counter()
                claim_batch(conn, 1, "bench", after_id=after, limit=50, now=NOW, fence=true())
                new.append(time.perf_counter() - started)
                conn.rollback()
    store.close()
    return statistics.median(old) * 1000, statistics.median(new) * 1000


def _postgres(url: str) -> tuple[str, object]:
    admin = create_engine(make_url(url).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT")
    name = f"nashra_bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    return make_url(url).set(database=name).render_as_string(hide_password=False), (admin, name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[2000, 20_000, 200_000])
    parser.add_argument("--postgres", default="postgresql://postgres@localhost:5432/test")
    args = parser.parse_args()
    print(f"one 50-row claim, median of {ROUNDS} rounds x 3 positions (ms)")
    print(f"{'database':10} {'queued':>8} {'OR claim':>10} {'nashra':>8} {'ratio':>7}")
    for size in args.sizes:
        with tempfile.TemporaryDirectory() as folder:
            old, new = measure(f"sqlite:///{Path(folder) / 'bench.db'}", size)
        print(f"{'sqlite':10} {size:8,} {old:10.2f} {new:8.2f} {old / new:6.1f}x")
        url, (admin, name) = _postgres(args.postgres)
        try:
            old, new = measure(url, size)
        finally:
            with admin.connect() as conn:  # type: ignore[attr-defined]
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        print(f"{'postgresql':10} {size:8,} {old:10.2f} {new:8.2f} {old / new:6.1f}x")


if __name__ == "__main__":
    main()
