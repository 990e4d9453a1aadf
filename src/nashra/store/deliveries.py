"""One delivery row per (digest issue, subscriber).

The delivery row is what makes a send exactly-once: it is created before anything is sent, claimed
("sending") in small committed batches, and flipped to "sent" in its own commit *before* the final
"." of the SMTP DATA goes out (see nashra.mail.send for why that order). Rows are read by keyset
pagination on their id, so a million recipients never sit in memory at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    and_,
    exists,
    func,
    insert,
    literal,
    or_,
    select,
    update,
)

from nashra.store.schema import metadata
from nashra.store.subscribers import SubscriberStatus, lists, subscribers, subscriptions
from nashra.store.types import UTCDateTime


class DeliveryStatus(StrEnum):
    """`deliveries.status`; the values are the stored text."""

    QUEUED = "queued"
    SENDING = "sending"  # claimed by a sender; its final "." not yet sent
    SENT = "sent"
    FAILED = "failed"
    DEFERRED = "deferred"  # a temporary refusal: due again at `next_attempt_at`
    SKIPPED = "skipped"  # the subscriber is no longer active


deliveries = Table(
    "deliveries",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("issue_id", Integer, nullable=False),
    Column("subscriber_id", Integer, ForeignKey("subscribers.id", ondelete="CASCADE"), nullable=False),
    Column("status", String(20), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("last_error", Text),
    Column("claim", String(40)),
    Column("next_attempt_at", UTCDateTime()),
    Column("sent_at", UTCDateTime()),
    Column("updated_at", UTCDateTime(), nullable=False),
    UniqueConstraint("issue_id", "subscriber_id"),
    Index(None, "issue_id", "status"),
)


@dataclass(frozen=True, slots=True)
class Claimed:
    """One claimed delivery with what is needed to personalise its message."""

    delivery_id: int
    subscriber_id: int
    email: str
    name: str
    attempts: int


def forget(conn: Connection, subscriber_id: int) -> None:
    """Erase a subscriber's deliveries (before erasing the subscriber)."""
    conn.execute(deliveries.delete().where(deliveries.c.subscriber_id == subscriber_id))


def _eligible(list_names: Sequence[str], digest: str) -> Any:
    """Active subscribers of any of `list_names` who receive `digest`, each once."""
    return select(subscribers.c.id).where(
        subscribers.c.status == SubscriberStatus.ACTIVE,
        exists().where(
            subscriptions.c.subscriber_id == subscribers.c.id,
            subscriptions.c.list_id.in_(select(lists.c.id).where(lists.c.name.in_(list(list_names)))),
            or_(
                subscriptions.c.digests == "",
                subscriptions.c.digests.contains(f",{digest},", autoescape=True),
            ),
        ),
    )


def count_eligible(conn: Connection, list_names: Sequence[str], digest: str) -> int:
    return int(
        conn.execute(select(func.count()).select_from(_eligible(list_names, digest).subquery())).scalar_one()
    )


def create_deliveries(
    conn: Connection, issue_id: int, list_names: Sequence[str], digest: str, *, now: datetime
) -> int:
    """Queue one delivery per eligible subscriber not already queued for this issue (idempotent),
    in one INSERT … SELECT so the subscribers never pass through Python."""
    source = _eligible(list_names, digest).where(
        ~exists().where(deliveries.c.issue_id == issue_id, deliveries.c.subscriber_id == subscribers.c.id)
    )
    source = source.with_only_columns(
        literal(issue_id),
        subscribers.c.id,
        literal(DeliveryStatus.QUEUED.value),
        literal(0),
        literal(now, UTCDateTime()),
    )

    def queued() -> int:
        return int(conn.execute(select(func.count()).where(deliveries.c.issue_id == issue_id)).scalar_one())

    before = queued()  # rowcount of INSERT … SELECT is not reported by every driver (psycopg: -1)
    conn.execute(
        insert(deliveries).from_select(
            ["issue_id", "subscriber_id", "status", "attempts", "updated_at"], source
        )
    )
    return queued() - before


def release_stale_claims(conn: Connection, issue_id: int, *, now: datetime) -> int:
    """Rows a dead sender left in "sending" never had their final "." sent: queue them again."""
    result = conn.execute(
        update(deliveries)
        .where(deliveries.c.issue_id == issue_id, deliveries.c.status == DeliveryStatus.SENDING)
        .values(status=DeliveryStatus.QUEUED, claim=None, updated_at=now)
    )
    return int(result.rowcount or 0)


@dataclass(frozen=True, slots=True)
class ClaimResult:
    claimed: list[Claimed]
    last_id: int | None
    """The last row looked at (the next keyset start), None when nothing is left after `after_id`."""
    skipped: int


