"""Subscribers, their lists, and one delivery row per (digest issue, subscriber).

The delivery row is what makes a send exactly-once: it is created before anything is sent, claimed
("sending") in small committed batches, and flipped to "sent" in its own commit *before* the final
"." of the SMTP DATA goes out (see nashra.mail.send for why that order). Rows are read by keyset
pagination on their id, so a million recipients never sit in memory at once.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
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
from nashra.store.types import UTCDateTime

SUBSCRIBER_STATUSES = ("pending", "active", "unsubscribed", "bounced", "complained")
DELIVERY_STATUSES = ("queued", "sending", "sent", "failed", "deferred", "skipped")

lists = Table(
    "lists",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(100), nullable=False, unique=True),
    Column("created_at", UTCDateTime(), nullable=False),
)

subscribers = Table(
    "subscribers",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("email", String(320), nullable=False, unique=True),
    Column("name", Text, nullable=False, default=""),
    Column("status", String(20), nullable=False),
    Column("consent_at", UTCDateTime()),
    Column("consent_source", String(200), nullable=False, default=""),
    Column("status_reason", Text),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    Index(None, "status"),
)

subscriptions = Table(
    "subscriptions",
    metadata,
    Column("list_id", Integer, ForeignKey("lists.id", ondelete="CASCADE"), primary_key=True),
    Column("subscriber_id", Integer, ForeignKey("subscribers.id", ondelete="CASCADE"), primary_key=True),
    # Which digests of the list this subscriber receives, as ",daily,weekly," ("" = every digest);
    # a delimited string keeps the filter a portable LIKE on SQLite and PostgreSQL alike.
    Column("digests", Text, nullable=False, default=""),
    Column("created_at", UTCDateTime(), nullable=False),
    Index(None, "subscriber_id"),
)

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
class SubscriberRow:
    id: int
    email: str
    name: str
    status: str
    consent_at: datetime | None
    consent_source: str
    created_at: datetime
    lists: tuple[str, ...] = ()
    digests: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Claimed:
    """One claimed delivery with what is needed to personalise its message."""

    delivery_id: int
    subscriber_id: int
    email: str
    name: str
    attempts: int


# -- lists and subscribers ---------------------------------------------------------------------


def ensure_list(conn: Connection, name: str, *, now: datetime) -> int:
    found = conn.execute(select(lists.c.id).where(lists.c.name == name)).scalar()
    if found is not None:
        return int(found)
    return int(conn.execute(insert(lists).values(name=name, created_at=now)).inserted_primary_key[0])


def encode_digests(names: Sequence[str]) -> str:
    clean = sorted({n.strip() for n in names if n.strip()})
    return f",{','.join(clean)}," if clean else ""


def decode_digests(value: str) -> tuple[str, ...]:
    return tuple(n for n in value.split(",") if n)


def find_subscriber(conn: Connection, email: str) -> SubscriberRow | None:
    row = conn.execute(select(subscribers).where(subscribers.c.email == email)).first()
    return _subscriber(conn, row) if row else None


def get_subscriber(conn: Connection, subscriber_id: int) -> SubscriberRow | None:
    row = conn.execute(select(subscribers).where(subscribers.c.id == subscriber_id)).first()
    return _subscriber(conn, row) if row else None


def _subscriber(conn: Connection, row: Any) -> SubscriberRow:
    subs = conn.execute(
        select(lists.c.name, subscriptions.c.digests)
        .join(lists, lists.c.id == subscriptions.c.list_id)
        .where(subscriptions.c.subscriber_id == row.id)
        .order_by(lists.c.name)
    ).all()
    digests = sorted({d for _, value in subs for d in decode_digests(value)})
    return SubscriberRow(
        id=row.id,
        email=row.email,
        name=row.name,
        status=row.status,
        consent_at=row.consent_at,
        consent_source=row.consent_source,
        created_at=row.created_at,
        lists=tuple(name for name, _ in subs),
        digests=tuple(digests),
    )


def insert_subscriber(
    conn: Connection,
    *,
    email: str,
    name: str,
    status: str,
    consent_at: datetime | None,
    consent_source: str,
    now: datetime,
) -> int:
    result = conn.execute(
        insert(subscribers).values(
            email=email,
            name=name,
            status=status,
            consent_at=consent_at,
            consent_source=consent_source,
            created_at=now,
            updated_at=now,
        )
    )
    return int(result.inserted_primary_key[0])


def update_subscriber(conn: Connection, subscriber_id: int, *, now: datetime, **values: Any) -> None:
    conn.execute(
        update(subscribers).where(subscribers.c.id == subscriber_id).values(updated_at=now, **values)
    )


def set_status(
    conn: Connection,
    subscriber_id: int,
    status: str,
    *,
    now: datetime,
    reason: str | None = None,
) -> bool:
    """Change a subscriber's status; False when it already had that status (nothing changed)."""
    if status not in SUBSCRIBER_STATUSES:
        raise ValueError(f"unknown subscriber status {status!r}")
    result = conn.execute(
        update(subscribers)
        .where(subscribers.c.id == subscriber_id, subscribers.c.status != status)
        .values(status=status, status_reason=reason, updated_at=now)
    )
    return result.rowcount > 0


