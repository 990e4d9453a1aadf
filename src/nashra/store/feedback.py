"""Reports about sent mail that arrive later (issue #16): bounces, complaints and unsubscribes by
mail, each once, with what Nashra did about it.

`key` is the report's own identity at its source (a service's event id, a message's Message-ID),
unique: a webhook retried or a mailbox read twice finds its report already here and changes
nothing. Rows of a subscriber are erased with the subscriber.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    Column,
    Connection,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    func,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite

from nashra.store.deliveries import DeliveryStatus, deliveries
from nashra.store.schema import metadata
from nashra.store.subscribers import subscribers
from nashra.store.types import UTCDateTime


class Kind(StrEnum):
    """What a report says happened; the values are the stored text."""

    HARD_BOUNCE = "hard_bounce"  # the mailbox does not exist (any more)
    SOFT_BOUNCE = "soft_bounce"  # it exists but did not take this issue (full, over quota, …)
    COMPLAINT = "complaint"  # the reader pressed "spam" (a feedback-loop report)
    UNSUBSCRIBE = "unsubscribe"  # mail to the List-Unsubscribe mailto: address


class Outcome(StrEnum):
    """What Nashra did with a report; the values are the stored text."""

    SUPPRESSED = "suppressed"  # the subscriber's status changed because of it
    COUNTED = "counted"  # kept and counted (a soft bounce below the limit)
    ALREADY = "already"  # the subscriber was already in that status or a stronger one
    UNMATCHED = "unmatched"  # names no subscriber Nashra can trust it about
    DUPLICATE = "duplicate"  # this report was received before (not stored again)


feedback = Table(
    "feedback_reports",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("key", String(300), nullable=False, unique=True),
    Column("source", String(40), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("subscriber_id", Integer, ForeignKey("subscribers.id", ondelete="CASCADE")),
    Column("issue_id", Integer),
    # Only for an unmatched report from a service that names the address (never the subscriber's:
    # a matched report points at the row, which erasure removes).
    Column("email", String(320)),
    Column("reason", Text, nullable=False, default=""),
    Column("outcome", String(20), nullable=False),
    Column("occurred_at", UTCDateTime(), nullable=False),
    Column("received_at", UTCDateTime(), nullable=False),
    Index(None, "subscriber_id", "kind", "issue_id"),
    Index(None, "issue_id", "kind"),
)


def claim(
    conn: Connection,
    *,
    key: str,
    source: str,
    kind: Kind,
    occurred_at: datetime,
    now: datetime,
) -> int | None:
    """Store a new report (outcome to be set), or None when `key` was stored before: one INSERT …
    ON CONFLICT DO NOTHING, so of two pollers reading one mailbox exactly one acts on a report."""
    insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    statement = (
        insert(feedback)
        .values(
            key=key,
            source=source,
            kind=kind,
            outcome=Outcome.UNMATCHED,
            occurred_at=occurred_at,
            received_at=now,
        )
        .on_conflict_do_nothing(index_elements=[feedback.c.key])
        .returning(feedback.c.id)
    )
    return conn.execute(statement).scalar()


def settle(
    conn: Connection,
    report_id: int,
    outcome: Outcome,
    *,
    reason: str,
    subscriber_id: int | None = None,
    issue_id: int | None = None,
    email: str | None = None,
) -> None:
    conn.execute(
        update(feedback)
        .where(feedback.c.id == report_id)
        .values(outcome=outcome, reason=reason, subscriber_id=subscriber_id, issue_id=issue_id, email=email)
    )


def latest_sent_issues(conn: Connection, subscriber_id: int, count: int) -> list[int]:
    """The `count` newest issues that went out to this subscriber, newest first."""
    rows = conn.execute(
        select(deliveries.c.issue_id)
        .where(deliveries.c.subscriber_id == subscriber_id, deliveries.c.status == DeliveryStatus.SENT)
        .order_by(deliveries.c.id.desc())
        .limit(count)
    )
    return [int(r.issue_id) for r in rows]


def issues_with(conn: Connection, subscriber_id: int, kind: Kind, issue_ids: Sequence[int]) -> set[int]:
    """Which of `issue_ids` have a report of `kind` about this subscriber."""
    rows = conn.execute(
        select(feedback.c.issue_id)
        .where(
            feedback.c.subscriber_id == subscriber_id,
            feedback.c.kind == kind,
            feedback.c.issue_id.in_(list(issue_ids)),
        )
        .distinct()
    )
    return {int(r.issue_id) for r in rows}


def counts_by_issue(conn: Connection, issue_ids: Sequence[int]) -> dict[int, Counter[Kind]]:
    """Reports per issue and kind (duplicates are never stored, so each counts once)."""
    rows = conn.execute(
        select(feedback.c.issue_id, feedback.c.kind, func.count())
        .where(feedback.c.issue_id.in_(list(issue_ids)))
        .group_by(feedback.c.issue_id, feedback.c.kind)
    )
    counts: dict[int, Counter[Kind]] = {}
    for issue_id, kind, n in rows:
        counts.setdefault(int(issue_id), Counter())[Kind(kind)] = int(n)
    return counts


def unmatched_count(conn: Connection) -> int:
    return int(
        conn.execute(select(func.count()).where(feedback.c.outcome == Outcome.UNMATCHED)).scalar() or 0
    )


@dataclass(frozen=True, slots=True)
class ListedReport:
    """A report as the operator's commands list it: its subscriber's address when it matched
    one, else the address a service named (if any)."""

    occurred_at: datetime
    received_at: datetime
    source: str
    kind: Kind
    issue_id: int | None
    outcome: Outcome
    email: str | None
    reason: str


def recent(
    conn: Connection, *, subscriber_id: int | None = None, unmatched: bool = False, limit: int = 50
) -> list[ListedReport]:
    """The newest reports (about one subscriber, or that matched nobody), newest first."""
    query = (
        select(feedback, subscribers.c.email.label("subscriber_email"))
        .outerjoin(subscribers, subscribers.c.id == feedback.c.subscriber_id)
        .order_by(feedback.c.id.desc())
        .limit(limit)
    )
    if subscriber_id is not None:
        query = query.where(feedback.c.subscriber_id == subscriber_id)
    if unmatched:
        query = query.where(feedback.c.outcome == Outcome.UNMATCHED)
    return [
        ListedReport(
            r.occurred_at,
            r.received_at,
            r.source,
            Kind(r.kind),
            r.issue_id,
            Outcome(r.outcome),
            r.subscriber_email or r.email,
            r.reason,
        )
        for r in conn.execute(query)
    ]
