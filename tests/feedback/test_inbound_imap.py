"""The bounce mailbox, end to end on SQLite and PostgreSQL: a real digest goes out over SMTP with
VERP envelope senders; bounces of it (Postfix, Exim, Gmail, Exchange, a soft one), an ARF complaint
carrying it, a mailto: unsubscribe made from its own List-Unsubscribe header, a forged bounce and
garbage wait in a real IMAP server on 127.0.0.1; the "inbound" stage reads them. Each subscriber
is matched by Nashra's signatures alone, a second poll (and the same messages delivered again)
changes nothing, and a poll cut between the commit and the mailbox's flag doubles nothing."""

from __future__ import annotations

import ssl
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from imapkit import ImapServer, imap_server
from inboundkit import headers_of, message
from sqlalchemy import Connection, func, select

from loopback import self_signed_certificate
from mail.mailkit import DIGESTS_TOML, SmtpServer, populate, record_test_issue
from nashra.digest import find_digest
from nashra.feedback.inbound import receive
from nashra.feedback.signed import Signatures
from nashra.feedback.stage import inbound_jobs, poll_mailbox
from nashra.jobs import Every
from nashra.mail.send import send_digest
from nashra.pipeline import all_jobs
from nashra.runtime import Runtime
from nashra.store import inbound
from nashra.store import subscribers as db
from nashra.store.feedback import Outcome, feedback
from nashra.store.subscribers import SubscriberStatus

PASSWORD_ENV = "TEST_IMAP_PASSWORD"
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
SUBSCRIBERS = [
    "samir@example.com",
    "leila@example.org",
    "karim@example.com",
    "nadia@example.net",
    "yusuf@example.com",
    "amina@example.org",
    "omar@example.com",
    "hind@example.org",
    "salma@example.com",
]


@pytest.fixture
def imap(monkeypatch: pytest.MonkeyPatch) -> Iterator[ImapServer]:
    with imap_server() as server:
        monkeypatch.setenv(PASSWORD_ENV, server.state.password)
        yield server


class Sent:
    """One real send of a digest with VERP: each recipient's message as the relay received it."""

    def __init__(self, runtime: Runtime, smtp_server: SmtpServer, addresses: list[str]) -> None:
        populate(runtime, addresses)
        self.issue_id = record_test_issue(runtime)
        summary = send_digest(runtime, find_digest(runtime.settings, "daily"), sleep=lambda s: None)
        assert summary.sent == len(addresses)
        self.by_address = {m.recipients[0]: m for m in smtp_server.handler.messages}

    def verp(self, address: str) -> str:
        return self.by_address[address].mail_from

    def original(self, address: str) -> bytes:
        return self.by_address[address].content

    def parsed(self, address: str) -> EmailMessage:
        found = message_from_bytes(self.original(address), policy=policy.default)
        assert isinstance(found, EmailMessage)
        return found

    def bounce(self, name: str, address: str) -> bytes:
        original = self.original(address)
        return message(
            name,
            verp=self.verp(address),
            address=address,
            headers=headers_of(original),
            original=original.decode(),
            message_id=self.parsed(address)["Message-ID"].strip("<>"),
        )

    def unsubscribe_by_mail(self, address: str) -> bytes:
        """What a mail client sends for the mailto: half of this digest's List-Unsubscribe."""
        header = str(self.parsed(address)["List-Unsubscribe"])
        mailto = next(p.strip(" <>") for p in header.split(",") if "mailto:" in p)
        url = urlsplit(mailto)
        subject = parse_qs(url.query)["subject"][0]
        return (
            f"From: {address}\r\nTo: {unquote(url.path)}\r\nSubject: {subject}\r\n"
            "Date: Tue, 1 Dec 2026 19:22:03 +0100\r\nMessage-ID: <unsubscribe.1@mail.example.org>\r\n"
            "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\r\n"
        ).encode()


def _runtime(
    make_runtime: Callable[[str], Runtime], smtp_server: SmtpServer, imap: ImapServer, **kw: str
) -> Runtime:
    extra = 'return_path = "bounces@oasis.example"\nverp = true'
    return make_runtime(smtp_server.toml(extra=extra) + DIGESTS_TOML + imap.toml(**kw))


def _statuses(runtime: Runtime) -> dict[str, SubscriberStatus]:
    with runtime.store.connect() as conn:
        found = {a: db.find_subscriber(conn, a) for a in SUBSCRIBERS}
    return {a: row.status for a, row in found.items() if row is not None}


def _rows(runtime: Runtime) -> tuple[int, int, int]:
    """(feedback reports, kept messages, status changes) in the store."""
    with runtime.store.connect() as conn:
        reports = conn.execute(select(func.count()).select_from(feedback)).scalar_one()
        changes = sum(len(db.status_history(conn, row.id)) for row in _all(conn))
        return reports, inbound.kept_count(conn), changes


