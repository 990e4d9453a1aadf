"""`[feedback.imap]` and `[feedback.inbound]`: where bounces, complaints and mailed unsubscribes come
in (issue #16). Either, both or neither: without them Nashra reads no mail, and the "inbound" stage
does nothing. Secrets are never keys here: `password_env` and `token_env` name environment variables.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

MessageKb = Annotated[int, Field(ge=16, le=65536)]
"""How much of one message is read: bounces and complaints say what they mean in their first
kilobytes; the copy of the digest they return after it is cut, not refused."""


class ImapSettings(BaseModel):
    """`[feedback.imap]`: the mailbox the envelope sender (`mail.return_path`, with `mail.verp`) and
    the List-Unsubscribe address deliver to, polled by the worker's "inbound" job."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    host: str
    port: Annotated[int, Field(gt=0, lt=65536)] | None = None
    """Default: 993 with security = "tls", else 143."""
    security: Literal["tls", "starttls", "none"] = "tls"
    username: str
    password_env: str = "NASHRA_IMAP_PASSWORD"
    ca_file: Path | None = None
    """PEM certificates to trust for this server instead of the system's (a private mail server)."""
    folder: str = "INBOX"
    after: Literal["move", "seen", "delete"] = "move"
    """What is done to a message once what it said is committed: moved to `move_to`, flagged
    \\Seen, or deleted (flagged \\Deleted and expunged). Only unseen messages are read."""
    move_to: str = "Nashra"
    """The folder `after = "move"` moves to; it must exist (`nashra check` says so)."""
    every_minutes: Annotated[float, Field(gt=0)] = 5
    timeout_seconds: Annotated[float, Field(gt=0)] = 30
    max_messages: Annotated[int, Field(ge=1, le=10000)] = 500
    """At most this many messages a poll; the rest wait for the next one."""
    max_message_kb: MessageKb = 1024

    @model_validator(mode="after")
    def _move_elsewhere(self) -> ImapSettings:
        if self.after == "move" and self.move_to == self.folder:
            raise ValueError('move_to must differ from folder (or set after = "seen" or "delete")')
        return self

    @property
    def server_port(self) -> int:
        return self.port or (993 if self.security == "tls" else 143)


class InboundSettings(BaseModel):
    """`[feedback.inbound]`: `POST /inbound/mail` on `nashra serve` takes one raw message (RFC 5322
    bytes as the body), for a mail server or service that forwards mail to a URL instead of
    keeping a mailbox. It answers only requests that carry the token (Bearer, or as the password
    of HTTP basic auth)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    token_env: str = "NASHRA_INBOUND_TOKEN"
    max_message_kb: MessageKb = 1024
