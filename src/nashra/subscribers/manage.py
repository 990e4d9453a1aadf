"""Adding and removing one subscriber: the rules every entry point (CLI, web, import) shares."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection

from nashra.config.lists import DEFAULT_LIST as DEFAULT_LIST  # where callers have always found it
from nashra.logs import event
from nashra.store import clicks, deliveries
from nashra.store import subscribers as db
from nashra.store.subscribers import SubscriberStatus
from nashra.subscribers.addresses import normalise_email

log = logging.getLogger(__name__)

# Statuses that only the person (a confirmation link made after the change, see `confirm_subscriber`)
# or an operator who says why (`reactivate_subscriber`) may lift: an import, an operator's `add` or a
# subscribe form filled in by anyone never turns an unsubscribed, bounced or complained address on.
STICKY = frozenset({SubscriberStatus.UNSUBSCRIBED, SubscriberStatus.BOUNCED, SubscriberStatus.COMPLAINED})


class NotSuppressed(LookupError):
    """`reactivate_subscriber` was asked about an address that is unknown or not in a STICKY status."""


@dataclass(frozen=True, slots=True)
class AddResult:
    subscriber_id: int
    email: str
    created: bool
    changed: bool
    kept: SubscriberStatus | None = None
    """The STICKY status that made this call leave an existing address untouched."""


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

    An existing subscriber keeps its status except that "pending" may become "active"; a new name
    replaces the old one only when one is given. A STICKY address is left exactly as it is (no new
    name, no new list) and reported in `kept`.
    """
    address = normalise_email(email)
    if status not in set(SubscriberStatus):  # a plain string from an untyped caller
        raise ValueError(f"unknown status {status!r}; one of {', '.join(SubscriberStatus)}")
    list_id = db.ensure_list(conn, list_name, now=now)
    existing = db.find_subscriber(conn, address)
    if existing is None:
        consent = new_consent_at(status, consent_at, now=now)
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
    if existing.status in STICKY:
        return AddResult(existing.id, address, created=False, changed=False, kept=existing.status)
    changes = subscriber_changes(
        existing.name,
        existing.status,
        name=name,
        status=status,
        consent_at=consent_at,
        consent_source=consent_source,
        now=now,
    )
    if changes:
        db.update_subscriber(conn, existing.id, now=now, **changes)
    widened = db.subscribe(conn, existing.id, list_id, digests, now=now)
    return AddResult(existing.id, address, created=False, changed=bool(changes) or widened)


def new_consent_at(
    status: SubscriberStatus, consent_at: datetime | None, *, now: datetime
) -> datetime | None:
    """When a new subscriber consented: as given, else now for an address added active."""
    return consent_at or (now if status == SubscriberStatus.ACTIVE else None)


def subscriber_changes(
    existing_name: str,
    existing_status: SubscriberStatus,
    *,
    name: str,
    status: SubscriberStatus,
    consent_at: datetime | None,
    consent_source: str,
    now: datetime,
) -> dict[str, object]:
    """The columns that adding a non-STICKY existing subscriber again changes (shared by
    `add_subscriber` and the bulk import, so both follow one rule): a new name when one is given,
    and "pending" becomes "active" with the new consent."""
    changes: dict[str, object] = {}
    if name.strip() and name.strip() != existing_name:
        changes["name"] = name.strip()
    if existing_status is SubscriberStatus.PENDING and status == SubscriberStatus.ACTIVE:
        changes.update(
            status=SubscriberStatus.ACTIVE, consent_at=consent_at or now, consent_source=consent_source
        )
    return changes


def remove_subscriber(
    conn: Connection, email: str, *, now: datetime, forget: bool = False, reason: str = ""
) -> bool:
    """Unsubscribe an address (kept, so it is never mailed again), or erase it with `forget`;
    the operator's `reason`, when given, is kept with the status."""
    found = db.find_subscriber(conn, normalise_email(email))
    if found is None:
        return False
    if forget:
        deliveries.forget(conn, found.id)
        clicks.forget(conn, found.id)
        db.delete_subscriber(conn, found.id)
        return True
    why = f"removed by operator: {reason.strip()}" if reason.strip() else "removed by operator"
    return db.set_status(conn, found.id, SubscriberStatus.UNSUBSCRIBED, now=now, reason=why)


def confirm_subscriber(
    conn: Connection, found: db.SubscriberRow, *, requested_at: datetime, now: datetime, source: str
) -> bool | None:
    """Turn on an address whose owner confirmed a request made at `requested_at`.

    None when the request is older than the address's last status change: a confirmation link sent
    before an unsubscribe, complaint or bounce must not undo it (whole seconds, so a request made in
    the same second as the change is refused too, the safe side). False when already active.
    """
    if found.status is SubscriberStatus.ACTIVE:
        return False
    if found.status in STICKY and (
        found.status_changed_at is None or requested_at <= found.status_changed_at
    ):
        event(log, "subscriber.confirm_refused", subscriber=found.id, status=found.status)
        return None
    db.update_subscriber(
        conn,
        found.id,
        now=now,
        status=SubscriberStatus.ACTIVE,
        consent_at=now,
        consent_source=source,
        status_reason=None,
    )
    if found.status in STICKY:
        event(log, "subscriber.revived", subscriber=found.id, was=found.status, by=source)
    return True


def reactivate_subscriber(conn: Connection, email: str, *, reason: str, now: datetime) -> SubscriberStatus:
    """The operator's way to lift a STICKY status (a wrongly counted bounce, a person who asked by
    phone); the reason is kept as the status reason and logged. Returns the status it had."""
    found = db.find_subscriber(conn, normalise_email(email))
    if found is None or found.status not in STICKY:
        raise NotSuppressed(f"{email}: not unsubscribed, bounced or complained")
    db.set_status(
        conn,
        found.id,
        SubscriberStatus.ACTIVE,
        now=now,
        reason=f"reactivated by operator (was {found.status}): {reason}",
    )
    event(log, "subscriber.reactivated", subscriber=found.id, was=found.status, reason=reason)
    return found.status
