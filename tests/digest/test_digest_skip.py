"""Skipping the next issue: its articles are used up, nothing is sent or claimed as sent, and the
sender then finds nothing new (until newer articles come)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from digest_helpers import DEMO_NOW, stored
from sqlalchemy import Connection

from nashra.digest import find_digest, load_issue, open_issue, prepare_digest, record_issue
from nashra.digest.skip import Skip, skip_next
from nashra.mail.send import SendStatus, send_digest
from nashra.runtime import Runtime
from nashra.store.articles import upsert_articles
from nashra.store.deliveries import digest_issues_progress
from nashra.subscribers import add_subscriber


def test_a_skipped_issue_is_never_sent_and_its_articles_never_come_back(
    demo_runtime: Callable[[str], Runtime],
) -> None:
    runtime = demo_runtime('[mail]\ntransport = "file"\n')
    digest = find_digest(runtime.settings, "daily")
    with runtime.store.begin() as conn:
        add_subscriber(conn, "reader@example.com", now=DEMO_NOW)
    audited: list[int] = []

    def recorded(_conn: Connection, issue_id: int) -> None:
        audited.append(issue_id)

    skipped = skip_next(runtime, digest, now=DEMO_NOW, recorded=recorded)
    assert skipped.outcome is Skip.SKIPPED and skipped.articles == 10 and audited == [skipped.issue_id]
    assert skipped.issue_id is not None
    with runtime.store.connect() as conn:
        issue = load_issue(conn, skipped.issue_id)
        assert open_issue(conn, "daily") is None  # done with, like a sent issue
        (progress,) = digest_issues_progress(conn, "daily")
    assert issue.status == "skipped" and issue.sent_at is None and len(issue.article_ids) == 10
    assert progress.counts == {}  # no delivery: nobody was sent it

    later = DEMO_NOW + timedelta(hours=1)
    assert prepare_digest(runtime, digest, now=later) is None
    summary = send_digest(runtime, digest, now=later)
    assert summary.status is SendStatus.NOTHING_NEW and summary.sent == 0
    assert skip_next(runtime, digest, now=later).outcome is Skip.NOTHING_NEW

    # A newer story goes out in the next issue, alone.
    with runtime.store.begin() as conn:
        upsert_articles(conn, [stored("fresh", seen=later).article], now=later)
    after = prepare_digest(runtime, digest, now=later)
    assert after is not None and len(after.article_ids) == 1


def test_an_issue_being_sent_is_not_skipped(demo_runtime: Callable[[str], Runtime]) -> None:
    runtime = demo_runtime("")
    digest = find_digest(runtime.settings, "daily")
    rendered = prepare_digest(runtime, digest, now=DEMO_NOW)
    assert rendered is not None
    with runtime.store.begin() as conn:
        record_issue(conn, rendered, now=DEMO_NOW)
    assert skip_next(runtime, digest, now=DEMO_NOW).outcome is Skip.OPEN_ISSUE
