"""Who a message is about, found only in what Nashra itself signed: anyone can mail the bounce
mailbox, and an address written in a message proves nothing.

- A VERP envelope sender (nashra.mail.verp) names the issue and the subscriber: bounces are sent
  to it, and a returned copy or a complaint's original carries it as Return-Path.
- An unsubscribe token (nashra.mail.tokens) names the subscriber: the List-Unsubscribe mailto puts
  it in the subject, and every digest carries it in List-Unsubscribe and its footer link.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote

from nashra.config import Settings
from nashra.mail.tokens import UNSUBSCRIBE, TokenClaims, TokenError, Tokens
from nashra.mail.verp import BounceTarget, Verp
from nashra.signing_key import load_secret

# "<subscriber id>.<address hash>.<time>.<signature>" (itsdangerous's TimestampSigner, "." between).
_TOKEN = re.compile(r"(?<![\w.-])\d{1,12}\.[0-9a-f]{12}\.[\w-]{4,16}\.[\w-]{16,128}(?![\w.-])", re.ASCII)


@dataclass(frozen=True, slots=True)
class FoundToken:
    claims: TokenClaims | None
    """The first valid token's; None when there was none."""
    problem: str = ""
    """Why no token was taken: "" (none there), "expired" or "invalid"."""


class Signatures:
    """Reads Nashra's signatures back out of any text, with the keys of one install."""

    def __init__(self, verp: Verp, tokens: Tokens) -> None:
        self._verp = verp
        self._tokens = tokens

    @classmethod
    def from_settings(cls, settings: Settings) -> Signatures:
        """Whether `mail.verp` is on or not: a bounce of an issue sent while it was is still read."""
        return cls(Verp(load_secret(settings), settings.mail.envelope_from), Tokens.from_settings(settings))

    def bounce_target(self, text: str) -> BounceTarget | None:
        return self._verp.read(text)

    def unsubscribe_token(self, text: str) -> FoundToken:
        """The first valid unsubscribe token in `text` (percent-encoded in a mailto: URL or not)."""
        problem = ""
        for candidate in _TOKEN.findall(unquote(text)):
            try:
                return FoundToken(self._tokens.read(UNSUBSCRIBE, candidate))
            except TokenError as exc:
                problem = problem or exc.reason
        return FoundToken(None, problem)
