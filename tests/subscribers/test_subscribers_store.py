"""Store queries behind exactly-once sending, on SQLite and PostgreSQL: who is eligible, idempotent
queueing, keyset claims, skipping addresses that left after queueing, releasing stale claims."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import false, select, true

from nashra.store import Store, deliveries
from nashra.store import subscribers as db
from nashra.subscribers import add_subscriber

NOW = datetime(2026, 11, 30, 6, 0, tzinfo=UTC)


def _fill(store: Store) -> dict[str, int]:
    with store.begin() as conn:
        ids = {}
        for address, kwargs in {
            "all@example.com": {},
            "weekly-only@example.com": {"digests": ["weekly"]},
            "both-lists@example.com": {},
            "pending@example.com": {"status": "pending"},
            "vip@example.com": {"list_name": "vip"},
        }.items():
            ids[address] = add_subscriber(conn, address, now=NOW, **kwargs).subscriber_id  # type: ignore[arg-type]
        add_subscriber(conn, "both-lists@example.com", now=NOW, list_name="vip")
    return ids


def test_eligibility_and_idempotent_queueing(store: Store) -> None:
    ids = _fill(store)
    with store.begin() as conn:
        assert deliveries.count_eligible(conn, ["default"], "daily") == 2
        assert deliveries.count_eligible(conn, ["default"], "weekly") == 3
        assert deliveries.count_eligible(conn, ["default", "vip"], "daily") == 3
        assert deliveries.create_deliveries(conn, 1, ["default", "vip"], "daily", now=NOW) == 3
        assert deliveries.create_deliveries(conn, 1, ["default", "vip"], "daily", now=NOW) == 0
        assert deliveries.delivery_counts(conn, 1) == {"queued": 3}
        queued = {row.subscriber_id for row in conn.execute(deliveries.deliveries.select())}
    assert queued == {ids["all@example.com"], ids["both-lists@example.com"], ids["vip@example.com"]}


def test_keyset_claims_skip_departed_and_resolve_interrupted(store: Store) -> None:
    with store.begin() as conn:
        for n in range(8):
            add_subscriber(conn, f"r{n}@example.com", now=NOW)
        deliveries.create_deliveries(conn, 9, ["default"], "daily", now=NOW)
        leaving = db.find_subscriber(conn, "r2@example.com")
        assert leaving is not None
        db.set_status(conn, leaving.id, "unsubscribed", now=NOW)

    seen: list[str] = []
    cursor, skipped = 0, 0
    with store.connect() as conn:
        while True:
            result = deliveries.claim_batch(conn, 9, "run-1", after_id=cursor, limit=3, now=NOW, fence=true())
            conn.commit()
            if result.last_id is None:
                break
            cursor = result.last_id
            skipped += result.skipped
            seen += [c.email for c in result.claimed]
        assert seen == [f"r{n}@example.com" for n in range(8) if n != 2]
        assert skipped == 1
        assert deliveries.delivery_counts(conn, 9) == {"sending": 7, "skipped": 1}
        # A second sender finds nothing to claim while the rows are "sending".
        assert (
            deliveries.claim_batch(conn, 9, "run-2", after_id=0, limit=10, now=NOW, fence=true()).claimed
            == []
        )

        ids = [
            row.id
            for row in conn.execute(
                deliveries.deliveries.select()
                .where(deliveries.deliveries.c.status == "sending")
                .order_by(deliveries.deliveries.c.id)
            )
        ]
        # Writes name their claim: another claim's, or a fence that no longer holds, change nothing.
        held, lost = deliveries.HotWrites(conn, true()), deliveries.HotWrites(conn, false())
        assert held.mark_submitting(conn, ids[:3], "run-2", now=NOW) == 0
        assert lost.mark_submitting(conn, ids[:3], "run-1", now=NOW) == 0
        assert held.mark_submitting(conn, ids[:3], "run-1", now=NOW) == 3
        assert held.mark_sent(conn, ids[:2], "run-2", now=NOW) == 0
        assert held.mark_sent(conn, ids[:2], "run-1", now=NOW) == 2
        written = deliveries.deliveries.c
        assert conn.execute(
            select(written.sent_at, written.updated_at, written.attempts, written.claim).where(
                written.id == ids[0]
            )
        ).one() == (NOW, NOW, 1, None)
        assert deliveries.mark_deferred(
            conn, ids[3], "run-1", "451 later", next_attempt_at=NOW + timedelta(minutes=5), now=NOW
        )
        conn.commit()
        # A crash: ids[2] is "submitting" (its "." may have left), ids[4:] are "sending" (not).
        left = deliveries.resolve_interrupted(conn, 9, now=NOW, resend=False)
        conn.commit()
        assert (left.requeued, left.unknown) == (3, 1)
        assert deliveries.delivery_counts(conn, 9) == {
            "sent": 2,
            "unknown": 1,
            "queued": 3,
            "deferred": 1,
            "skipped": 1,
        }
        assert deliveries.next_due(conn, 9) == NOW + timedelta(minutes=5)
        not_yet = deliveries.claim_batch(conn, 9, "run-3", after_id=0, limit=10, now=NOW, fence=true())
        assert len(not_yet.claimed) == 3
        later = deliveries.claim_batch(
            conn, 9, "run-4", after_id=0, limit=10, now=NOW + timedelta(minutes=6), fence=true()
        )
        assert [c.delivery_id for c in later.claimed] == [ids[3]]
        # The "resend" policy queues unknown rows again (and turns in-flight ones into queued).
        resent = deliveries.resolve_interrupted(conn, 9, now=NOW, resend=True)
        assert resent.unknown == 1
        assert deliveries.delivery_counts(conn, 9)["queued"] == 5


def test_iter_subscribers_pages_through_everyone(store: Store) -> None:
    with store.begin() as conn:
        for n in range(25):
            add_subscriber(conn, f"p{n:02d}@example.com", now=NOW, list_name="a" if n % 2 else "b")
    with store.connect() as conn:
        everyone = [s.email for s in db.iter_subscribers(conn, chunk=4)]
        only_a = [s.email for s in db.iter_subscribers(conn, list_name="a", chunk=4)]
    assert everyone == [f"p{n:02d}@example.com" for n in range(25)]
    assert only_a == [f"p{n:02d}@example.com" for n in range(25) if n % 2]


def test_a_digest_name_is_matched_as_written_not_as_a_pattern(store: Store) -> None:
    """`%` and `_` are ordinary characters in a digest name: a digest named "%" reaches only those
    who chose it, not everyone who chose any digest (as a SQL LIKE pattern would)."""
    with store.begin() as conn:
        add_subscriber(conn, "percent@example.com", now=NOW, digests=["%"])
        add_subscriber(conn, "daily@example.com", now=NOW, digests=["daily"])
        add_subscriber(conn, "under@example.com", now=NOW, digests=["a_b"])
        add_subscriber(conn, "axb@example.com", now=NOW, digests=["axb"])
        assert deliveries.count_eligible(conn, ["default"], "%") == 1
        assert deliveries.count_eligible(conn, ["default"], "a_b") == 1
        assert deliveries.create_deliveries(conn, 1, ["default"], "%", now=NOW) == 1
