"""What a transport is: a session that takes messages from a feed, hands them to the next hop and
says what happened to each.

The sender is the feed (`Feed`): the session asks it for the next message whenever it has room,
calls its `commit` with the messages about to become irrevocable at the last moment before they
are (before the final "." of SMTP DATA, before the rename of an .eml file), and reports each
message's outcome once, as soon as it is known. The sender records its intent for those rows in
`commit`, so a process killed before it leaves them provably undelivered (retried), and one
killed after it leaves them "unknown", never "sent" unseen. If `commit` raises (the sender was
fenced off), those messages are abandoned without their ".". See nashra.mail.send.

A session drives its messages as it likes (the SMTP one keeps several connections busy on their
own); `BatchSession` is the simple shape for a transport that works a batch at a time.
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


@dataclass(slots=True)
class Outgoing:
    """One message on its way, with the sender's own reference to it (its delivery row)."""

    envelope: Envelope
    data: bytes
    ref: object = None


class Committing(Protocol):
    """A commit the feed left running: the messages it covers wait for it, the rest goes on."""

    def fileno(self) -> int:
        """Readable when `done` may have become true (for the session's selector)."""
        ...

    def done(self) -> bool:
        """Whether it is committed, without waiting; raises what `Feed.commit` would have."""
        ...

    def wait(self) -> None: ...


class Feed(Protocol):
    """The sender's side of a session (see the module doc)."""

    def next_message(self) -> Outgoing | None:
        """The next message to send, or None: nothing more for this session (it then finishes
        what it has in flight and returns)."""
        ...

    def commit(self, messages: Sequence[Outgoing]) -> Committing | None:
        """Record the intent for `messages`, whose final "." (or equivalent) follows at once; or
        start recording it and return the commit, and their "." follow once it is done."""
        ...

    def outcome(self, message: Outgoing, outcome: Outcome | None) -> None:
        """What happened to `message`; None = never attempted (the connection went away before
        anything of it was answered, or the session was aborted before its commit): send it again."""
        ...


class MailSession(Protocol):
    width: int
    """How many messages it has in flight at most (for SMTP: one per parallel connection)."""

    def pump(self, feed: Feed) -> None:
        """Send what `feed` gives until it gives None, reporting every message it took exactly
        once. Raises ServerUnavailable when no connection to the next hop can be had; an exception
        from the feed aborts the session (after reporting what it took) and is raised again."""
        ...

    def close(self) -> None: ...


Commit = Callable[[Sequence[int]], None]


def commit_now(feed: Feed, messages: Sequence[Outgoing]) -> None:
    """`feed.commit`, waited for: for a session with nothing else to do meanwhile."""
    committing = feed.commit(messages)
    if committing is not None:
        committing.wait()


def _committer(feed: Feed, taken: Sequence[Outgoing]) -> Commit:
    return lambda indexes: commit_now(feed, [taken[i] for i in indexes])


class BatchSession(ABC):
    """A session that works `width` messages at a time: `send_batch` is all it writes."""

    width: int = 64

    @abstractmethod
    def send_batch(self, batch: Sequence[tuple[Envelope, bytes]], commit: Commit) -> list[Outcome | None]:
        """One outcome per message (None = not attempted), calling `commit` with the indexes of
        the messages about to become irrevocable, once, just before they do."""

    def pump(self, feed: Feed) -> None:
        while True:
            taken: list[Outgoing] = []
            while len(taken) < self.width and (message := feed.next_message()) is not None:
                taken.append(message)
            if not taken:
                return
            outcomes: list[Outcome | None] = [None] * len(taken)
            try:
                outcomes = self.send_batch(
                    [(m.envelope, m.data) for m in taken],
                    _committer(feed, taken),
                )
            finally:
                for message, outcome in zip(taken, outcomes, strict=True):
                    feed.outcome(message, outcome)
            if len(taken) < self.width:
                return

    def close(self) -> None:
        return None


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


class _One:
    """The feed of `send_one`: one message, nothing to record."""

    def __init__(self, message: Outgoing) -> None:
        self.message: Outgoing | None = message
        self.result: Outcome | None = None

    def next_message(self) -> Outgoing | None:
        message, self.message = self.message, None
        return message

    def commit(self, messages: Sequence[Outgoing]) -> Committing | None:
        return None

    def outcome(self, message: Outgoing, outcome: Outcome | None) -> None:
        self.result = outcome


def send_one(transport: Transport, envelope: Envelope, message: bytes) -> Outcome:
    """A single message outside any delivery record (confirmation mails, test sends)."""
    feed = _One(Outgoing(envelope, message))
    session = transport.open()
    try:
        session.pump(feed)
    finally:
        session.close()
    if feed.result is None:
        raise ServerUnavailable("connection lost before the message was sent", where=envelope.recipient)
    return feed.result
