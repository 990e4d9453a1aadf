"""The intent commit left running on PostgreSQL (nashra.store.overlapped): its writes are those of
`HotWrites`, all of the intent or nothing, and the connection is left as it was found."""

from __future__ import annotations

import select
import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import Connection, false, text, true

from nashra.store import Store, deliveries
from nashra.store.overlapped import CommitFailed, Fenced, PendingCommit, libpq_handle
from nashra.subscribers import add_subscriber

NOW = datetime(2026, 12, 1, 6, 0, tzinfo=UTC)
ISSUE = 4

pytestmark = pytest.mark.postgres_only


def _claimed(store: Store, claim: str, count: int) -> list[int]:
    with store.begin() as conn:
        for n in range(count):
            add_subscriber(conn, f"reader{n}@oasis.example", now=NOW)
        deliveries.create_deliveries(conn, ISSUE, ["default"], "daily", now=NOW)
        result = deliveries.claim_batch(conn, ISSUE, claim, after_id=0, limit=count, now=NOW, fence=true())
    return [c.delivery_id for c in result.claimed]


def _statuses(store: Store) -> list[str]:
    with store.connect() as conn:
        rows = conn.execute(deliveries.deliveries.select().order_by(deliveries.deliveries.c.id))
        return [row.status for row in rows]


def _run(conn: Connection, script: list[str]) -> PendingCommit:
    handle = libpq_handle(conn)
    assert handle is not None, "psycopg 3 under SQLAlchemy"
    commit = PendingCommit(handle, script)
    while not commit.done():  # what the SMTP session does: wait on the socket with the lanes
        select.select([commit.fileno()], [], [], 5)
    return commit


def test_intents_and_outcomes_in_one_round_trip(store: Store) -> None:
    claim = uuid.uuid4().hex
    ids = _claimed(store, claim, 6)
    with store.connect() as conn:
        hot = deliveries.HotWrites(conn, true())
        assert hot.mark_submitting(conn, ids[:2], claim, now=NOW) == 2
        conn.commit()
        # Intents for the next three, "sent" for the first two: one script, one commit.
        commit = _run(conn, hot.script(ids[2:5], ids[:2], claim, now=NOW))
        assert commit.rowcounts == [1, 2]  # the guard's one row, then the rows marked "sent"
        # The connection is free and idle: ordinary statements go on as before.
        assert hot.mark_sent(conn, ids[2:3], claim, now=NOW) == 1
        conn.commit()
    assert _statuses(store) == ["sent", "sent", "sent", "submitting", "submitting", "sending"]


@pytest.mark.parametrize("lost", ["fence", "rows"])
def test_a_guard_that_fails_writes_nothing(store: Store, lost: str) -> None:
    claim = uuid.uuid4().hex
    ids = _claimed(store, claim, 4)
    with store.connect() as conn:
        hot = deliveries.HotWrites(conn, false() if lost == "fence" else true())
        ready = deliveries.HotWrites(conn, true())
        assert ready.mark_submitting(conn, ids[:1], claim, now=NOW) == 1
        conn.commit()
        # A lost lock, or one row no longer this claim's: neither the intents nor the outcome.
        other = uuid.uuid4().hex if lost == "rows" else claim
        with pytest.raises(Fenced):
            _run(conn, hot.script([*ids[1:3], 99_999], ids[:1], other, now=NOW))
        assert _statuses(store) == ["submitting", "sending", "sending", "sending"]
        # Rolled back: the connection takes the next statement.
        assert ready.mark_sent(conn, ids[:1], claim, now=NOW) == 1
        conn.commit()
    assert _statuses(store) == ["sent", "sending", "sending", "sending"]


def test_a_connection_lost_mid_commit_is_a_failed_commit(store: Store) -> None:
    with store.connect() as conn:
        handle = libpq_handle(conn)
        assert handle is not None
        commit = PendingCommit(handle, ["SELECT pg_sleep(30)"])
        with store.connect() as admin:
            admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": handle.backend_pid})
        with pytest.raises(CommitFailed, match="connection lost"):
            commit.wait()
        with pytest.raises(CommitFailed):  # settled: asking again gives the same answer
            commit.done()
