"""A real SMTP server on 127.0.0.1 (aiosmtpd, in the test process) that records what it accepts
and answers chosen addresses with injected replies; plus helpers to fill a store with subscribers
and a recorded digest issue."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from loopback import free_port
from nashra.digest import RenderedDigest, record_issue
from nashra.runtime import Runtime
from nashra.store.deliveries import deliveries
from nashra.store.subscribers import subscribers
from nashra.subscribers import add_subscriber

NOW = datetime(2026, 11, 30, 6, 0, tzinfo=UTC)

SUBJECT = "نشرة الواحة — حصاد الزيتون وانتخابات البلديات"
HTML = (
    '<!doctype html><html lang="ar" dir="rtl"><body style="direction:rtl">'
    "<h1>نشرة الواحة</h1><p>بدأ موسم قطف الزيتون في ولايات الشرق وسط توقعات بمحصول وفير.</p>"
    '<p>أرسلت هذه الرسالة إلى %%SUBSCRIBER_EMAIL%% — <a href="%%UNSUBSCRIBE_URL%%">إلغاء الاشتراك</a></p>'
    "</body></html>"
)
TEXT = (
    "نشرة الواحة\n\nبدأ موسم قطف الزيتون في ولايات الشرق وسط توقعات بمحصول وفير.\n\n"
    "أرسلت هذه الرسالة إلى %%SUBSCRIBER_EMAIL%%\nلإلغاء الاشتراك: %%UNSUBSCRIBE_URL%%\n"
)


@dataclass
class Received:
    recipients: list[str]
    content: bytes
    mail_from: str = ""


@dataclass
class RecordingHandler:
    """Accepts everything unless told otherwise: `rcpt_replies[address]` / `data_replies[address]`
    are lists of replies given to the next attempts for that address (then it accepts);
    `mail_reply` / `rcpt_reply` answer every MAIL FROM / RCPT TO; `closing_rcpt[address]` is
    answered at every RCPT for it, and then the connection is closed (a relay's 421).
    `connections` counts the sessions opened (EHLOs)."""

    messages: list[Received] = field(default_factory=list)
    rcpt_replies: dict[str, list[str]] = field(default_factory=dict)
    data_replies: dict[str, list[str]] = field(default_factory=dict)
    pipelining: bool = True
    mail_reply: str | None = None
    rcpt_reply: str | None = None
    closing_rcpt: dict[str, str] = field(default_factory=dict)
    connections: int = 0
    on_message: Callable[[Received], None] | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_EHLO(self, server, session, envelope, hostname, responses):  # type: ignore[no-untyped-def]
        session.host_name = hostname
        with self.lock:
            self.connections += 1
        if self.pipelining:
            responses.insert(-1, "250-PIPELINING")
        return responses

    async def handle_MAIL(self, server, session, envelope, address, mail_options):  # type: ignore[no-untyped-def]
        if self.mail_reply is not None:
            return self.mail_reply
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # type: ignore[no-untyped-def]
        closing = self.closing_rcpt.get(address)
        if closing is not None:  # say it, then hang up: what Postfix does with a 421
            server.transport.write(f"{closing}\r\n".encode())
            server.transport.close()
            return closing
        if self.rcpt_reply is not None:
            return self.rcpt_reply
        with self.lock:
            queue = self.rcpt_replies.get(address)
            if queue:
                return queue.pop(0)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        with self.lock:
            for address in envelope.rcpt_tos:
                queue = self.data_replies.get(address)
                if queue:
                    return queue.pop(0)
            received = Received(
                list(envelope.rcpt_tos), envelope.original_content or envelope.content, envelope.mail_from
            )
            self.messages.append(received)
        if self.on_message is not None:
            self.on_message(received)
        return "250 2.0.0 Ok: queued"

    def copies(self) -> Counter[str]:
        with self.lock:
            return Counter(address for m in self.messages for address in m.recipients)


@dataclass
class SmtpServer:
    host: str
    port: int
    handler: RecordingHandler
    controller: Controller

    def toml(self, *, connections: int = 2, extra: str = "") -> str:
        return (
            # Real mail must link readers to a public https address (see test_mail_public_links).
            f'{WEB_TOML}[mail]\ntransport = "smtp"\nfrom_address = "نشرة الواحة <news@oasis.example>"\n'
            f'list_id = "oasis.example"\n{extra}\n'
            f'[mail.smtp]\nhost = "{self.host}"\nport = {self.port}\nsecurity = "none"\nconnections = {connections}\n'
            "retry_backoff_seconds = 0.05\npause_seconds = 0.1\ntimeout = 10\n"
        )


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    handler = RecordingHandler()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    server = SmtpServer("127.0.0.1", port, handler, controller)
    yield server
    server.controller.stop(no_assert=True)


@pytest.fixture(autouse=True)
def secret_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NASHRA_SECRET", "test-secret-for-mail-tests")


def populate(
    runtime: Runtime, addresses: list[str], *, list_name: str = "default", names: dict[str, str] | None = None
) -> None:
    with runtime.store.begin() as conn:
        for address in addresses:
            add_subscriber(conn, address, now=NOW, name=(names or {}).get(address, ""), list_name=list_name)


def record_test_issue(runtime: Runtime, *, digest: str = "daily", subject: str = SUBJECT) -> int:
    rendered = RenderedDigest(
        digest=digest,
        subject=subject,
        preheader="حصاد الزيتون",
        html=HTML,
        text=TEXT,
        article_ids=(),
        archive_url=f"https://oasis.example/digests/{digest}/1.html",
    )
    with runtime.store.begin() as conn:
        return record_issue(conn, rendered, now=NOW)


WEB_TOML = '[web]\npublic_url = "https://oasis.example/news"\n\n'
DIGESTS_TOML = '[[digests]]\nname = "daily"\n'


def statuses_by_address(runtime: Runtime, issue_id: int) -> dict[str, str]:
    """Each recipient's delivery status for an issue, as the store has it."""
    with runtime.store.connect() as conn:
        return dict(
            conn.execute(
                select(subscribers.c.email, deliveries.c.status)
                .join(subscribers, subscribers.c.id == deliveries.c.subscriber_id)
                .where(deliveries.c.issue_id == issue_id)
            ).all()
        )
