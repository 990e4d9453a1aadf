"""One SMTP connection of a send, as a state machine the session drives without blocking on it.

A lane carries one message at a time through MAIL, RCPT, DATA, the body and the final ".", and
reports the message's outcome as soon as its reply is in. The session (nashra.mail.transports.smtp)
waits on all its lanes at once and tells a lane to go on when its socket has replies, so each
connection runs at its own pace instead of waiting for the slowest.

With PIPELINING (RFC 2920; Postfix and most relays) a lane writes MAIL, RCPT and DATA in one go,
and once a body is written and its intent committed it writes the final "." together with the next
message's MAIL, RCPT and DATA ("the actual transfer of message content is explicitly allowed to be
the first command in a group", RFC 2920 3.1): one round trip per message instead of two or four.
Without PIPELINING every command waits for the reply to the one before.

What a hang-up means for each message in flight (see nashra.mail.send for why it matters):
- its "." went out and no reply came back: "unknown" (the server may have kept it);
- its body or its envelope was under way: a temporary failure, retried later;
- nothing of it was answered yet and it rode behind an earlier message's ".": never attempted,
  given back as it is (the server closed the connection on the message before it).
"""

from __future__ import annotations

import smtplib
import socket
import ssl
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Literal

from nashra.errors import DeliveryError, RelayRefused
from nashra.mail.transport import Outcome, Outgoing, ServerUnavailable, Stage

_DISCONNECTED = (OSError, smtplib.SMTPServerDisconnected, smtplib.SMTPResponseException, ssl.SSLError)
_OK = {Stage.MAIL: (250, 251), Stage.RCPT: (250, 251), Stage.DATA: (354,)}
_ENVELOPE = (Stage.MAIL, Stage.RCPT, Stage.DATA)
_READ = 256 * 1024

Report = Callable[[Outgoing, Outcome | None], None]


@dataclass(frozen=True)
class SmtpOptions:
    host: str
    port: int
    security: str = "none"
    username: str | None = None
    password: str | None = None
    timeout: float = 30
    helo: str | None = None
    ssl_context: ssl.SSLContext | None = None

    @property
    def where(self) -> str:
        return f"smtp {self.host}:{self.port}"


def connect(options: SmtpOptions) -> smtplib.SMTP:
    """A connection ready for MAIL FROM: greeting, EHLO, STARTTLS and AUTH done by smtplib (the
    standard library's client, the most robust we can ship). Raises ServerUnavailable when the
    server cannot be had for now, RelayRefused when it refuses us for good."""
    context = options.ssl_context or (ssl.create_default_context() if options.security != "none" else None)
    try:
        if options.security == "tls":
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                options.host,
                options.port,
                local_hostname=options.helo,
                timeout=options.timeout,
                context=context,
            )
        else:
            smtp = smtplib.SMTP(
                options.host, options.port, local_hostname=options.helo, timeout=options.timeout
            )
        smtp.ehlo_or_helo_if_needed()
        if options.security == "starttls":
            smtp.starttls(context=context)
            smtp.ehlo()
        if options.username:
            smtp.login(options.username, options.password or "")
    except smtplib.SMTPAuthenticationError as exc:
        raise RelayRefused(
            f"the relay refused the login of {options.username!r}: {exc.smtp_code}",
            where=options.where,
            hint="check mail.smtp.username and the password variable",
        ) from None
    except (smtplib.SMTPConnectError, smtplib.SMTPHeloError) as exc:
        if exc.smtp_code < 500:
            raise ServerUnavailable(f"cannot connect: {exc}", where=options.where) from None
        raise RelayRefused(
            f"the relay refused the connection: {exc.smtp_code} {_text(exc.smtp_error)}",
            where=options.where,
            hint="nobody was bounced; check mail.smtp and the relay",
        ) from None
    except smtplib.SMTPNotSupportedError as exc:
        raise DeliveryError(str(exc), where=options.where, hint="check mail.smtp.security") from None
    except (*_DISCONNECTED, smtplib.SMTPException) as exc:
        raise ServerUnavailable(f"cannot connect: {exc}", where=options.where) from None
    if smtp.sock is None:  # the server hung up during the greeting and smtplib closed the socket
        raise ServerUnavailable("connection closed during setup", where=options.where)
    # Without it Nagle holds each small "." until the server's delayed ACK (~40 ms).
    smtp.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return smtp


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply


def outcome_of(
    code: int, text: str, stage: Stage, *, committed: bool = False, closed: bool = False
) -> Outcome:
    if code == 250:
        return Outcome("sent", code, text, committed=committed, stage=stage)
    kind: Literal["temporary", "permanent"] = "temporary" if code < 500 else "permanent"
    return Outcome(kind, code, text, committed=committed, stage=stage, closed=closed or code == 421)


def _cut(stage: Stage, why: str) -> Outcome:
    """The server hung up before answering: a temporary failure of this message, counted like a 4xx."""
    return Outcome("temporary", 0, f"connection lost: {why}", stage=stage, closed=True)


