"""The email services' event webhooks (issue #16): one module per service checks that a post really
comes from it and turns the events in it into `Report`s; nashra.web.webhooks serves them and
nashra.feedback.rules acts on the reports.

A post is refused (`Refused`, nothing recorded) unless the service's own proof holds: a signature
(Mailgun, SendGrid, SNS for Amazon SES) or a password (Postmark). Signed posts also carry the time
they were signed and are refused once older than the service's `max_age_minutes`, so a copied
request stops working. Every report is keyed by the service's own event id: a post delivered twice
(the service retried, or someone replayed it while it was fresh) finds its reports already stored
and changes nothing.

Because these posts are authenticated, their reports may name the subscriber by the address the
service gives; Nashra's own marks on the message, when the event carries them, name the issue and
the subscriber more surely (nashra.feedback.services.marks).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from nashra.feedback.report import Report
from nashra.feedback.services.marks import Mark
from nashra.store.feedback import Kind

FUTURE_SKEW = timedelta(minutes=5)
"""How far ahead of this machine's clock a signature's time may be (the service's clock drifts too)."""
_KEY_LIMIT = 300  # feedback_reports.key
_EMAIL_LIMIT = 320  # feedback_reports.email; no deliverable address is longer
_DETAIL_LIMIT = 500
NO_MARK = Mark()


@dataclass(frozen=True, slots=True)
class Posted:
    """One request to a webhook, as received: its bytes exactly (signatures cover them) and its
    headers (looked up case-insensitively, as Starlette's `Headers` do)."""

    body: bytes
    headers: Mapping[str, str]


class Refused(Exception):
    """The post is not taken; `status` is the HTTP answer, `why` a few words for the log and reply."""

    def __init__(self, status: int, why: str) -> None:
        super().__init__(why)
        self.status = status
        self.why = why


class Service(Protocol):
    name: str
    """The path segment (/webhooks/<name>) and the reports' `source`."""

    def receive(self, posted: Posted, now: datetime) -> list[Report]:
        """The reports in an authentic post (possibly none: deliveries, opens, …); raises `Refused`.
        May block (a certificate to fetch): the web app calls it in a worker thread."""
        ...


def parse_json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise Refused(400, "malformed: not JSON") from None


def check_fresh(signed_at: datetime, now: datetime, max_age: timedelta) -> None:
    """Refuse a signature older than `max_age`, or from further ahead than the clocks may drift."""
    if signed_at < now - max_age:
        raise Refused(400, "stale: signed too long ago")
    if signed_at > now + FUTURE_SKEW:
        raise Refused(400, "stale: signed in the future")


def digest(value: object) -> str:
    """The same hex digest for the same JSON value, however its keys were ordered."""
    canonical = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def text(value: object) -> str:
    """A payload field as text ("" when absent or not a scalar)."""
    return str(value).strip() if isinstance(value, str | int | float) and not isinstance(value, bool) else ""


def iso_time(value: object, default: datetime) -> datetime:
    """An ISO 8601 time with its zone from a payload, else `default`."""
    try:
        stamp = datetime.fromisoformat(text(value))
    except ValueError:
        return default
    return stamp if stamp.tzinfo is not None else default


def report(
    source: str,
    event_id: str,
    kind: Kind,
    *,
    detail: str,
    occurred_at: datetime,
    email: str,
    mark: Mark = NO_MARK,
) -> Report:
    """A report keyed `<source>:<event id>` (hashed when it would not fit the column), with the
    service's words cut to a readable length and an address only when it can be one."""
    key = f"{source}:{event_id}"
    if len(key) > _KEY_LIMIT:
        key = f"{source}:sha256:{hashlib.sha256(event_id.encode('utf-8')).hexdigest()}"
    address = email if "@" in email and len(email) <= _EMAIL_LIMIT else None
    return Report(
        key=key,
        source=source,
        kind=kind,
        detail=detail[:_DETAIL_LIMIT],
        occurred_at=occurred_at,
        subscriber_id=mark.subscriber_id,
        issue_id=mark.issue_id,
        email=address,
    )
