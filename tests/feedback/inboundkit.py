"""The messages of tests/feedback/messages/: bounces, a complaint, an unsubscribe and others, written
after RFC 3464, RFC 5965 and what Postfix, Exim, Sendmail, Gmail and Exchange send, with
`${placeholders}` for what a test fills in (the VERP address, the subscriber's address, the copy of
the digest they return, a token)."""

from __future__ import annotations

from pathlib import Path
from string import Template

MESSAGES = Path(__file__).parent / "messages"


def message(name: str, **values: str) -> bytes:
    """The message in `name`.eml with CRLF line ends and `values` filled in (all it names)."""
    template = (MESSAGES / f"{name}.eml").read_text(encoding="utf-8").replace("\n", "\r\n")
    return Template(template).substitute(values).encode("utf-8")


def headers_of(original: bytes) -> str:
    """The header block of a message, as a text/rfc822-headers part carries it."""
    return original.split(b"\r\n\r\n", 1)[0].decode("utf-8") + "\r\n"