def _lost_after_end(why: str) -> Outcome:
    # The "." left but the reply did not come back: the server may have queued the message (Postfix
    # keeps one whose "." arrived before the hang-up) or not. Nobody saw it accepted.
    return Outcome("unknown", 0, f"connection lost after end of data: {why}", committed=True)


DOT_NEVER_LEFT = Outcome(
    "temporary", 0, "connection lost before the end of data", committed=True, stage=Stage.DATA, closed=True
)


def wire(message: bytes, *, ready: bool) -> bytes:
    """The message as DATA carries it, without the final ".": dot-stuffed unless `ready`."""
    if not ready and (message.startswith(b".") or b"\n." in message):
        message = (b"." if message.startswith(b".") else b"") + message.replace(b"\n.", b"\n..")
    return message if message.endswith(b"\r\n") else message + b"\r\n"


class Awaiting(Enum):
    """What a reply the lane waits for answers."""

    MAIL = Stage.MAIL
    RCPT = Stage.RCPT
    DATA = Stage.DATA
    DOT = "dot"  # the final "." of an earlier message
    NOTHING = "nothing"  # RSET, or the "." that ends a refused transaction: its reply is not a verdict


class Lane:
    """One connection, opened on first use and again after it breaks or gets a 421."""

    def __init__(self, options: SmtpOptions, report: Report) -> None:
        self.options = options
        self._report = report
        self.smtp: smtplib.SMTP | None = None
        self.sock: socket.socket | None = None
        self.pipelining = False
        self.waiting: deque[tuple[Awaiting, Outgoing | None]] = deque()
        self.current: Outgoing | None = None
        """The message whose transaction is open on this connection (envelope or body under way)."""
        self.ready = False
        """`current`'s body is written: it waits for its intent to be committed, then its "."."""
        self._replies: list[tuple[int, str]] = []
        self._behind_dot = False
        self._inbox = b""
        self._lines: list[str] = []
        self._active = 0.0

    @property
    def connected(self) -> bool:
        return self.sock is not None

    def idle(self) -> bool:
        """Whether it can start a message now (after the replies it waits for, if it pipelines)."""
        return self.current is None and (self.pipelining or not self.waiting)

    def open(self) -> None:
        """Connect (raises ServerUnavailable, RelayRefused or DeliveryError)."""
        self.smtp = connect(self.options)
        self.sock = self.smtp.sock
        self.pipelining = self.smtp.has_extn("pipelining")
        self._inbox, self._lines = b"", []

    def begin(self, message: Outgoing) -> None:
        """Start `message` on this connection (which must be open)."""
        self._start(message, b"", behind=None)

    def finish(self, following: Outgoing | None) -> None:
        """The final "." of `current` (its intent is committed), with `following`'s envelope
        behind it when the server pipelines; without PIPELINING `following` must be None."""
        done, self.current, self.ready = self.current, None, False
        assert done is not None
        self._start(following, b".\r\n", behind=done)

    def _start(self, message: Outgoing | None, prefix: bytes, *, behind: Outgoing | None) -> None:
        commands = [prefix] if prefix else []
        expected: list[tuple[Awaiting, Outgoing | None]] = [(Awaiting.DOT, behind)] if behind else []
        if message is not None:
            envelope = message.envelope
            mail = f"MAIL FROM:<{envelope.sender}>\r\n".encode()
            if self.pipelining:
                commands += [mail, f"RCPT TO:<{envelope.recipient}>\r\n".encode(), b"DATA\r\n"]
                expected += [(Awaiting.MAIL, message), (Awaiting.RCPT, message), (Awaiting.DATA, message)]
            else:
                commands.append(mail)
                expected.append((Awaiting.MAIL, message))
            self.current, self._replies, self._behind_dot = message, [], behind is not None
        if self._write(b"".join(commands)):
            self.waiting.extend(expected)
            return
        # Nothing of this write reached the server: the "." never left, the message never started.
        self.current = None
        if behind is not None:
            self._report(behind, DOT_NEVER_LEFT)
        if message is not None:
            self._report(message, None)
        self._broken("the connection was gone before the commands went out")

    def _write(self, data: bytes) -> bool:
        assert self.sock is not None
        try:
            self.sock.sendall(data)
        except _DISCONNECTED:
            return False
        self._active = time.monotonic()
        return True

    def readable(self) -> None:
        """Read what the server sent and act on every complete reply."""
        assert self.sock is not None
        try:
            data = self.sock.recv(_READ)
            while isinstance(self.sock, ssl.SSLSocket) and self.sock.pending():
                data += self.sock.recv(_READ)
        except ssl.SSLWantReadError:
            return
        except _DISCONNECTED as exc:
            self._broken(str(exc))
            return
        if not data:
            self._broken("closed by the server")
            return
        self._active = time.monotonic()
        self._inbox += data
        while (end := self._inbox.find(b"\n")) >= 0:
            line, self._inbox = self._inbox[:end].rstrip(b"\r"), self._inbox[end + 1 :]
            if len(line) < 3 or not line[:3].isdigit():
                self._broken(f"not an SMTP reply: {line[:80]!r}")
                return
            self._lines.append(line[4:].decode("utf-8", "replace"))
            if line[3:4] == b"-":  # a reply of several lines goes on
                continue
            text, self._lines = "\n".join(self._lines), []
            self._reply(int(line[:3]), text)
            if not self.connected:  # that reply ended the connection
                return

    def overdue(self, now: float) -> bool:
        return bool(self.waiting) and now - self._active > self.options.timeout

    def time_out(self) -> None:
        self._broken(f"no reply in {self.options.timeout:g} s")

    def _reply(self, code: int, text: str) -> None:
        if not self.waiting:
            self._broken(f"a reply nobody asked for: {code} {text}")
            return
        awaiting, message = self.waiting.popleft()
        if awaiting is Awaiting.NOTHING:
            if code == 421:
                self._broken(f"{code} {text}")
            return
        if awaiting is Awaiting.DOT:
            assert message is not None
            self._report(message, outcome_of(code, text, Stage.DATA, committed=True))
            if code == 421:
                self._broken(f"{code} {text}")
            return
        self._replies.append((code, text))
        stage = awaiting.value
        assert isinstance(stage, Stage)
        assert message is not None and message is self.current
        if code not in _OK[stage]:
            if code != 421 and self.pipelining and len(self._replies) < 3:
                return  # the rest of the envelope's replies are on their way: judge with all three
            self._refused()
        elif stage is Stage.DATA:
            self._write_body()
        elif not self.pipelining:
            following = Awaiting.RCPT if stage is Stage.MAIL else Awaiting.DATA
            command = f"RCPT TO:<{message.envelope.recipient}>\r\n" if stage is Stage.MAIL else "DATA\r\n"
            self.waiting.append((following, message))
            if not self._write(command.encode()):
                self._broken("the connection went away mid-envelope")

    def _refused(self) -> None:
        """The envelope was refused: report why and end the transaction (RSET), or the connection
        after a 421."""
        message, self.current = self.current, None
        assert message is not None
        replies = self._replies
        first = next(
            (code, text, stage)
            for (code, text), stage in zip(replies, _ENVELOPE, strict=False)
            if code not in _OK[stage]
        )
        refusal = outcome_of(*first)
        self._report(message, refusal)
        if refusal.closed:
            self._broken(refusal.describe())
            return
        data_open = len(replies) == 3 and replies[2][0] == 354
        # A server that opened DATA although it refused the recipient: end it empty, then reset.
        closing = [b".\r\n"] if data_open else []
        self.waiting.extend((Awaiting.NOTHING, None) for _ in [*closing, b"RSET"])
        if not self._write(b"".join([*closing, b"RSET\r\n"])):
            self._broken("the connection went away after a refusal")

    def _write_body(self) -> None:
        assert self.current is not None
        if self._write(wire(self.current.data, ready=self.current.envelope.wire_ready)):
            self.ready = True
        else:
            message, self.current = self.current, None
            self._report(message, _cut(Stage.DATA, "while writing the message"))
            self._broken("the connection went away while writing a message")

    def _broken(self, why: str) -> None:
        """The connection is gone: settle every message in flight (see the module doc), close."""
        waiting, self.waiting = self.waiting, deque()
        for awaiting, message in waiting:
            if awaiting is Awaiting.DOT and message is not None:
                self._report(message, _lost_after_end(why))
        message, ready = self.current, self.ready
        self.current, self.ready = None, False
        if message is not None:
            if ready:
                self._report(message, _cut(Stage.DATA, why))
            elif self._replies or not self._behind_dot:
                stage = _ENVELOPE[min(len(self._replies), 2)]
                self._report(message, self._refusal_so_far() or _cut(stage, why))
            else:
                self._report(message, None)
        self.close(polite=False)

    def _refusal_so_far(self) -> Outcome | None:
        for (code, text), stage in zip(self._replies, _ENVELOPE, strict=False):
            if code not in _OK[stage]:
                return outcome_of(code, text, stage, closed=True)
        return None

    def abandon(self) -> None:
        """The session is aborted: give `current` back unsent (its "." never goes out; the server
        drops the transaction with the connection), keep waiting only for replies to "."s."""
        message, self.current, self.ready = self.current, None, False
        if message is not None:
            self._report(message, None)
        self.waiting = deque((a, m) for a, m in self.waiting if a is Awaiting.DOT)

    def close(self, *, polite: bool = True) -> None:
        smtp, self.smtp, self.sock = self.smtp, None, None
        self.waiting.clear()
        if smtp is None:
            return
        if polite:
            try:
                smtp.quit()
                return
            except (*_DISCONNECTED, smtplib.SMTPException):
                pass
        smtp.close()
