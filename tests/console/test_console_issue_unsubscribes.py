"""The dashboard's unsubscribes of an issue: its recipients who unsubscribed after it went out; not
those who left before, nor those who never got it. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from nashra.store.database import Store
from nashra.store.deliveries import DeliveryStatus, deliveries, unsubscribed_since
from nashra.store.digests import insert_issue
from nashra.store.subscribers import SubscriberStatus, insert_subscriber, set_status


def test_unsubscribes_count_the_issues_recipients_who_left_after_it(store: Store) -> None:
    sent = datetime(2026, 12, 1, 7, tzinfo=UTC)
    with store.begin() as conn:
        issue = insert_issue(
            conn,
            digest="daily",
            subject="العدد",
            preheader="",
            html="<p>…</p>",
            text="…",
            archive_url="",
            articles=[],
            now=sent,
        )

        def reader(email: str, status: SubscriberStatus, since: datetime, *, got_it: bool) -> int:
            subscriber = insert_subscriber(
                conn, email=email, name="", status=status, consent_at=None, consent_source="test", now=since
            )
            if got_it:
                conn.execute(
                    deliveries.insert().values(
                        issue_id=issue, subscriber_id=subscriber, status=DeliveryStatus.SENT, updated_at=sent
                    )
                )
            return subscriber

        left = reader("left@oasis.example", SubscriberStatus.ACTIVE, sent - timedelta(days=9), got_it=True)
        set_status(conn, left, SubscriberStatus.UNSUBSCRIBED, now=sent + timedelta(hours=2), reason="link")
        reader("stays@oasis.example", SubscriberStatus.ACTIVE, sent - timedelta(days=9), got_it=True)
        reader("earlier@oasis.example", SubscriberStatus.UNSUBSCRIBED, sent - timedelta(days=1), got_it=True)
        reader(
            "elsewhere@oasis.example", SubscriberStatus.UNSUBSCRIBED, sent + timedelta(hours=1), got_it=False
        )
    with store.connect() as conn:
        assert unsubscribed_since(conn, issue, sent) == 1
