"""Reading subscribers for the console: a search by address in keyset pages, and one subscriber's
subscriptions, deliveries and operator actions.

A list may hold a million addresses, so no read here is a scan whose length the data decides. A
page of search results is taken from a *window* of at most `window` addresses in byte order after
the page's cursor (on PostgreSQL the `email COLLATE "C"` index, on SQLite the email index): the
start of an address narrows the window to an index range; "contains", the list and the status
filter inside it. When the window ends before a page is full, the page says how far it searched
and its cursor continues from there. Addresses are stored in lower case and ASCII (see
nashra.subscribers.addresses), so lower-casing the query makes the search case-insensitive.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Connection, exists, select, true

from nashra.store.audit import AuditEntry, audit_log
from nashra.store.deliveries import deliveries
from nashra.store.digests import digest_issues
from nashra.store.subscribers import SubscriberStatus, decode_digests, lists, subscribers, subscriptions

WINDOW = 20_000
"""Addresses one page of results may look at (a few milliseconds of an index)."""
_AFTER_EVERY_ASCII = "\x7f"


@dataclass(frozen=True, slots=True)
class Found:
    id: int
    email: str
    name: str
    status: SubscriberStatus
    status_changed_at: datetime | None


@dataclass(frozen=True, slots=True)
class Page:
    rows: tuple[Found, ...]
    after: str | None
    """The cursor of the next page (the last address looked at), None when there is no more."""
    searched_to: str | None
    """Set when the window ended before the page was full: the last address searched."""


def _email(conn: Connection) -> ColumnElement[str]:
    """The address compared byte by byte (what the index holds on either database)."""
    column = subscribers.c.email
    return column.collate("C") if conn.dialect.name == "postgresql" else column


def search(
    conn: Connection,
    *,
    prefix: str = "",
    contains: str = "",
    list_name: str | None = None,
    status: SubscriberStatus | None = None,
    after: str | None = None,
    size: int = 50,
    window: int = WINDOW,
) -> Page:
    """Subscribers whose address starts with `prefix` and holds `contains`, in address order."""
    email = _email(conn)
    where: list[ColumnElement[bool]] = []
    if prefix:
        prefix = prefix.lower()
        where += [email >= prefix, email < prefix + _AFTER_EVERY_ASCII]
    if after:
        where.append(email > after)
    end = conn.execute(
        select(subscribers.c.email).where(*where).order_by(email).offset(window - 1).limit(1)
    ).scalar()
    if end is not None:
        where.append(email <= end)
    if contains:
        where.append(subscribers.c.email.contains(contains.lower(), autoescape=True))
    if status is not None:
        where.append(subscribers.c.status == status)
    if list_name is not None:
        where.append(
            exists().where(
                subscriptions.c.subscriber_id == subscribers.c.id,
                subscriptions.c.list_id
                == select(lists.c.id).where(lists.c.name == list_name).scalar_subquery(),
            )
        )
    rows = conn.execute(
        select(
            subscribers.c.id,
            subscribers.c.email,
            subscribers.c.name,
            subscribers.c.status,
            subscribers.c.status_changed_at,
        )
        .where(true(), *where)
        .order_by(email)
        .limit(size + 1)
    ).all()
    found = tuple(Found(r.id, r.email, r.name, SubscriberStatus(r.status), r.status_changed_at) for r in rows)
    if len(found) > size:
        return Page(found[:size], found[size - 1].email, None)
    return Page(found, end, end)


def list_names(conn: Connection) -> list[str]:
    return list(conn.execute(select(lists.c.name).order_by(lists.c.name)).scalars())


@dataclass(frozen=True, slots=True)
class Subscription:
    list_name: str
    digests: tuple[str, ...]
    """Empty: every digest of the list."""
    since: datetime


def subscriptions_of(conn: Connection, subscriber_id: int) -> list[Subscription]:
    rows = conn.execute(
        select(lists.c.name, subscriptions.c.digests, subscriptions.c.created_at)
        .join(lists, lists.c.id == subscriptions.c.list_id)
        .where(subscriptions.c.subscriber_id == subscriber_id)
        .order_by(lists.c.name)
    )
    return [Subscription(r.name, decode_digests(r.digests), r.created_at) for r in rows]


@dataclass(frozen=True, slots=True)
class Received:
    """One issue sent (or meant) to the subscriber, and what became of it."""

    delivery_id: int
    issue_id: int
    digest: str
    subject: str
    status: str
    attempts: int
    sent_at: datetime | None
    updated_at: datetime
    error: str | None


def deliveries_of(
    conn: Connection, subscriber_id: int, *, before: int | None = None, limit: int = 30
) -> tuple[list[Received], int | None]:
    """The subscriber's deliveries, newest first, and the cursor of the older ones (if any)."""
    query = (
        select(
            deliveries.c.id,
            deliveries.c.issue_id,
            digest_issues.c.digest,
            digest_issues.c.subject,
            deliveries.c.status,
            deliveries.c.attempts,
            deliveries.c.sent_at,
            deliveries.c.updated_at,
            deliveries.c.last_error,
        )
        .join(digest_issues, digest_issues.c.id == deliveries.c.issue_id)
        .where(deliveries.c.subscriber_id == subscriber_id)
        .order_by(deliveries.c.id.desc())
        .limit(limit + 1)
    )
    if before is not None:
        query = query.where(deliveries.c.id < before)
    rows = [Received(*row) for row in conn.execute(query)]
    return rows[:limit], rows[limit - 1].delivery_id if len(rows) > limit else None


def actions_on(conn: Connection, targets: Sequence[str], *, limit: int = 50) -> list[AuditEntry]:
    """What operators did to these audit targets, newest first."""
    rows = conn.execute(
        select(audit_log).where(audit_log.c.target.in_(targets)).order_by(audit_log.c.id.desc()).limit(limit)
    )
    return [AuditEntry(r.id, r.at, r.actor, r.action, r.target, dict(r.details)) for r in rows]