def _all(conn: Connection) -> list[db.SubscriberRow]:
    return [row for a in SUBSCRIBERS if (row := db.find_subscriber(conn, a)) is not None]


def test_the_mailbox_poll_matches_each_report_by_signature_and_is_idempotent(
    make_runtime: Callable[[str], Runtime], smtp_server: SmtpServer, imap: ImapServer
) -> None:
    runtime = _runtime(make_runtime, smtp_server, imap)
    sent = Sent(runtime, smtp_server, SUBSCRIBERS)
    mails = [
        sent.bounce("postfix_hard", "samir@example.com"),
        sent.bounce("exim_hard", "leila@example.org"),
        sent.bounce("gmail_hard", "karim@example.com"),
        sent.bounce("outlook_hard", "nadia@example.net"),
        # The feedback loop lost the VERP sender: the digest's own List-Unsubscribe names Yusuf.
        message(
            "arf_abuse",
            envelope="bounces@oasis.example",
            original=sent.original("yusuf@example.com").decode(),
        ),
        sent.unsubscribe_by_mail("amina@example.org"),
        sent.bounce("mailbox_full", "omar@example.com"),
        sent.bounce("postfix_delayed", "hind@example.org"),
        message(
            "vacation",
            address="hind@example.org",
            verp=sent.verp("hind@example.org"),
            unsubscribe_url=str(sent.parsed("hind@example.org")["List-Unsubscribe"]),
        ),
        message("forged_bounce", address="salma@example.com", subscriber_id="9"),
        b"\x00\xff garbage \x80\x81" * 50,
    ]
    for mail in mails:
        imap.state.deliver(mail)

    first = poll_mailbox(runtime)

    assert first.problems == []
    assert first.counts == {"suppressed": 6, "counted": 1, "ignored": 2, "unmatched": 1, "kept": 1}
    assert _statuses(runtime) == {
        "samir@example.com": SubscriberStatus.BOUNCED,
        "leila@example.org": SubscriberStatus.BOUNCED,
        "karim@example.com": SubscriberStatus.BOUNCED,
        "nadia@example.net": SubscriberStatus.BOUNCED,
        "yusuf@example.com": SubscriberStatus.COMPLAINED,
        "amina@example.org": SubscriberStatus.UNSUBSCRIBED,
        "omar@example.com": SubscriberStatus.ACTIVE,  # 5.2.2: one soft bounce of three
        "hind@example.org": SubscriberStatus.ACTIVE,  # a delay warning and an out-of-office
        "salma@example.com": SubscriberStatus.ACTIVE,  # named in plain text only
    }
    assert (imap.state.count("INBOX"), imap.state.count("Nashra")) == (0, len(mails))
    rows = _rows(runtime)
    assert rows == (8, 2, 6)
    with runtime.store.connect() as conn:
        kept = inbound.newest(conn, limit=10)
    assert sorted(k.why for k in kept) == [
        "hard bounce naming no subscriber through a Nashra signature",
        "unreadable: no From header: not an email message",
    ]

    assert poll_mailbox(runtime).counts == {}  # nothing unseen is left

    for mail in mails:  # the same messages again: restored from a backup, or a second copy
        imap.state.deliver(mail)
    again = poll_mailbox(runtime)

    assert again.counts == {"duplicate": 9, "ignored": 2}
    assert _rows(runtime) == rows
    assert imap.state.count("INBOX") == 0


def test_a_poll_cut_between_the_commit_and_the_flag_doubles_nothing(
    make_runtime: Callable[[str], Runtime], smtp_server: SmtpServer, imap: ImapServer
) -> None:
    runtime = _runtime(make_runtime, smtp_server, imap)
    sent = Sent(runtime, smtp_server, ["samir@example.com", "amina@example.org"])
    imap.state.deliver(sent.bounce("postfix_hard", "samir@example.com"))
    imap.state.deliver(sent.unsubscribe_by_mail("amina@example.org"))
    imap.state.hang_up_on = {"MOVE"}  # the connection dies as the first message is being moved

    cut = poll_mailbox(runtime)

    assert cut.counts == {"suppressed": 1} and len(cut.problems) == 1
    assert "move 1" in cut.problems[0] and "read again on the next poll" in cut.problems[0]
    assert _statuses(runtime)["samir@example.com"] is SubscriberStatus.BOUNCED  # committed
    assert imap.state.count("INBOX") == 2 and imap.state.flags() == [set(), set()]

    imap.state.hang_up_on = set()
    resumed = poll_mailbox(runtime)

    assert resumed.counts == {"duplicate": 1, "suppressed": 1}
    assert _rows(runtime) == (2, 0, 2)
    assert (imap.state.count("INBOX"), imap.state.count("Nashra")) == (0, 2)


