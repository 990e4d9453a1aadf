"""Signed, expiring tokens for confirm and unsubscribe links.

A token carries the subscriber id and a short hash of the address (so a token stays bound to the
mailbox it was made for even if ids were ever reused) and the time it was made (whole seconds, so a
link older than an unsubscribe can be refused) and is signed with HMAC by itsdangerous;
the purpose is the salt, so an unsubscribe token can never confirm and vice versa.

The key is the install's link-signing key (nashra.signing_key).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from itsdangerous import BadSignature, SignatureExpired, TimestampSigner

from nashra.config import Settings
from nashra.signing_key import load_secret

CONFIRM = "confirm"
UNSUBSCRIBE = "unsubscribe"


class TokenError(ValueError):
    """A link that cannot be honoured; `reason` is "expired" or "invalid"."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"token {reason}")
        self.reason = reason


@dataclass(frozen=True, slots=True)
class TokenClaims:
    subscriber_id: int
    email_hash: str
    issued_at: datetime  # UTC, truncated to the second

    def matches(self, email: str) -> bool:
        return secrets.compare_digest(self.email_hash, email_digest(email))


def email_digest(email: str) -> str:
    return hashlib.sha256(email.encode("utf-8")).hexdigest()[:12]


class Tokens:
    """Makes and checks the two kinds of link token: "<id>.<address hash>.<time>.<HMAC>".

    A bare TimestampSigner (no JSON, no zlib) because every digest message carries one: this is
    on the per-recipient path, where the serializer's compression would cost more than the rest
    of the personalisation together."""

    def __init__(self, secret: str, *, confirm_seconds: float, unsubscribe_seconds: float) -> None:
        self._signers = {
            CONFIRM: TimestampSigner(secret, salt="nashra.confirm"),
            UNSUBSCRIBE: TimestampSigner(secret, salt="nashra.unsubscribe"),
        }
        # Token ages are whole seconds, so flooring the limits changes nothing.
        self._max_age = {CONFIRM: int(confirm_seconds), UNSUBSCRIBE: int(unsubscribe_seconds)}

    @classmethod
    def from_settings(cls, settings: Settings) -> Tokens:
        return cls(
            load_secret(settings),
            confirm_seconds=settings.mail.confirm_hours * 3600,
            unsubscribe_seconds=settings.mail.unsubscribe_days * 86400,
        )

    def make(self, purpose: str, subscriber_id: int, email: str) -> str:
        return self._signers[purpose].sign(f"{subscriber_id}.{email_digest(email)}").decode("ascii")

    def read(self, purpose: str, token: str) -> TokenClaims:
        try:
            signed, issued_at = self._signers[purpose].unsign(
                token, max_age=self._max_age[purpose], return_timestamp=True
            )
            payload = signed.decode("ascii")
        except SignatureExpired:
            raise TokenError("expired") from None
        except (BadSignature, UnicodeError):
            raise TokenError("invalid") from None
        number, _, digest = payload.partition(".")
        if not number.isdigit() or len(digest) != 12:
            raise TokenError("invalid")
        return TokenClaims(int(number), digest, issued_at)
