"""One report about sent mail, as a receiver understood it, before any rule is applied."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from nashra.store.feedback import Kind


@dataclass(frozen=True, slots=True)
class Report:
    """Who a report is about comes from what Nashra itself signed (`subscriber_id`, from a VERP
    envelope sender or an unsubscribe token) or, for a service whose webhook is authenticated, from
    the address it names (`email`). A receiver must never fill `email` from mail anyone could send:
    a forged bounce would then suppress a stranger's subscriber."""

    key: str
    """The report's identity at its source: the same report received twice has the same key."""
    source: str
    """Where it came from: "imap", "inbound", "mailgun", "postmark", "sendgrid", "ses", …"""
    kind: Kind
    detail: str
    """The reporter's own words (a DSN's status and diagnostic, a service's reason)."""
    occurred_at: datetime
    subscriber_id: int | None = None
    issue_id: int | None = None
    email: str | None = None
