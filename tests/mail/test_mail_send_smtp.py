"""Sending a recorded digest issue to subscribers through a real SMTP server on 127.0.0.1."""

from __future__ import annotations

import email
import re
from collections.abc import Callable
from email import policy
from email.utils import parsedate_to_datetime

import pytest
from aiosmtpd.controller import Controller
from mailkit import DIGESTS_TOML, HTML, SUBJECT, TEXT, SmtpServer, populate, record_test_issue

from nashra.digest import find_digest
from nashra.mail.send import send_digest
from nashra.mail.tokens import UNSUBSCRIBE, Tokens
from nashra.runtime import Runtime
from nashra.store import deliveries
from nashra.store import subscribers as db


def _send(runtime: Runtime):  # type: ignore[no-untyped-def]
    return send_digest(
        runtime,
        find_digest(runtime.settings, "daily"),
        sleep=lambda s: None if s <= 0 else __import__("time").sleep(min(s, 0.2)),
    )


@pytest.mark.sqlite_only
def test_headers_and_both_parts_parse_back(
    make_runtime: Callable[[str], Runtime], smtp_server: SmtpServer
) -> None:
    runtime = make_runtime(smtp_server.toml() + DIGESTS_TOML)
    populate(runtime, ["samir@example.com", "Leila@Example.org"], names={"samir@example.com": "سمير بن علي"})
    issue_id = record_test_issue(runtime)

    summary = _send(runtime)

    assert (summary.status, summary.sent, summary.failed, summary.total) == ("sent", 2, 0, 2)
    assert smtp_server.handler.copies() == {"samir@example.com": 1, "leila@example.org": 1}
    by_rcpt = {
        m.recipients[0]: email.message_from_bytes(m.content, policy=policy.default)
        for m in smtp_server.handler.messages
    }
    message = by_rcpt["samir@example.com"]
    assert message["Subject"] == SUBJECT
    assert re.search(
        rb"^Subject: =\?utf-8\?b\?", smtp_server.handler.messages[0].content, re.MULTILINE | re.IGNORECASE
    )
    assert message["To"].addresses[0].display_name == "سمير بن علي"
    assert message["To"].addresses[0].addr_spec == "samir@example.com"
    assert message["From"].addresses[0].addr_spec == "news@oasis.example"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["List-Id"] == "نشرة <daily.oasis.example>"
    assert parsedate_to_datetime(message["Date"]).tzinfo is not None
    with runtime.store.connect() as conn:
        sub = db.find_subscriber(conn, "samir@example.com")
    assert sub is not None
    assert re.fullmatch(rf"<{issue_id}\.{sub.id}\.[0-9a-f]{{12}}@oasis\.example>", message["Message-ID"])
    https, mailto = [u.strip(" <>") for u in message["List-Unsubscribe"].split(",")]
    assert https.startswith("https://oasis.example/news/unsubscribe/")
    assert mailto.startswith("mailto:unsubscribe@oasis.example?subject=unsubscribe%20")
    token = https.rsplit("/", 1)[1]
    claims = Tokens.from_settings(runtime.settings).read(UNSUBSCRIBE, token)
    assert claims.subscriber_id == sub.id and claims.matches("samir@example.com")

    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert text == TEXT.replace("%%SUBSCRIBER_EMAIL%%", "samir@example.com").replace(
        "%%UNSUBSCRIBE_URL%%", https
    )
    assert html == HTML.replace("%%SUBSCRIBER_EMAIL%%", "samir@example.com").replace(
        "%%UNSUBSCRIBE_URL%%", https
    )
    other = by_rcpt["leila@example.org"]
    assert "leila@example.org" in other.get_body(("plain",)).get_content()
    assert other["List-Unsubscribe"] != message["List-Unsubscribe"]
    for m in smtp_server.handler.messages:
        assert max(len(line) for line in m.content.split(b"\r\n")) <= 998

    # The issue is done: a second run has nothing new and sends nothing more.
    again = _send(runtime)
    assert again.status == "nothing-new"
    assert sum(smtp_server.handler.copies().values()) == 2


