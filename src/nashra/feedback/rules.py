"""What a report does to its subscriber (issue #16):
- a hard bounce suppresses the address at once ("bounced");
- soft bounces suppress it once `feedback.soft_bounce_issues` issues in a row to it soft-bounced;
- a complaint suppresses it for good ("complained"), over an unsubscribe or a bounce too, and is
  logged as a warning: complaint rates are what mailbox providers judge a sender by;
- an unsubscribe (mailed to the List-Unsubscribe address, or made at an email service) unsubscribes it.
Each report is acted on once (`store.feedback.claim`), and a suppression is lifted only by an
operator who says why (`nashra subscribers reactivate`). The status change and the report are
written in the caller's transaction, so a crash keeps both or neither.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import Connection

from nashra.feedback.report import Report
from nashra.logs import event
from nashra.store import feedback as db
from nashra.store import subscribers
from nashra.store.feedback import Kind, Outcome
from nashra.store.subscribers import SubscriberRow, SubscriberStatus
from nashra.subscribers.addresses import normalise_email

log = logging.getLogger(__name__)

_OPEN = frozenset({SubscriberStatus.ACTIVE, SubscriberStatus.PENDING})
_STATUS = {
    Kind.HARD_BOUNCE: SubscriberStatus.BOUNCED,
    Kind.SOFT_BOUNCE: SubscriberStatus.BOUNCED,
    Kind.COMPLAINT: SubscriberStatus.COMPLAINED,
    Kind.UNSUBSCRIBE: SubscriberStatus.UNSUBSCRIBED,
}
_WORDS = {
    Kind.HARD_BOUNCE: "hard bounce",
    Kind.SOFT_BOUNCE: "soft bounce",
    Kind.COMPLAINT: "spam complaint",
    Kind.UNSUBSCRIBE: "unsubscribe request",
}


def _subject(conn: Connection, report: Report) -> SubscriberRow | None:
    if report.subscriber_id is not None:
        return subscribers.get_subscriber(conn, report.subscriber_id)
    if report.email:
        try:
            return subscribers.find_subscriber(conn, normalise_email(report.email))
        except ValueError:
            return None
    return None


def _soft_limit_reached(conn: Connection, subscriber_id: int, issue_id: int | None, limit: int) -> bool:
    """True when each of the `limit` newest issues sent to the subscriber soft-bounced."""
    latest = db.latest_sent_issues(conn, subscriber_id, limit)
    if len(latest) < limit or issue_id not in latest:
        return False
    return db.issues_with(conn, subscriber_id, Kind.SOFT_BOUNCE, latest) | {issue_id} == set(latest)


def _changes(found: SubscriberRow, kind: Kind) -> bool:
    if kind is Kind.COMPLAINT:
        return found.status is not SubscriberStatus.COMPLAINED
    return found.status in _OPEN


def apply(conn: Connection, report: Report, *, soft_bounce_issues: int, now: datetime) -> Outcome:
    """Record `report` and act on it; DUPLICATE (and nothing done) when it was received before."""
    report_id = db.claim(
        conn, key=report.key, source=report.source, kind=report.kind, occurred_at=report.occurred_at, now=now
    )
    if report_id is None:
        return Outcome.DUPLICATE
    reason = f"{_WORDS[report.kind]} ({report.source}): {report.detail}".strip()
    found = _subject(conn, report)
    if found is None:
        db.settle(
            conn, report_id, Outcome.UNMATCHED, reason=reason, issue_id=report.issue_id, email=report.email
        )
        event(log, "feedback.unmatched", level=logging.WARNING, source=report.source, kind=report.kind)
        return Outcome.UNMATCHED
    issue_id = report.issue_id
    if issue_id is None and report.kind is not Kind.UNSUBSCRIBE:
        latest = db.latest_sent_issues(conn, found.id, 1)
        issue_id = latest[0] if latest else None
    outcome = _decide(conn, report.kind, found, issue_id, soft_bounce_issues)
    if outcome is Outcome.SUPPRESSED:
        if report.kind is Kind.SOFT_BOUNCE:
            reason = (
                f"soft bounces in {soft_bounce_issues} issues in a row ({report.source}): {report.detail}"
            )
        subscribers.set_status(conn, found.id, _STATUS[report.kind], now=now, reason=reason)
    db.settle(conn, report_id, outcome, reason=reason, subscriber_id=found.id, issue_id=issue_id)
    event(
        log,
        f"feedback.{report.kind}",
        level=logging.WARNING if report.kind is Kind.COMPLAINT else logging.INFO,
        source=report.source,
        subscriber=found.id,
        issue=issue_id,
        outcome=outcome,
    )
    return outcome


def _decide(
    conn: Connection, kind: Kind, found: SubscriberRow, issue_id: int | None, soft_bounce_issues: int
) -> Outcome:
    if not _changes(found, kind):
        return Outcome.ALREADY
    if kind is Kind.SOFT_BOUNCE and not _soft_limit_reached(conn, found.id, issue_id, soft_bounce_issues):
        return Outcome.COUNTED
    return Outcome.SUPPRESSED
