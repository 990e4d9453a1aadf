"""Adding and removing one subscriber: the rules every entry point (CLI, web, import) shares."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection

from nashra.store import deliveries
from nashra.store import subscribers as db
from nashra.store.subscribers import SubscriberStatus
from nashra.subscribers.addresses import normalise_email

DEFAULT_LIST = "default"  # the list a digest mails unless its `recipients` say otherwise

# Statuses that only the subscriber (confirm link) or the mail system may lift: an import or an
# operator's `add` never turns an unsubscribed, bounced or complained address back on.
STICKY = frozenset({SubscriberStatus.UNSUBSCRIBED, SubscriberStatus.BOUNCED, SubscriberStatus.COMPLAINED})


@dataclass(frozen=True, slots=True)
class AddResult:
    subscriber_id: int
    email: str
    created: bool
    changed: bool


def add_subscriber(
    conn: Connection,
    email: str,
    *,
    now: datetime,
    name: str = "",
    list_name: str = DEFAULT_LIST,
    digests: Sequence[str] = (),
    status: SubscriberStatus = SubscriberStatus.ACTIVE,
    consent_source: str = "cli",
    consent_at: datetime | None = None,
) -> AddResult:
    """Create or update a subscriber and its subscription to `list_name` (idempotent).

    An existing subscriber keeps its status (see STICKY) except that "pending" may become
    "active"; a new name replaces the old one only when one is given.
    """
    address = normalise_email(email)
    if status not in set(SubscriberStatus):  # a plain string from an untyped caller
        raise ValueError(f"unknown status {status!r}; one of {', '.join(SubscriberStatus)}")
    list_id = db.ensure_list(conn, list_name, now=now)
    existing = db.find_subscriber(conn, address)
    if existing is None:
        consent = consent_at or (now if status == SubscriberStatus.ACTIVE else None)
        new_id = db.insert_subscriber(
            conn,
            email=address,
            name=name.strip(),
            status=status,
            consent_at=consent,
            consent_source=consent_source,
            now=now,
        )
        db.subscribe(conn, new_id, list_id, digests, now=now)
        return AddResult(new_id, address, created=True, changed=True)
    changes: dict[str, object] = {}
    if name.strip() and name.strip() != existing.name:
        changes["name"] = name.strip()
    if existing.status is SubscriberStatus.PENDING and status == SubscriberStatus.ACTIVE:
        changes.update(
            status=SubscriberStatus.ACTIVE, consent_at=consent_at or now, consent_source=consent_source
        )
    if changes:
        db.update_subscriber(conn, existing.id, now=now, **changes)
    widened = db.subscribe(conn, existing.id, list_id, digests, now=now)
    return AddResult(existing.id, address, created=False, changed=bool(changes) or widened)


def remove_subscriber(conn: Connection, email: str, *, now: datetime, forget: bool = False) -> bool:
    """Unsubscribe an address (kept, so it is never mailed again), or erase it with `forget`."""
    found = db.find_subscriber(conn, normalise_email(email))
    if found is None:
        return False
    if forget:
        deliveries.forget(conn, found.id)
        db.delete_subscriber(conn, found.id)
        return True
    return db.set_status(conn, found.id, SubscriberStatus.UNSUBSCRIBED, now=now, reason="removed by operator")