@pytest.mark.sqlite_only
@pytest.mark.parametrize(
    ("after", "move", "inbox", "done"),
    [
        ("seen", True, [{"\\Seen"}], 0),
        ("delete", True, [], 0),
        ("move", False, [], 1),  # a server without MOVE: copied, then deleted
    ],
)
def test_what_is_done_to_a_processed_message(
    make_runtime: Callable[[str], Runtime],
    smtp_server: SmtpServer,
    imap: ImapServer,
    after: str,
    move: bool,
    inbox: list[set[str]],
    done: int,
) -> None:
    imap.state.move = move
    runtime = _runtime(make_runtime, smtp_server, imap, after=after)
    sent = Sent(runtime, smtp_server, ["amina@example.org"])
    imap.state.deliver(sent.unsubscribe_by_mail("amina@example.org"))

    assert poll_mailbox(runtime).counts == {"suppressed": 1}  # within one poll

    assert _statuses(runtime) == {"amina@example.org": SubscriberStatus.UNSUBSCRIBED}
    assert (imap.state.flags(), imap.state.count("Nashra")) == (inbox, done)
    assert poll_mailbox(runtime).counts == {}


@pytest.mark.sqlite_only
def test_without_a_mailbox_the_stage_does_nothing_and_is_not_scheduled(
    make_runtime: Callable[[str], Runtime], imap: ImapServer
) -> None:
    runtime = make_runtime("")

    report = poll_mailbox(runtime)

    assert (report.stage, report.counts, report.problems) == ("inbound", {}, [])
    assert inbound_jobs(runtime.settings) == ()
    configured = make_runtime(imap.toml(extra="every_minutes = 2")).settings
    [job] = [job for job in all_jobs(configured) if job.id == "inbound"]
    assert job.when == Every(minutes=2)


@pytest.mark.sqlite_only
def test_a_mailbox_that_refuses_the_login_is_a_problem_line_not_a_crash(
    make_runtime: Callable[[str], Runtime], imap: ImapServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    runtime = make_runtime(imap.toml())
    imap.state.deliver(b"From: a@example.com\r\nSubject: x\r\n\r\nx\r\n")
    monkeypatch.setenv(PASSWORD_ENV, "wrong")

    report = poll_mailbox(runtime)

    assert report.counts == {}
    [problem] = report.problems
    assert problem.startswith(f"imap 127.0.0.1:{imap.port}: login as bounces@oasis.example: ")
    assert "AUTHENTICATIONFAILED" in problem
    monkeypatch.delenv(PASSWORD_ENV)
    assert "environment variable TEST_IMAP_PASSWORD is not set" in poll_mailbox(runtime).problems[0]
    assert imap.state.flags() == [set()]


@pytest.mark.sqlite_only
def test_the_mailbox_over_tls_is_read_only_with_a_certificate_it_trusts(
    make_runtime: Callable[[str], Runtime],
    smtp_server: SmtpServer,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    cert, key = self_signed_certificate(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    with imap_server(context=context) as server:
        monkeypatch.setenv(PASSWORD_ENV, server.state.password)
        trusting = _runtime(make_runtime, smtp_server, server, security="tls", extra=f'ca_file = "{cert}"')
        sent = Sent(trusting, smtp_server, ["amina@example.org"])
        server.state.deliver(sent.unsubscribe_by_mail("amina@example.org"))
        untrusting = make_runtime(server.toml(security="tls"))

        refused = poll_mailbox(untrusting)
        read = poll_mailbox(trusting)

    assert refused.counts == {} and "CERTIFICATE_VERIFY_FAILED" in refused.problems[0]
    assert read.counts == {"suppressed": 1}


def test_control_characters_in_a_message_never_reach_a_text_column(
    make_runtime: Callable[[str], Runtime],
) -> None:
    """PostgreSQL refuses NUL in text: a Message-ID, a diagnostic or a header made of them is
    hashed, cleaned or kept as bytes."""
    runtime = make_runtime("")
    raw = message("forged_bounce", address="salma@example.com", subscriber_id="9")
    raw = raw.replace(b"Message-Id: <20261130070000.forged@mx.stranger.example>", b"Message-Id: <a\x00b@x>")
    raw = raw.replace(b"550 5.1.1 User unknown\r\n", b"550 5.1.1 User\x00 unknown\x07\r\n")
    signatures = Signatures.from_settings(runtime.settings)

    with runtime.store.begin() as conn:
        outcome = receive(conn, raw, source="imap", signatures=signatures, soft_bounce_issues=3, now=NOW)
        kept = receive(
            conn,
            b"From: \x00\r\nSubject: \x00\r\n\r\n\x00",
            source="imap",
            signatures=signatures,
            soft_bounce_issues=3,
            now=NOW,
        )

    assert (outcome, kept) == (Outcome.UNMATCHED, "kept")
    with runtime.store.connect() as conn:
        reason = conn.execute(select(feedback.c.reason, feedback.c.key)).one()
    assert "\x00" not in reason.reason and reason.key.startswith("mail:sha256:")
    assert "User unknown" in reason.reason