def claim_batch(
    conn: Connection,
    issue_id: int,
    claim: str,
    *,
    after_id: int,
    limit: int,
    now: datetime,
) -> ClaimResult:
    """Claim the next `limit` due deliveries after `after_id` (keyset), marking "skipped" those
    whose subscriber is no longer active. The caller commits."""
    due = or_(
        deliveries.c.status == DeliveryStatus.QUEUED,
        and_(deliveries.c.status == DeliveryStatus.DEFERRED, deliveries.c.next_attempt_at <= now),
    )
    rows = conn.execute(
        select(
            deliveries.c.id,
            deliveries.c.subscriber_id,
            deliveries.c.attempts,
            subscribers.c.email,
            subscribers.c.name,
            subscribers.c.status,
        )
        .join(subscribers, subscribers.c.id == deliveries.c.subscriber_id)
        .where(deliveries.c.issue_id == issue_id, deliveries.c.id > after_id, due)
        .order_by(deliveries.c.id)
        .limit(limit)
    ).all()
    if not rows:
        return ClaimResult([], None, 0)
    gone = [r.id for r in rows if r.status != SubscriberStatus.ACTIVE]
    live = [r.id for r in rows if r.status == SubscriberStatus.ACTIVE]
    if gone:
        conn.execute(
            update(deliveries)
            .where(deliveries.c.id.in_(gone), due)
            .values(status=DeliveryStatus.SKIPPED, updated_at=now, last_error="subscriber no longer active")
        )
    if not live:
        return ClaimResult([], rows[-1].id, len(gone))
    mine = set(
        conn.execute(
            update(deliveries)
            .where(deliveries.c.id.in_(live), due)
            .values(status=DeliveryStatus.SENDING, claim=claim, updated_at=now)
            .returning(deliveries.c.id)
        ).scalars()
    )
    claimed = [Claimed(r.id, r.subscriber_id, r.email, r.name, r.attempts) for r in rows if r.id in mine]
    return ClaimResult(claimed, rows[-1].id, len(gone))


def mark_sent(conn: Connection, delivery_ids: Sequence[int], *, now: datetime) -> None:
    if delivery_ids:
        conn.execute(
            update(deliveries)
            .where(deliveries.c.id.in_(delivery_ids))
            .values(
                status=DeliveryStatus.SENT,
                sent_at=now,
                claim=None,
                updated_at=now,
                attempts=deliveries.c.attempts + 1,
            )
        )


def mark_deferred(
    conn: Connection,
    delivery_id: int,
    error: str,
    *,
    next_attempt_at: datetime,
    now: datetime,
    counted: int = 1,
) -> None:
    """A temporary refusal; `counted` = 0 when mark_sent already counted this attempt."""
    conn.execute(
        update(deliveries)
        .where(deliveries.c.id == delivery_id)
        .values(
            status=DeliveryStatus.DEFERRED,
            last_error=error,
            next_attempt_at=next_attempt_at,
            claim=None,
            sent_at=None,
            updated_at=now,
            attempts=deliveries.c.attempts + counted,
        )
    )


def mark_failed(conn: Connection, delivery_id: int, error: str, *, now: datetime, counted: int = 1) -> None:
    conn.execute(
        update(deliveries)
        .where(deliveries.c.id == delivery_id)
        .values(
            status=DeliveryStatus.FAILED,
            last_error=error,
            claim=None,
            sent_at=None,
            updated_at=now,
            attempts=deliveries.c.attempts + counted,
        )
    )


def requeue(conn: Connection, delivery_ids: Sequence[int], *, now: datetime) -> None:
    """Give back claimed rows that were never attempted (send stopped or paused)."""
    if delivery_ids:
        conn.execute(
            update(deliveries)
            .where(deliveries.c.id.in_(delivery_ids), deliveries.c.status == DeliveryStatus.SENDING)
            .values(status=DeliveryStatus.QUEUED, claim=None, updated_at=now)
        )


def delivery_counts(conn: Connection, issue_id: int) -> dict[str, int]:
    rows = conn.execute(
        select(deliveries.c.status, func.count())
        .where(deliveries.c.issue_id == issue_id)
        .group_by(deliveries.c.status)
    )
    return {status: int(n) for status, n in rows}


def next_due(conn: Connection, issue_id: int) -> datetime | None:
    """When the earliest deferred delivery of an issue becomes due again."""
    return conn.execute(
        select(func.min(deliveries.c.next_attempt_at)).where(
            deliveries.c.issue_id == issue_id, deliveries.c.status == DeliveryStatus.DEFERRED
        )
    ).scalar()
