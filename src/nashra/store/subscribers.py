"""Subscribers and their lists (which digests of a list each one receives).

Unsubscribed, complained and bounced are sticky (see nashra.subscribers.manage); what a digest
issue did for each subscriber is in nashra.store.deliveries. `status_changed_at` is stamped by every
status change, and only then, so a confirmation link can be told apart as older or newer than an
unsubscribe. `confirm_sent_at` is when the last confirmation mail went out (`claim_confirmation_mail`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    Column,
    ColumnElement,
    Connection,
    ForeignKey,
    Index,
    Integer,
    Select,
    String,
    Table,
    Text,
    bindparam,
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


class SubscriberStatus(StrEnum):
    """`subscribers.status`; the values are the stored text."""

    PENDING = "pending"  # asked to subscribe, not yet confirmed
    ACTIVE = "active"
    UNSUBSCRIBED = "unsubscribed"
    BOUNCED = "bounced"
    COMPLAINED = "complained"


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
    Column("status_changed_at", UTCDateTime()),
    Column("confirm_sent_at", UTCDateTime()),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    Index(None, "status"),
)
# Addresses in byte order on PostgreSQL whatever the database's collation, so a search by the start
# of an address and its keyset pages are ranges of one index (on SQLite, whose text is compared
# bytewise, it is a plain index like the unique one: declared alike so the schema compares equal).
Index("ix_subscribers_email_bytes", subscribers.c.email, postgresql_ops={"email": 'COLLATE "C"'})

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


# Every change of a subscriber's status after its creation, with the status it left: the console
# shows a subscriber's whole history (the row itself keeps only the latest change). Erased with
# the subscriber.
status_log = Table(
    "subscriber_status_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("subscriber_id", Integer, ForeignKey("subscribers.id", ondelete="CASCADE"), nullable=False),
    Column("from_status", String(20), nullable=False),
    Column("status", String(20), nullable=False),
    Column("reason", Text),
    Column("changed_at", UTCDateTime(), nullable=False),
    Index(None, "subscriber_id", "id"),
)


@dataclass(frozen=True, slots=True)
class StatusChange:
    from_status: SubscriberStatus
    status: SubscriberStatus
    reason: str | None
    changed_at: datetime


@dataclass(frozen=True, slots=True)
class SubscriberRow:
    id: int
    email: str
    name: str
    status: SubscriberStatus
    consent_at: datetime | None
    consent_source: str
    created_at: datetime
    status_changed_at: datetime | None
    lists: tuple[str, ...] = ()
    digests: tuple[str, ...] = ()
    status_reason: str | None = None
    """Why the status last changed, when whoever changed it said (an operator, a bounce)."""


# -- lists and subscribers ---------------------------------------------------------------------


def ensure_list(conn: Connection, name: str, *, now: datetime) -> int:
    found = conn.execute(select(lists.c.id).where(lists.c.name == name)).scalar()
    if found is not None:
        return int(found)
    return int(
        conn.execute(insert(lists).values(name=name, created_at=now).returning(lists.c.id)).scalar_one()
    )


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
        status=SubscriberStatus(row.status),
        consent_at=row.consent_at,
        consent_source=row.consent_source,
        created_at=row.created_at,
        status_changed_at=row.status_changed_at,
        lists=tuple(name for name, _ in subs),
        digests=tuple(digests),
        status_reason=row.status_reason,
    )


def insert_subscriber(
    conn: Connection,
    *,
    email: str,
    name: str,
    status: SubscriberStatus,
    consent_at: datetime | None,
    consent_source: str,
    now: datetime,
) -> int:
    return int(
        conn.execute(
            insert(subscribers)
            .values(
                email=email,
                name=name,
                status=status,
                consent_at=consent_at,
                consent_source=consent_source,
                status_changed_at=now,
                created_at=now,
                updated_at=now,
            )
            .returning(subscribers.c.id)
        ).scalar_one()
    )


def update_subscriber(conn: Connection, subscriber_id: int, *, now: datetime, **values: Any) -> None:
    if "status" in values:
        _log_change(conn, subscriber_id, values["status"], values.get("status_reason"), now)
    stamp = {"status_changed_at": now} if "status" in values else {}
    conn.execute(
        update(subscribers).where(subscribers.c.id == subscriber_id).values(updated_at=now, **stamp, **values)
    )


def _log_change(
    conn: Connection, subscriber_id: int, status: SubscriberStatus, reason: str | None, now: datetime
) -> None:
    """Log the change to `status`, read from the row before it is updated (in the same transaction);
    nothing when the status stays the same."""
    change = _change_of(
        literal(subscriber_id, Integer),
        literal(str(status), String(20)),
        literal(reason, Text),
        literal(now, UTCDateTime()),
    )
    conn.execute(insert(status_log).from_select(_LOGGED, change))


_LOGGED = ["subscriber_id", "from_status", "status", "reason", "changed_at"]


def _change_of(
    subscriber_id: ColumnElement[Any],
    status: ColumnElement[Any],
    reason: ColumnElement[Any],
    now: ColumnElement[Any],
) -> Select[Any]:
    """The log row of a change of the subscriber to `status`, none when it has that status already
    (values, or bind parameters for many changes in one statement)."""
    return select(subscribers.c.id, subscribers.c.status, status, reason, now).where(
        subscribers.c.id == subscriber_id, subscribers.c.status != status
    )


def log_changes(conn: Connection, changes: Sequence[tuple[int, dict[str, Any]]], *, now: datetime) -> None:
    """`_log_change` for the status changes among many updates (an import), in one statement."""
    params = [
        {"_sid": sid, "_status": values["status"], "_reason": values.get("status_reason")}
        for sid, values in changes
        if "status" in values
    ]
    if params:
        statement = _change_of(
            bindparam("_sid", type_=Integer),
            bindparam("_status", type_=String(20)),
            bindparam("_reason", type_=Text),
            literal(now, UTCDateTime()),
        )
        conn.execute(insert(status_log).from_select(_LOGGED, statement), params)


def status_history(conn: Connection, subscriber_id: int, *, limit: int = 100) -> list[StatusChange]:
    """The subscriber's status changes, newest first."""
    rows = conn.execute(
        select(status_log)
        .where(status_log.c.subscriber_id == subscriber_id)
        .order_by(status_log.c.id.desc())
        .limit(limit)
    )
    return [
        StatusChange(SubscriberStatus(r.from_status), SubscriberStatus(r.status), r.reason, r.changed_at)
        for r in rows
    ]


