"""Per-recipient envelope senders (VERP): `bounces+<issue>-<subscriber>-<signature>@domain`.

A bounce goes back to the envelope sender, so an address that names the issue and the subscriber
matches any report to them without reading its (forgeable, often mangled) content. The signature is
an HMAC of the two numbers, so mail from a stranger to `bounces+…@` naming someone else's numbers
matches nobody. Lowercase hex only: relays and mailbox servers may fold the case of a local part,
and the whole token must survive that. 64 bits of signature; the local part stays well under 64
characters for any ids.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass

SALT = b"nashra.bounce:"
_TOKEN = re.compile(r"\+(\d{1,12})-(\d{1,12})-([0-9a-f]{16})@", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class BounceTarget:
    issue_id: int
    subscriber_id: int


class Verp:
    """Makes and reads the per-recipient envelope senders of one base address (`local@domain`)."""

    def __init__(self, secret: str, base: str) -> None:
        local, _, domain = base.rpartition("@")
        self._head = f"{local}+"
        self._tail = f"@{domain}"
        self._key = hmac.new(secret.encode("utf-8"), SALT, hashlib.sha256).digest()

    def _signature(self, issue_id: int, subscriber_id: int) -> str:
        message = f"{issue_id}-{subscriber_id}".encode("ascii")
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()[:16]

    def address(self, issue_id: int, subscriber_id: int) -> str:
        signature = self._signature(issue_id, subscriber_id)
        return f"{self._head}{issue_id}-{subscriber_id}-{signature}{self._tail}"

    def read(self, text: str) -> BounceTarget | None:
        """Whom a bounce is about: the first token in `text` (an address, a header, a whole
        message) that carries this key's signature, or None (any base address: a mailbox may have
        been renamed since the send)."""
        for found in _TOKEN.finditer(text):
            issue_id, subscriber_id = int(found[1]), int(found[2])
            if hmac.compare_digest(found[3].lower(), self._signature(issue_id, subscriber_id)):
                return BounceTarget(issue_id, subscriber_id)
        return None
