"""What a report received after a send does to its subscriber (nashra.feedback.rules), on SQLite
and PostgreSQL: hard bounces and complaints suppress at once, soft bounces after N issues in a row,
a report is acted on once, and a report names a subscriber only through what Nashra signed or an
authenticated service's word."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert

from nashra.feedback import Kind, Outcome, Report
from nashra.feedback.rules import apply
from nashra.runtime import Runtime
from nashra.store import feedback as reports
from nashra.store import subscribers as db
from nashra.store.deliveries import DeliveryStatus, deliveries
from nashra.store.subscribers import SubscriberStatus
from nashra.subscribers import add_subscriber
from nashra.subscribers.manage import reactivate_subscriber

NOW = datetime(2026, 12, 2, 8, 0, tzinfo=UTC)


def _subscriber(runtime: Runtime, email: str) -> int:
    with runtime.store.begin() as conn:
        return add_subscriber(conn, email, now=NOW).subscriber_id


def _sent(runtime: Runtime, subscriber_id: int, *issues: int, status: str = DeliveryStatus.SENT) -> None:
    with runtime.store.begin() as conn:
        for issue in issues:
            conn.execute(
                insert(deliveries).values(
                    issue_id=issue, subscriber_id=subscriber_id, status=status, attempts=1, updated_at=NOW
                )
            )


def _apply(runtime: Runtime, report: Report, *, limit: int = 3) -> Outcome:
    with runtime.store.begin() as conn:
        return apply(conn, report, soft_bounce_issues=limit, now=NOW)


def _status(runtime: Runtime, subscriber_id: int) -> tuple[SubscriberStatus, str | None]:
    with runtime.store.connect() as conn:
        row = db.get_subscriber(conn, subscriber_id)
    assert row is not None
    return row.status, row.status_reason


def _report(key: str, kind: Kind, **who: object) -> Report:
    return Report(key=key, source="imap", kind=kind, detail="5.1.1 user unknown", occurred_at=NOW, **who)  # type: ignore[arg-type]


def test_a_hard_bounce_suppresses_at_once_with_its_reason_and_source(
    make_runtime: Callable[[str], Runtime],
) -> None:
    runtime = make_runtime("")
    samir = _subscriber(runtime, "samir@example.com")
    _sent(runtime, samir, 7)

    outcome = _apply(runtime, _report("imap:<a@x>", Kind.HARD_BOUNCE, subscriber_id=samir, issue_id=7))

    assert outcome is Outcome.SUPPRESSED
    assert _status(runtime, samir) == (SubscriberStatus.BOUNCED, "hard bounce (imap): 5.1.1 user unknown")
    with runtime.store.connect() as conn:
        assert reports.counts_by_issue(conn, [7]) == {7: {Kind.HARD_BOUNCE: 1}}
        history = db.status_history(conn, samir)
    assert [(h.from_status, h.status) for h in history] == [
        (SubscriberStatus.ACTIVE, SubscriberStatus.BOUNCED)
    ]


def test_the_same_report_twice_is_acted_on_once(make_runtime: Callable[[str], Runtime]) -> None:
    runtime = make_runtime("")
    samir = _subscriber(runtime, "samir@example.com")
    _sent(runtime, samir, 7)
    report = _report("imap:<a@x>", Kind.HARD_BOUNCE, subscriber_id=samir, issue_id=7)
    assert _apply(runtime, report) is Outcome.SUPPRESSED
    with runtime.store.begin() as conn:
        reactivate_subscriber(conn, "samir@example.com", reason="the bounce was the relay's fault", now=NOW)

    assert _apply(runtime, report) is Outcome.DUPLICATE

    assert _status(runtime, samir)[0] is SubscriberStatus.ACTIVE  # the operator's word stands
    with runtime.store.connect() as conn:
        assert reports.counts_by_issue(conn, [7]) == {7: {Kind.HARD_BOUNCE: 1}}


def test_soft_bounces_suppress_only_after_n_issues_in_a_row(make_runtime: Callable[[str], Runtime]) -> None:
    runtime = make_runtime("")
    leila = _subscriber(runtime, "leila@example.org")
    _sent(runtime, leila, 1, 2, 3, 4)

    def soft(issue: int) -> Outcome:
        return _apply(runtime, _report(f"k{issue}", Kind.SOFT_BOUNCE, subscriber_id=leila, issue_id=issue))

    # 1 and 2 soft-bounced, 3 was delivered (no report), 4 soft-bounced: the streak is 1 long.
    assert [soft(1), soft(2), soft(4)] == [Outcome.COUNTED] * 3
    assert _status(runtime, leila)[0] is SubscriberStatus.ACTIVE
    _sent(runtime, leila, 5, 6)
    assert soft(5) is Outcome.COUNTED
    assert soft(6) is Outcome.SUPPRESSED  # 4, 5, 6
    status, reason = _status(runtime, leila)
    assert status is SubscriberStatus.BOUNCED
    assert reason == "soft bounces in 3 issues in a row (imap): 5.1.1 user unknown"


def test_a_soft_bounce_about_an_older_issue_does_not_complete_a_streak(
    make_runtime: Callable[[str], Runtime],
) -> None:
    runtime = make_runtime("")
    leila = _subscriber(runtime, "leila@example.org")
    _sent(runtime, leila, 1, 2, 3)
    for issue in (2, 3):
        _apply(runtime, _report(f"k{issue}", Kind.SOFT_BOUNCE, subscriber_id=leila, issue_id=issue))
    _sent(runtime, leila, 4)  # delivered fine

    assert (
        _apply(runtime, _report("k1", Kind.SOFT_BOUNCE, subscriber_id=leila, issue_id=1)) is Outcome.COUNTED
    )
    assert _status(runtime, leila)[0] is SubscriberStatus.ACTIVE


def test_a_complaint_is_for_good_and_outranks_an_unsubscribe(make_runtime: Callable[[str], Runtime]) -> None:
    runtime = make_runtime("")
    nadia = _subscriber(runtime, "nadia@example.net")
    _sent(runtime, nadia, 9)
    assert _apply(runtime, _report("u", Kind.UNSUBSCRIBE, subscriber_id=nadia)) is Outcome.SUPPRESSED
    assert _status(runtime, nadia)[0] is SubscriberStatus.UNSUBSCRIBED

    assert (
        _apply(runtime, _report("c", Kind.COMPLAINT, subscriber_id=nadia, issue_id=9)) is Outcome.SUPPRESSED
    )
    assert _status(runtime, nadia)[0] is SubscriberStatus.COMPLAINED
    # Nothing later moves it back: a bounce or an unsubscribe of a complained address is noted only.
    assert _apply(runtime, _report("h", Kind.HARD_BOUNCE, subscriber_id=nadia, issue_id=9)) is Outcome.ALREADY
    assert _apply(runtime, _report("u2", Kind.UNSUBSCRIBE, subscriber_id=nadia)) is Outcome.ALREADY
    assert _status(runtime, nadia)[0] is SubscriberStatus.COMPLAINED


def test_a_report_without_an_issue_counts_against_the_newest_issue_sent(
    make_runtime: Callable[[str], Runtime],
) -> None:
    runtime = make_runtime("")
    karim = _subscriber(runtime, "karim@example.com")
    _sent(runtime, karim, 3, 5)
    _sent(runtime, karim, 6, status=DeliveryStatus.FAILED)

    assert _apply(runtime, _report("c", Kind.COMPLAINT, email="Karim@Example.com")) is Outcome.SUPPRESSED

    with runtime.store.connect() as conn:
        assert reports.counts_by_issue(conn, [3, 5, 6]) == {5: {Kind.COMPLAINT: 1}}
        (stored,) = reports.recent(conn, subscriber_id=karim)
    assert (stored.kind, stored.issue_id, stored.outcome) == (Kind.COMPLAINT, 5, Outcome.SUPPRESSED)


@pytest.mark.parametrize("who", [{"subscriber_id": 999_999}, {"email": "stranger@example.com"}, {}])
def test_a_report_about_nobody_known_is_kept_as_unmatched_and_changes_nothing(
    make_runtime: Callable[[str], Runtime], who: dict[str, object]
) -> None:
    runtime = make_runtime("")
    samir = _subscriber(runtime, "samir@example.com")

    assert _apply(runtime, _report("x", Kind.HARD_BOUNCE, **who)) is Outcome.UNMATCHED

    assert _status(runtime, samir)[0] is SubscriberStatus.ACTIVE
    with runtime.store.connect() as conn:
        assert reports.unmatched_count(conn) == 1


def test_erasing_a_subscriber_erases_their_reports(make_runtime: Callable[[str], Runtime]) -> None:
    runtime = make_runtime("")
    samir = _subscriber(runtime, "samir@example.com")
    _sent(runtime, samir, 7)
    _apply(runtime, _report("h", Kind.HARD_BOUNCE, subscriber_id=samir, issue_id=7))

    with runtime.store.begin() as conn:
        db.delete_subscriber(conn, samir)
    with runtime.store.connect() as conn:
        assert reports.counts_by_issue(conn, [7]) == {}
        assert reports.recent(conn, subscriber_id=samir) == []


def test_reports_are_timestamped_as_received(make_runtime: Callable[[str], Runtime]) -> None:
    runtime = make_runtime("")
    samir = _subscriber(runtime, "samir@example.com")
    _sent(runtime, samir, 7)
    earlier = NOW - timedelta(days=2)
    report = Report(
        key="k",
        source="mailgun",
        kind=Kind.HARD_BOUNCE,
        detail="550",
        occurred_at=earlier,
        subscriber_id=samir,
    )
    _apply(runtime, report)
    with runtime.store.connect() as conn:
        (stored,) = reports.recent(conn, subscriber_id=samir)
    assert stored.occurred_at == earlier and stored.source == "mailgun"