def set_status(
    conn: Connection,
    subscriber_id: int,
    status: SubscriberStatus,
    *,
    now: datetime,
    reason: str | None = None,
) -> bool:
    """Change a subscriber's status; False when it already had that status (nothing changed)."""
    if status not in set(SubscriberStatus):  # a plain string from an untyped caller
        raise ValueError(f"unknown subscriber status {status!r}")
    _log_change(conn, subscriber_id, status, reason, now)
    result = conn.execute(
        update(subscribers)
        .where(subscribers.c.id == subscriber_id, subscribers.c.status != status)
        .values(status=status, status_reason=reason, status_changed_at=now, updated_at=now)
    )
    return result.rowcount > 0


def claim_confirmation_mail(conn: Connection, subscriber_id: int, *, now: datetime, every: timedelta) -> bool:
    """True when no confirmation mail went to this subscriber in the last `every`, stamping `now`.

    One conditional UPDATE: of two web processes racing for one address, the database lets one win
    (PostgreSQL re-checks the condition after the first commit; SQLite has one writer at a time).
    """
    result = conn.execute(
        update(subscribers)
        .where(
            subscribers.c.id == subscriber_id,
            or_(subscribers.c.confirm_sent_at.is_(None), subscribers.c.confirm_sent_at <= now - every),
        )
        .values(confirm_sent_at=now)
    )
    return result.rowcount > 0


def release_confirmation_mail(conn: Connection, subscriber_id: int, *, claimed_at: datetime) -> None:
    """Undo a claim whose mail could not be handed over, so the person may ask again at once."""
    conn.execute(
        update(subscribers)
        .where(subscribers.c.id == subscriber_id, subscribers.c.confirm_sent_at == claimed_at)
        .values(confirm_sent_at=None)
    )


def subscribe(
    conn: Connection, subscriber_id: int, list_id: int, digests: Sequence[str], *, now: datetime
) -> bool:
    """Add (or widen) a subscription; True when anything changed."""
    current = conn.execute(
        select(subscriptions.c.digests).where(
            subscriptions.c.list_id == list_id, subscriptions.c.subscriber_id == subscriber_id
        )
    ).first()
    stored = widened_digests(None if current is None else current.digests, encode_digests(digests))
    if stored is None:
        return False
    if current is None:
        conn.execute(
            insert(subscriptions).values(
                list_id=list_id, subscriber_id=subscriber_id, digests=stored, created_at=now
            )
        )
    else:
        conn.execute(
            update(subscriptions)
            .where(subscriptions.c.list_id == list_id, subscriptions.c.subscriber_id == subscriber_id)
            .values(digests=stored)
        )
    return True


def widened_digests(current: str | None, wanted: str) -> str | None:
    """The digests to store when a subscription (`current`, None when there is none) is asked for
    the encoded `wanted`, or None when nothing changes: a subscription only ever widens, and ""
    (every digest) is the widest."""
    if current is None:
        return wanted
    if current == "" or current == wanted:
        return None
    merged = "" if wanted == "" else encode_digests([*decode_digests(current), *decode_digests(wanted)])
    return None if merged == current else merged


def delete_subscriber(conn: Connection, subscriber_id: int) -> None:
    """Erase a subscriber and their subscriptions (their deliveries and click records first:
    `deliveries.forget`, `clicks.forget`)."""
    conn.execute(subscriptions.delete().where(subscriptions.c.subscriber_id == subscriber_id))
    conn.execute(status_log.delete().where(status_log.c.subscriber_id == subscriber_id))
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
