"""Every change of a subscriber's status is kept with its reason and time, whoever made it (the
console, the CLI, a bounce, an unsubscribe link, a confirmation, an import), so an operator can see
a subscriber's whole history (issue #15); erasing the subscriber erases it too."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from nashra.store import Store
from nashra.store import subscribers as db
from nashra.store.subscribers import SubscriberStatus
from nashra.subscribers import add_subscriber
from nashra.subscribers.csvio import import_csv
from nashra.subscribers.manage import confirm_subscriber, reactivate_subscriber, remove_subscriber

NOW = datetime(2026, 11, 30, 6, 0, tzinfo=UTC)


def _history(store: Store, email: str) -> list[tuple[str, str, str | None]]:
    with store.connect() as conn:
        found = db.find_subscriber(conn, email)
        assert found is not None
        return [(c.from_status.value, c.status.value, c.reason) for c in db.status_history(conn, found.id)]


def test_each_status_change_is_kept_with_its_reason(store: Store, tmp_path: Path) -> None:
    with store.begin() as conn:
        add_subscriber(conn, "salma@example.org", now=NOW, status="pending")  # type: ignore[arg-type]
        found = db.find_subscriber(conn, "salma@example.org")
        assert found is not None
        confirm_subscriber(conn, found, requested_at=NOW, now=NOW + timedelta(minutes=1), source="web")
        db.set_status(
            conn, found.id, SubscriberStatus.BOUNCED, now=NOW + timedelta(days=1), reason="5.1.1 no such user"
        )
        reactivate_subscriber(
            conn, "salma@example.org", reason="she wrote: mailbox restored", now=NOW + timedelta(days=2)
        )
        remove_subscriber(conn, "salma@example.org", now=NOW + timedelta(days=3), reason="asked by phone")
    csv = tmp_path / "list.csv"
    csv.write_text("email,status\nsalma@example.org,active\nomar@example.org,active\n", "utf-8")
    import_csv(store.begin, csv, now=NOW + timedelta(days=4))
    # Newest first; the import did not revive the unsubscribed address, so it changed nothing; a
    # subscriber's first status is the one it was created with (its row says when and from where).
    assert _history(store, "salma@example.org") == [
        ("active", "unsubscribed", "removed by operator: asked by phone"),
        ("bounced", "active", "reactivated by operator (was bounced): she wrote: mailbox restored"),
        ("active", "bounced", "5.1.1 no such user"),
        ("pending", "active", None),
    ]
    assert _history(store, "omar@example.org") == []


def test_erasing_a_subscriber_erases_their_history(store: Store) -> None:
    with store.begin() as conn:
        add_subscriber(conn, "gone@example.org", now=NOW)
        remove_subscriber(conn, "gone@example.org", now=NOW, reason="test")
        found = db.find_subscriber(conn, "gone@example.org")
        assert found is not None and len(db.status_history(conn, found.id)) == 1
        remove_subscriber(conn, "gone@example.org", now=NOW, forget=True)
        assert db.status_history(conn, found.id) == []
