"""Reading a message that anyone may have written, and anything may have mangled: the standard
library's parser (policy.default), and helpers that never raise on what it kept of broken input.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage, Message
from email.utils import parsedate_to_datetime

_KEY_CHARS = 280  # feedback_reports.key and inbound_messages.key hold 300
_ADDRESS = re.compile(r"[^\s<>()\[\]:;,\"']+@[^\s<>()\[\]:;,\"']+")
DETAIL_CHARS = 300


class Unreadable(ValueError):
    """Bytes that are not an email message."""


def parse(raw: bytes) -> EmailMessage:
    """The message in `raw`; Unreadable when nothing in it looks like mail (every message has a
    From, RFC 5322 §3.6)."""
    if not raw.strip():
        raise Unreadable("empty")
    message = message_from_bytes(raw, policy=policy.default)
    if not _header(message, "from"):
        raise Unreadable("no From header: not an email message")
    return message


def message_key(message: EmailMessage | None, raw: bytes) -> str:
    """The message's identity, the same every time it is read: its Message-ID (so the copy a
    mailbox keeps and one a service forwards are one report), else a hash of its bytes."""
    found = _header(message, "message-id").strip() if message is not None else ""
    if not found:
        return f"mail:sha256:{_digest(raw)}"
    if found.isascii() and found.isprintable() and len(found) <= _KEY_CHARS:
        return f"mail:{found}"
    return f"mail:sha256:{_digest(found.encode('utf-8', 'replace'))}"


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _header(message: Message, name: str) -> str:
    """A header's raw value (no RFC 2047 decoding, which can raise on broken input), unfolded."""
    for key, value in message.raw_items():
        if key.lower() == name:
            return " ".join(str(value).split())
    return ""


def header(message: Message, name: str) -> str:
    """A header's value, decoded when it can be, else as it came."""
    try:
        value = message.get(name)
    except Exception:  # the policy's header parser on a header broken beyond its repair
        return _header(message, name)
    return " ".join(str(value).split()) if value is not None else ""


def part_text(part: Message) -> str:
    """A leaf part's body, decoded (transfer encoding, then charset, bad bytes replaced)."""
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    charset = part.get_content_charset() or "utf-8"
    try:
        return payload.decode(charset, errors="replace")
    except LookupError:  # a charset Python does not know
        return payload.decode("utf-8", errors="replace")


def _header_block(part: Message) -> str:
    return "\n".join(f"{key}: {value}" for key, value in part.raw_items())


def texts(message: Message) -> Iterator[str]:
    """Every header block and every decoded text of the message, attached messages included:
    where a signed token may be, wherever a reporter put the copy of our message."""
    for part in message.walk():
        yield _header_block(part)
        if not part.is_multipart():
            yield part_text(part)


def main_text(message: EmailMessage) -> str:
    """The body a person wrote (the plain text, else the HTML), not the attachments."""
    try:
        body = message.get_body(preferencelist=("plain", "html"))
    except Exception:
        return ""
    return part_text(body) if body is not None else ""


def sent_at(message: Message, default: datetime) -> datetime:
    """When the message says it was written, as an aware time; `default` for a missing or
    unreadable Date."""
    try:
        moment = parsedate_to_datetime(_header(message, "date"))
    except (TypeError, ValueError, IndexError):
        return default
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def one_line(text: str) -> str:
    """`text` on one line, without control characters (PostgreSQL refuses NUL in text), cut."""
    printable = "".join(c if c.isprintable() else " " for c in text)
    return " ".join(printable.split())[:DETAIL_CHARS]


def redact(text: str) -> str:
    """A reporter's words for the record and the logs: one line, without the addresses in it
    (a matched report points at its subscriber, whose erasure then leaves none behind)."""
    return one_line(_ADDRESS.sub("…", text))
