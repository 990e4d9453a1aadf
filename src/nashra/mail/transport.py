"""What a transport is: a session that hands a batch of messages to the next hop and says what
happened to each.

`send_batch` takes a `commit` callback that it calls once per batch, with the indexes of the
messages about to become irrevocable, at the last moment before they are (before the final "."
of SMTP DATA, before the rename of an .eml file). The delivery loop records its intent for those
rows in that callback, so a process killed before it leaves them provably undelivered (retried),
and one killed after it leaves them "unknown", never "sent" unseen. If the callback raises (the
sender was fenced off), the messages are abandoned without their ".". See nashra.mail.send.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import ClassVar, Literal, Protocol, TypeVar

from nashra.config import Settings
from nashra.config.mail import TransportOptions
from nashra.errors import DeliveryError
from nashra.plugins import Adapter


@dataclass(frozen=True, slots=True)
class Envelope:
    sender: str
    recipient: str
    key: str
    """Unique per message (issue and subscriber): names files, appears in logs."""
    wire_ready: bool = False
    """The message has CRLF line endings and no line starting with "." (no dot-stuffing needed)."""


class Stage(StrEnum):
    """The step of the SMTP dialogue a reply answered: it says *what* was refused (see nashra.mail.replies)."""

    CONNECT = "connect"  # greeting, EHLO, STARTTLS, AUTH: the connection
    MAIL = "mail"  # MAIL FROM: the sender
    RCPT = "rcpt"  # RCPT TO: this recipient, or the relaying as a whole
    DATA = "data"  # DATA or the reply to the final ".": the message


@dataclass(frozen=True, slots=True)
class Outcome:
    kind: Literal["sent", "temporary", "permanent", "unknown"]
    code: int = 250
    detail: str = ""
    committed: bool = False
    """Whether `commit` covered this message (its intent to send is recorded)."""
    stage: Stage = Stage.DATA
    closed: bool = False
    """The server closed the connection (a 421, or it just went away) instead of answering."""

    def describe(self) -> str:
        return f"{self.code} {self.detail}".strip()


class ServerUnavailable(DeliveryError):
    """The next hop cannot be reached or went away before the message was committed; nothing
    about this message was delivered, so it can be retried as it is once the server is back."""


Commit = Callable[[Sequence[int]], None]


class MailSession(Protocol):
    width: int
    """How many messages one batch may carry (for SMTP: one per parallel connection)."""

    def send_batch(self, batch: Sequence[tuple[Envelope, bytes]], commit: Commit) -> list[Outcome | None]:
        """One outcome per message; None = not attempted (connection lost before commit; retry it).
        Raises ServerUnavailable when no message of the batch could even be started."""
        ...

    def close(self) -> None: ...


class Transport(Protocol):
    """A kind registered in `nashra.transports`; built once per send from its `[mail.<name>]` options."""

    Options: ClassVar[type[TransportOptions]]
    reaches_readers: ClassVar[bool]
    """Whether its messages reach real mailboxes (so their links must work from anywhere)."""

    def __init__(self, options: TransportOptions, settings: Settings) -> None: ...

    def open(self) -> MailSession: ...


OptionsT = TypeVar("OptionsT", bound=TransportOptions)


class TransportBase(Adapter[OptionsT], ABC):
    """`class SmtpTransport(TransportBase[SmtpSettings])`: typed `self.options`, and the settings."""

    Options: ClassVar[type[TransportOptions]]
    reaches_readers: ClassVar[bool] = True

    def __init__(self, options: OptionsT, settings: Settings) -> None:
        self.options = options
        self.settings = settings

    @abstractmethod
    def open(self) -> MailSession:
        """See `Transport.open`."""

    def verify(self) -> str:
        """A session opened and closed with nothing sent: all a transport in general can show."""
        self.open().close()
        return "session opened and closed, nothing sent"


def send_one(transport: Transport, envelope: Envelope, message: bytes) -> Outcome:
    """A single message outside any delivery record (confirmation mails, test sends)."""
    session = transport.open()
    try:
        outcome = session.send_batch([(envelope, message)], lambda _indexes: None)[0]
    finally:
        session.close()
    if outcome is None:
        raise ServerUnavailable("connection lost before the message was sent", where=envelope.recipient)
    return outcome