def test_temporary_replies_are_retried_then_delivered(
    make_runtime: Callable[[str], Runtime], smtp_server: SmtpServer
) -> None:
    runtime = make_runtime(smtp_server.toml() + DIGESTS_TOML)
    populate(runtime, ["busy@example.com", "greylist@example.com", "ok@example.com"])
    smtp_server.handler.rcpt_replies["busy@example.com"] = [
        "421 4.3.2 Service not available, closing channel"
    ]
    smtp_server.handler.data_replies["greylist@example.com"] = [
        "451 4.7.1 Greylisted, try again",
        "451 4.7.1 again",
    ]
    record_test_issue(runtime)

    summary = _send(runtime)

    assert smtp_server.handler.copies() == {
        "busy@example.com": 1,
        "greylist@example.com": 1,
        "ok@example.com": 1,
    }
    assert (summary.status, summary.sent, summary.retried, summary.failed) == ("sent", 3, 3, 0)
    with runtime.store.connect() as conn:
        assert db.count_by_status(conn) == {"active": 3}


def test_hard_bounce_fails_marks_bounced_and_is_suppressed_next_time(
    make_runtime: Callable[[str], Runtime],
    smtp_server: SmtpServer,
) -> None:
    runtime = make_runtime(smtp_server.toml() + DIGESTS_TOML)
    populate(runtime, ["gone@example.com", "here@example.com"])
    smtp_server.handler.rcpt_replies["gone@example.com"] = ["550 5.1.1 No such user"]
    first_issue = record_test_issue(runtime)

    summary = _send(runtime)

    assert (summary.sent, summary.failed, summary.bounced) == (1, 1, 1)
    assert smtp_server.handler.copies() == {"here@example.com": 1}
    with runtime.store.connect() as conn:
        assert db.find_subscriber(conn, "gone@example.com").status == "bounced"  # type: ignore[union-attr]
        assert deliveries.delivery_counts(conn, first_issue) == {"sent": 1, "failed": 1}

    record_test_issue(runtime, subject="العدد الثاني")
    second = _send(runtime)
    assert (second.total, second.sent) == (1, 1)
    assert smtp_server.handler.copies() == {"here@example.com": 2}


def test_dead_server_pauses_and_resumes_without_losing_place(
    make_runtime: Callable[[str], Runtime],
    smtp_server: SmtpServer,
) -> None:
    runtime = make_runtime(smtp_server.toml(connections=1) + DIGESTS_TOML)
    addresses = [f"reader{n:02d}@example.com" for n in range(12)]
    populate(runtime, addresses)
    record_test_issue(runtime)
    stopped: list[bool] = []

    def stop_after_five(_received):  # type: ignore[no-untyped-def]
        if len(smtp_server.handler.messages) == 5 and not stopped:
            stopped.append(True)
            # The server goes down after the 5th message: it says so (421) to whatever comes next
            # on the connection, so no "." can be in flight when it dies (that one would be
            # "unknown", as test_mail_unknown_outcomes shows), then stops listening.
            smtp_server.handler.closing_rcpt.update(dict.fromkeys(addresses, "421 4.3.2 shutting down"))
            import threading

            threading.Thread(target=smtp_server.controller.stop, daemon=True).start()

    smtp_server.handler.on_message = stop_after_five
    pauses: list[float] = []

    def restart_on_pause(seconds: float) -> None:
        pauses.append(seconds)
        if len(pauses) == 2:  # the server comes back while the send waits
            smtp_server.handler.on_message = None
            smtp_server.handler.closing_rcpt.clear()
            smtp_server.controller = Controller(
                smtp_server.handler, hostname=smtp_server.host, port=smtp_server.port
            )
            smtp_server.controller.start()

    summary = send_digest(runtime, find_digest(runtime.settings, "daily"), sleep=restart_on_pause)

    assert summary.status == "sent" and summary.pauses == 2
    assert smtp_server.handler.copies() == dict.fromkeys(addresses, 1)
