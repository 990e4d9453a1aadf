"""One message that came back, from the bounce mailbox or the inbound endpoint, received: read
(nashra.feedback.classify), acted on by the rules (nashra.feedback.rules), and kept when it acted
on nobody — all in the caller's transaction, so a crash keeps all of it or none, and the same
message received again changes nothing (its key is taken).
"""

from __future__ import annotations

import logging
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Connection

from nashra.feedback.classify import Ignored, Understood, Unrecognised, read_message
from nashra.feedback.report import Report
from nashra.feedback.rules import apply
from nashra.feedback.signed import Signatures
from nashra.logs import event
from nashra.store import subscribers
from nashra.store.feedback import Outcome
from nashra.store.inbound import keep

log = logging.getLogger(__name__)


class Received(StrEnum):
    """What became of a message that was neither a report nor acted on by one."""

    IGNORED = "ignored"  # nothing to do (a delay warning, an automatic reply)
    KEPT = "kept"  # unreadable or unrecognised: kept for a person


def _signed_subscriber(conn: Connection, reading: Understood) -> int | None:
    if reading.target is not None:
        return reading.target.subscriber_id
    if reading.claims is None:
        return None
    found = subscribers.get_subscriber(conn, reading.claims.subscriber_id)
    # A token is bound to the address it was made for, as on the unsubscribe page.
    return found.id if found is not None and reading.claims.matches(found.email) else None


def receive(
    conn: Connection,
    raw: bytes,
    *,
    source: str,
    signatures: Signatures,
    soft_bounce_issues: int,
    now: datetime,
) -> Outcome | Received:
    """Act on one raw message; the outcome of its report, or what was done with it instead."""
    reading = read_message(raw, signatures, now=now)
    if isinstance(reading, Ignored):
        event(log, "inbound.ignored", source=source, why=reading.why)
        return Received.IGNORED
    if isinstance(reading, Unrecognised):
        kept = keep(conn, key=reading.key, source=source, why=reading.why, raw=raw, now=now)
        event(log, "inbound.kept", level=logging.WARNING, source=source, why=reading.why, new=kept)
        return Received.KEPT if kept else Outcome.DUPLICATE
    report = Report(
        key=reading.key,
        source=source,
        kind=reading.kind,
        detail=reading.detail,
        occurred_at=reading.occurred_at,
        subscriber_id=_signed_subscriber(conn, reading),
        issue_id=reading.target.issue_id if reading.target else None,
    )
    outcome = apply(conn, report, soft_bounce_issues=soft_bounce_issues, now=now)
    if outcome is Outcome.UNMATCHED:
        why = f"{reading.kind.replace('_', ' ')} naming no subscriber through a Nashra signature"
        keep(conn, key=reading.key, source=source, why=why, raw=raw, now=now)
    return outcome
