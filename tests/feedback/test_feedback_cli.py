"""What came back after a send, as operators see it through the real CLI: per issue in `nashra
status` (complaints above the guideline need attention), per subscriber in `subscribers show`,
and the unmatched ones in `subscribers reports --unmatched`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import update

from mail.mailkit import populate, record_test_issue
from nashra.config import Settings
from nashra.feedback import Kind, Report
from nashra.feedback.rules import apply
from nashra.runtime import Runtime
from nashra.store import deliveries
from nashra.store import subscribers as db

TOML = '[[digests]]\nname = "daily"\n'
NOW = datetime(2026, 12, 2, 8, 0, tzinfo=UTC)


def _cli(settings: Settings, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "nashra", "--config", str(settings.origin), *args],
        capture_output=True,
        text=True,
        env={**os.environ, "NASHRA_SECRET": "test-secret", "COLUMNS": "250"},
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def _sent_issue(runtime: Runtime, addresses: list[str]) -> tuple[int, dict[str, int]]:
    populate(runtime, addresses)
    issue_id = record_test_issue(runtime)
    with runtime.store.begin() as conn:
        deliveries.create_deliveries(conn, issue_id, ["default"], "daily", now=NOW)
        conn.execute(update(deliveries.deliveries).values(status="sent"))
        ids = {a: db.find_subscriber(conn, a).id for a in addresses}  # type: ignore[union-attr]
    return issue_id, ids


def _apply(runtime: Runtime, *reports: Report) -> None:
    with runtime.store.begin() as conn:
        for report in reports:
            apply(conn, report, soft_bounce_issues=3, now=NOW)


def test_status_counts_each_issues_reports_and_flags_a_complaint_rate_over_the_guideline(
    make_settings: Callable[[str], Settings],
) -> None:
    settings = make_settings(TOML)
    with Runtime.open(settings) as runtime:
        issue_id, ids = _sent_issue(runtime, [f"r{n}@oasis.example" for n in range(5)])
        _apply(
            runtime,
            Report("a", "mailgun", Kind.HARD_BOUNCE, "550 5.1.1", NOW, subscriber_id=ids["r0@oasis.example"]),
            Report("b", "ses", Kind.COMPLAINT, "abuse", NOW, issue_id=issue_id, email="r1@oasis.example"),
            Report("c", "imap", Kind.UNSUBSCRIBE, "mailto", NOW, subscriber_id=ids["r2@oasis.example"]),
            Report("d", "imap", Kind.HARD_BOUNCE, "5.1.1", NOW, email="nobody@elsewhere.example"),
        )

    document = json.loads(_cli(settings, "status", "--format", "json"))

    [digest] = document["digests"]
    [issue] = digest["issues"]
    assert issue["reports"] == {"hard_bounce": 1, "complaint": 1}  # the unsubscribe names no issue
    assert (
        f"digest daily, issue {issue_id}: 1 spam complaints, 20.00% of sent (keep it under 0.1%)"
        in document["attention"]
    )
    assert any(
        "1 bounce or complaint reports matched no subscriber" in line for line in document["attention"]
    )
    text = _cli(settings, "status")
    assert "1 hard bounced, 1 complained" in text


def test_show_and_reports_say_what_happened_and_why(make_settings: Callable[[str], Settings]) -> None:
    settings = make_settings(TOML)
    with Runtime.open(settings) as runtime:
        issue_id, _ = _sent_issue(runtime, ["samir@oasis.example"])
        _apply(
            runtime,
            Report(
                "a",
                "postmark",
                Kind.HARD_BOUNCE,
                "HardBounce: mailbox unknown",
                NOW,
                email="samir@oasis.example",
            ),
            Report("z", "imap", Kind.HARD_BOUNCE, "5.1.1", NOW, email="nobody@elsewhere.example"),
        )

    shown = _cli(settings, "subscribers", "show", "Samir@Oasis.example")
    assert "status: bounced — hard bounce (postmark): HardBounce: mailbox unknown" in shown
    assert "active" in shown and "postmark" in shown and str(issue_id) in shown

    unmatched = _cli(settings, "subscribers", "reports", "--unmatched")
    assert "nobody@elsewhere.example" in unmatched and "samir" not in unmatched
    everything = _cli(settings, "subscribers", "reports")
    assert "samir@oasis.example" in everything and "suppressed" in everything