def subscribe(
    conn: Connection, subscriber_id: int, list_id: int, digests: Sequence[str], *, now: datetime
) -> bool:
    """Add (or widen) a subscription; True when anything changed."""
    current = conn.execute(
        select(subscriptions.c.digests).where(
            subscriptions.c.list_id == list_id, subscriptions.c.subscriber_id == subscriber_id
        )
    ).first()
    wanted = encode_digests(digests)
    if current is None:
        conn.execute(
            insert(subscriptions).values(
                list_id=list_id, subscriber_id=subscriber_id, digests=wanted, created_at=now
            )
        )
        return True
    if current.digests == "" or current.digests == wanted:
        return False
    merged = (
        "" if wanted == "" else encode_digests([*decode_digests(current.digests), *decode_digests(wanted)])
    )
    if merged == current.digests:
        return False
    conn.execute(
        update(subscriptions)
        .where(subscriptions.c.list_id == list_id, subscriptions.c.subscriber_id == subscriber_id)
        .values(digests=merged)
    )
    return True


def delete_subscriber(conn: Connection, subscriber_id: int) -> None:
    conn.execute(deliveries.delete().where(deliveries.c.subscriber_id == subscriber_id))
    conn.execute(subscriptions.delete().where(subscriptions.c.subscriber_id == subscriber_id))
    conn.execute(subscribers.delete().where(subscribers.c.id == subscriber_id))


def count_by_status(conn: Connection, *, list_name: str | None = None) -> dict[str, int]:
    query = select(subscribers.c.status, func.count()).group_by(subscribers.c.status)
    if list_name is not None:
        query = (
            query.join(subscriptions, subscriptions.c.subscriber_id == subscribers.c.id)
            .join(lists, lists.c.id == subscriptions.c.list_id)
            .where(lists.c.name == list_name)
        )
    return {status: int(n) for status, n in conn.execute(query)}


def iter_subscribers(
    conn: Connection, *, list_name: str | None = None, chunk: int = 1000
) -> Iterator[SubscriberRow]:
    """Every subscriber (of a list), in id order, read in keyset-paginated chunks."""
    last = 0
    while True:
        query = select(subscribers).where(subscribers.c.id > last).order_by(subscribers.c.id).limit(chunk)
        if list_name is not None:
            query = query.where(
                exists().where(
                    subscriptions.c.subscriber_id == subscribers.c.id,
                    subscriptions.c.list_id
                    == select(lists.c.id).where(lists.c.name == list_name).scalar_subquery(),
                )
            )
        rows = conn.execute(query).all()
        if not rows:
            return
        for row in rows:
            yield _subscriber(conn, row)
        last = rows[-1].id


# -- deliveries ----------------------------------------------------------------------------------


def _eligible(list_names: Sequence[str], digest: str) -> Any:
    """Active subscribers of any of `list_names` who receive `digest`, each once."""
    return select(subscribers.c.id).where(
        subscribers.c.status == "active",
        exists().where(
            subscriptions.c.subscriber_id == subscribers.c.id,
            subscriptions.c.list_id.in_(select(lists.c.id).where(lists.c.name.in_(list(list_names)))),
            or_(subscriptions.c.digests == "", subscriptions.c.digests.like(f"%,{digest},%")),
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
        literal("queued"),
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
        .where(deliveries.c.issue_id == issue_id, deliveries.c.status == "sending")
        .values(status="queued", claim=None, updated_at=now)
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
        deliveries.c.status == "queued",
        and_(deliveries.c.status == "deferred", deliveries.c.next_attempt_at <= now),
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
    gone = [r.id for r in rows if r.status != "active"]
    live = [r.id for r in rows if r.status == "active"]
    if gone:
        conn.execute(
            update(deliveries)
            .where(deliveries.c.id.in_(gone), due)
            .values(status="skipped", updated_at=now, last_error="subscriber no longer active")
        )
    if not live:
        return ClaimResult([], rows[-1].id, len(gone))
    mine = set(
        conn.execute(
            update(deliveries)
            .where(deliveries.c.id.in_(live), due)
            .values(status="sending", claim=claim, updated_at=now)
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
                status="sent", sent_at=now, claim=None, updated_at=now, attempts=deliveries.c.attempts + 1
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
            status="deferred",
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
            status="failed",
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
            .where(deliveries.c.id.in_(delivery_ids), deliveries.c.status == "sending")
            .values(status="queued", claim=None, updated_at=now)
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
            deliveries.c.issue_id == issue_id, deliveries.c.status == "deferred"
        )
    ).scalar()
