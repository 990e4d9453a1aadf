"""What a bounce says: did delivery fail for good, and how hard (RFC 3464 DSNs, and the older
formats flufl.bounce knows: Exim's text, qmail, Exchange before DSNs, …).

Hard or soft is read from the enhanced status code (RFC 3463), as a reply at RCPT is
(nashra.mail.replies): a code that says the mailbox is gone or disabled is a hard bounce; every
other failure — 4.x.x given up after days, 5.2.2 mailbox full, a policy or content refusal — is
soft, and suppresses only after `feedback.soft_bounce_issues` issues in a row. A provider that
refuses one sender's mail for a while must not wipe its users off the list. A bounce without any
code is hard: the old formats that carry none say "permanent error" and name the address.

A DSN whose recipients were only delayed (or delivered, relayed, expanded) is no failure.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.message import EmailMessage, Message

from flufl.bounce import all_failures

from nashra.feedback.mime import header, main_text, redact
from nashra.mail.replies import mailbox_gone
from nashra.store.feedback import Kind

_CODE = re.compile(r"(?<![\d.])([245])\.(\d{1,3})\.(\d{1,3})(?![\d.])")


@dataclass(frozen=True, slots=True)
class Bounce:
    kind: Kind | None
    """HARD_BOUNCE or SOFT_BOUNCE; None for a delay warning (nothing failed yet)."""
    detail: str


def _code(text: str) -> tuple[int, int, int] | None:
    found = _CODE.search(text)
    return (int(found[1]), int(found[2]), int(found[3])) if found else None


def _kind(code: tuple[int, int, int] | None) -> Kind:
    if code is None or mailbox_gone(code):
        return Kind.HARD_BOUNCE
    return Kind.SOFT_BOUNCE


def _recipient_blocks(message: Message) -> list[Message]:
    """The per-recipient field blocks of every message/delivery-status part (the first block of
    each is about the message, and has no Action)."""
    blocks = []
    for part in message.walk():
        if part.get_content_type() != "message/delivery-status":
            continue
        payload = part.get_payload()
        if isinstance(payload, list):
            blocks += [block for block in payload if isinstance(block, Message) and header(block, "action")]
    return blocks


def _from_dsn(blocks: list[Message]) -> Bounce:
    failed = [b for b in blocks if header(b, "action").lower().startswith(("failed", "error"))]
    if not failed:
        actions = sorted({header(b, "action").split()[0].lower() for b in blocks})
        return Bounce(None, f"delivery status notification: {', '.join(actions)}")
    block = failed[0]
    status, diagnostic = header(block, "status"), header(block, "diagnostic-code")
    code = _code(status) or _code(diagnostic)
    words = diagnostic.partition(";")[2].strip() or diagnostic
    return Bounce(_kind(code), redact(words if status in words else f"{status} {words}"))


def read_bounce(message: EmailMessage) -> Bounce | None:
    """The bounce in `message`, or None when it is not one."""
    blocks = _recipient_blocks(message)
    if blocks:
        return _from_dsn(blocks)
    delayed, failed = all_failures(message)
    if not failed:
        return Bounce(None, "delivery delayed") if delayed else None
    text = main_text(message)
    code = _code(text)
    line = next((line for line in text.splitlines() if code and _CODE.search(line)), "")
    return Bounce(_kind(code), redact(line or "permanent failure, no status code"))
