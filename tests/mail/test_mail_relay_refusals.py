"""A relay that refuses the sender, the relaying or the message stops the send as a configuration
error and bounces nobody; only recipient-specific permanent failures suppress an address; a 421
that closes a pipelined connection is retried a bounded number of times (issue #11, items 1-2)."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from mailkit import DIGESTS_TOML, SmtpServer, populate, record_test_issue
from typer.testing import CliRunner

from nashra.cli import app
from nashra.digest import find_digest
from nashra.errors import RelayRefused
from nashra.mail.send import SendSummary, send_digest
from nashra.runtime import Runtime
from nashra.store import deliveries
from nashra.store import subscribers as db

READERS = [f"reader{n:02d}@example.com" for n in range(30)]


def _sleep(seconds: float) -> None:
    time.sleep(min(max(seconds, 0), 0.2))


def _send(runtime: Runtime) -> SendSummary:
    return send_digest(runtime, find_digest(runtime.settings, "daily"), sleep=_sleep)


def _nobody_suppressed(runtime: Runtime, issue_id: int) -> None:
    with runtime.store.connect() as conn:
        assert db.count_by_status(conn) == {"active": len(READERS)}
        counts = deliveries.delivery_counts(conn, issue_id)
    assert set(counts) <= {"queued", "deferred"}, counts
    assert sum(counts.values()) == len(READERS)


@pytest.mark.parametrize(
    ("where", "reply", "cause"),
    [
        ("rcpt", "550 5.7.1 Relaying denied", "550 5.7.1 Relaying denied"),
        ("mail", "553 5.7.1 Sender address rejected", "refused the sender news@oasis.example"),
    ],
)
def test_a_relay_refusing_everyone_stops_the_send_and_bounces_nobody(
    make_runtime: Callable[[str], Runtime], smtp_server: SmtpServer, where: str, reply: str, cause: str
) -> None:
    runtime = make_runtime(smtp_server.toml() + DIGESTS_TOML)
    populate(runtime, READERS)
    issue_id = record_test_issue(runtime)
    if where == "rcpt":
        smtp_server.handler.rcpt_reply = reply
    else:
        smtp_server.handler.mail_reply = reply

    with pytest.raises(RelayRefused) as refused:
        _send(runtime)

    message = str(refused.value)
    assert "\n" not in message and cause in message and reply in message
    assert smtp_server.handler.copies() == {}
    _nobody_suppressed(runtime, issue_id)


def test_the_cli_exits_non_zero_with_one_line_naming_the_refusal(
    make_runtime: Callable[[str], Runtime], smtp_server: SmtpServer
) -> None:
    runtime = make_runtime(smtp_server.toml() + DIGESTS_TOML)
    populate(runtime, READERS)
    issue_id = record_test_issue(runtime)
    smtp_server.handler.mail_reply = "553 5.7.1 Sender address rejected"

    result = CliRunner().invoke(app, ["--config", str(runtime.settings.origin), "digest", "send"])

    assert result.exit_code != 0
    # main() prints a NashraError as one line ("error: …"), exit code 1.
    assert isinstance(result.exception, RelayRefused), result.output
    assert "553 5.7.1 Sender address rejected" in str(result.exception)
    _nobody_suppressed(runtime, issue_id)


def test_one_unknown_user_among_many_is_bounced_and_the_rest_delivered(
    make_runtime: Callable[[str], Runtime], smtp_server: SmtpServer
) -> None:
    runtime = make_runtime(smtp_server.toml() + DIGESTS_TOML)
    populate(runtime, READERS)
    issue_id = record_test_issue(runtime)
    gone = READERS[3]
    smtp_server.handler.rcpt_replies[gone] = ["550 5.1.1 <reader03@example.com>: No such user"]

    summary = _send(runtime)

    assert (summary.status, summary.sent, summary.failed, summary.bounced) == ("sent", 29, 1, 1)
    assert smtp_server.handler.copies() == {a: 1 for a in READERS if a != gone}
    with runtime.store.connect() as conn:
        assert db.count_by_status(conn) == {"active": 29, "bounced": 1}
        assert db.find_subscriber(conn, gone).status == "bounced"  # type: ignore[union-attr]
        assert deliveries.delivery_counts(conn, issue_id) == {"sent": 29, "failed": 1}


def test_a_full_mailbox_fails_without_suppressing_the_address(
    make_runtime: Callable[[str], Runtime], smtp_server: SmtpServer
) -> None:
    runtime = make_runtime(smtp_server.toml() + DIGESTS_TOML)
    populate(runtime, READERS)
    issue_id = record_test_issue(runtime)
    full = READERS[5]
    smtp_server.handler.rcpt_replies[full] = ["552 5.2.2 Mailbox full"]

    summary = _send(runtime)

    assert (summary.status, summary.sent, summary.failed, summary.bounced) == ("sent", 29, 1, 0)
    with runtime.store.connect() as conn:
        assert db.count_by_status(conn) == {"active": 30}
        assert deliveries.delivery_counts(conn, issue_id) == {"sent": 29, "failed": 1}


def test_a_421_that_closes_a_pipelined_connection_is_retried_a_bounded_number_of_times(
    make_runtime: Callable[[str], Runtime], smtp_server: SmtpServer
) -> None:
    runtime = make_runtime(smtp_server.toml(connections=1) + "retry_attempts = 3\n" + DIGESTS_TOML)
    populate(runtime, ["closing@example.com", "ok@example.com"])
    issue_id = record_test_issue(runtime)
    smtp_server.handler.closing_rcpt["closing@example.com"] = (
        "421 4.3.2 Service shutting down, closing channel"
    )
    smtp = runtime.settings.mail.smtp
    assert smtp_server.handler.pipelining

    started = time.monotonic()
    summary = _send(runtime)

    assert time.monotonic() - started < 30
    # One connection per attempt of the closing address, one for the rest, one spare.
    assert smtp_server.handler.connections <= smtp.retry_attempts + 2
    assert smtp_server.handler.copies() == {"ok@example.com": 1}
    assert summary.sent == 1
    with runtime.store.connect() as conn:
        assert db.count_by_status(conn) == {"active": 2}
        counts = deliveries.delivery_counts(conn, issue_id)
    assert counts.get("sent") == 1 and counts.get("failed", 0) + counts.get("deferred", 0) == 1
