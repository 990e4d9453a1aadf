"""Messages whose fate nobody saw: the relay hangs up after the final "." without a reply. They
are "unknown" — never "sent" — counted and reported, and the digest's `unknown` policy decides
whether they are sent again. And the web-archive copy every message links to exists before the
first message leaves."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator

import pytest
from mailkit import DIGESTS_TOML, SmtpServer, populate, record_test_issue
from postfix_sink import CRASH_KEEP, CRASH_LOSE, PostfixSink

from nashra.digest import find_digest, load_issue
from nashra.digest.archive import archive_path
from nashra.mail.send import send_digest
from nashra.mail.stage import digests_stage
from nashra.runtime import Runtime
from nashra.store import deliveries

READERS = [f"reader{n}@oasis.example" for n in range(12)]
CRASHES = {"reader3@oasis.example": CRASH_KEEP, "reader7@oasis.example": CRASH_LOSE}


@pytest.fixture
def sink() -> Iterator[PostfixSink]:
    server = PostfixSink(fault=lambda address, attempt: CRASHES.get(address) if attempt == 1 else None)
    server.start()
    yield server
    server.stop()


def test_a_hang_up_after_the_dot_is_unknown_reported_and_not_resent(
    make_runtime: Callable[[str], Runtime], sink: PostfixSink
) -> None:
    runtime = make_runtime(sink.toml(connections=3) + DIGESTS_TOML)
    populate(runtime, READERS)
    issue_id = record_test_issue(runtime)

    report = digests_stage(runtime)

    assert report.counts["sent"] == 10 and report.counts["unknown"] == 2
    assert report.problems == [
        (
            f"digest daily issue {issue_id}: 2 unknown — the server may or may not have them (a crash or "
            "hang-up between the final '.' and its reply); not resent (digest policy unknown = \"skip\")"
        )
    ]
    with runtime.store.connect() as conn:
        assert deliveries.delivery_counts(conn, issue_id) == {"sent": 10, "unknown": 2}
    assert sink.attempts["reader3@oasis.example"] == sink.attempts["reader7@oasis.example"] == 1
    assert sink.copies()["reader3@oasis.example"] == 1 and sink.copies()["reader7@oasis.example"] == 0
    assert digests_stage(runtime).counts == {"nothing_new": 1}  # the issue is over: nothing resent
    status = subprocess.run(
        [sys.executable, "-m", "nashra", "--config", str(runtime.settings.origin), "status"],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
        check=True,
    ).stdout
    row = re.search(rf"daily\W+{issue_id}\W+sent\W+(\d+)\W+(\d+)\W+(\d+)\W+(\d+)\W+(\d+)", status)
    assert row is not None, status
    assert row.groups() == ("10", "0", "0", "0", "2")  # sent, failed, bounced, skipped, unknown


def test_the_resend_policy_sends_unknown_messages_again(
    make_runtime: Callable[[str], Runtime], sink: PostfixSink
) -> None:
    runtime = make_runtime(sink.toml(connections=3) + DIGESTS_TOML + 'unknown = "resend"\n')
    populate(runtime, READERS)
    issue_id = record_test_issue(runtime)

    summary = send_digest(runtime, find_digest(runtime.settings, "daily"), sleep=lambda _s: None)

    assert (summary.status, summary.sent, summary.unknown, summary.retried) == ("sent", 12, 0, 2)
    with runtime.store.connect() as conn:
        assert deliveries.delivery_counts(conn, issue_id) == {"sent": 12}
    # The operator's trade: nobody misses the issue, and a reader whose copy the relay had kept gets two.
    assert sink.copies()["reader7@oasis.example"] == 1
    assert sink.copies()["reader3@oasis.example"] == 2


def test_the_archive_copy_exists_before_the_first_message(
    make_runtime: Callable[[str], Runtime], smtp_server: SmtpServer
) -> None:
    runtime = make_runtime(smtp_server.toml() + DIGESTS_TOML)
    populate(runtime, READERS[:3])
    issue_id = record_test_issue(runtime)
    with runtime.store.connect() as conn:
        issue = load_issue(conn, issue_id)
    archive = archive_path(runtime.settings, issue.archive_url)
    seen: list[bool] = []
    smtp_server.handler.on_message = lambda _received: seen.append(archive.is_file())

    summary = send_digest(runtime, find_digest(runtime.settings, "daily"))

    assert summary.sent == 3 and seen == [True, True, True]


@pytest.mark.sqlite_only
def test_digest_send_exits_3_when_deliveries_are_unknown(
    make_runtime: Callable[[str], Runtime], sink: PostfixSink
) -> None:
    runtime = make_runtime(sink.toml(connections=2) + DIGESTS_TOML)
    populate(runtime, READERS)
    issue_id = record_test_issue(runtime)
    sent = subprocess.run(
        [sys.executable, "-m", "nashra", "--config", str(runtime.settings.origin), "digest", "send"],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
        check=False,
    )
    assert sent.returncode == 3, sent.stdout + sent.stderr
    assert f"digest daily issue {issue_id}: 2 unknown — the server may or may not have them" in sent.stdout
