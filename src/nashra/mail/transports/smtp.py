"""SMTP transport: smtplib for the connections (TLS, STARTTLS, AUTH), a lean transaction for speed.

A session keeps `connections` SMTP connections open for the whole send and drives them in
lockstep from ONE thread: a batch puts one message on each connection, phase by phase —
envelopes out on all, envelope replies in from all, bodies out on all, one database commit for
the batch, the final "." out on all, replies in from all. The server works on every connection
at once while we wait for the slowest, and there is neither a thread hand-off (the GIL) nor a
per-message commit. That, not the socket library, is what decides speed here:
- with PIPELINING (RFC 2920; Postfix and most relays) MAIL, RCPT and DATA go out in one write
  and their three replies are read together: two round trips per message instead of four;
- the message is CRLF-normalised and has no line starting with "." (nashra.mail.message), so it
  goes out as it is in one write instead of being regex-scanned by `sendmail` per recipient;
- the final "." goes out after `commit()` recorded the intent (never twice, see nashra.mail.send);
- TCP_NODELAY, or Nagle would hold each small "." until the server's delayed ACK (~40 ms).
smtplib (standard library) is kept for connecting, TLS and AUTH: the most robust client we can ship.
"""

from __future__ import annotations

import smtplib
import socket
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from nashra.config import Settings
from nashra.config.mail import SmtpSettings
from nashra.config.secrets import read_secret
from nashra.errors import ConfigError, DeliveryError, RelayRefused
from nashra.mail.transport import Commit, Envelope, Outcome, ServerUnavailable, Stage, TransportBase

_DISCONNECTED = (OSError, smtplib.SMTPServerDisconnected, smtplib.SMTPResponseException, ssl.SSLError)
_ENVELOPE_OK = ((250, 251), (250, 251), (354,))
_ENVELOPE_STAGES = (Stage.MAIL, Stage.RCPT, Stage.DATA)


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


def _outcome(code: int, text: str, stage: Stage, *, committed: bool = False, closed: bool = False) -> Outcome:
    if code == 250:
        return Outcome("sent", code, text, committed=committed, stage=stage)
    kind: Literal["temporary", "permanent"] = "temporary" if code < 500 else "permanent"
    return Outcome(kind, code, text, committed=committed, stage=stage, closed=closed or code == 421)


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply


def _cut(stage: Stage, exc: BaseException) -> Outcome:
    """The server hung up before answering: a temporary failure of this message, counted like a 4xx."""
    return Outcome("temporary", 0, f"connection lost: {exc}", stage=stage, closed=True)


class SmtpConnection:
    """One SMTP connection, its transaction split into the phases a batch interleaves."""

    def __init__(self, options: SmtpOptions) -> None:
        self.alive = False
        where = f"{options.host}:{options.port}"
        context = options.ssl_context or (
            ssl.create_default_context() if options.security != "none" else None
        )
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
                where=f"smtp {where}",
                hint="check mail.smtp.username and the password variable",
            ) from None
        except (smtplib.SMTPConnectError, smtplib.SMTPHeloError) as exc:
            if exc.smtp_code < 500:
                raise ServerUnavailable(f"cannot connect: {exc}", where=f"smtp {where}") from None
            raise RelayRefused(
                f"the relay refused the connection: {exc.smtp_code} {_text(exc.smtp_error)}",
                where=f"smtp {where}",
                hint="nobody was bounced; check mail.smtp and the relay",
            ) from None
        except smtplib.SMTPNotSupportedError as exc:
            raise DeliveryError(str(exc), where=f"smtp {where}", hint="check mail.smtp.security") from None
        except (*_DISCONNECTED, smtplib.SMTPException) as exc:
            raise ServerUnavailable(f"cannot connect: {exc}", where=f"smtp {where}") from None
        sock = smtp.sock
        if sock is None:  # the server hung up during the greeting and smtplib closed the socket
            raise ServerUnavailable("connection closed during setup", where=f"smtp {where}")
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.smtp = smtp
        self.sock = sock
        """The socket after STARTTLS: bodies are written to it directly."""
        self.where = where
        self.pipelining = smtp.has_extn("pipelining")
        self._early: list[tuple[int, str]] | None = None
        self._early_cut: Outcome | None = None
        self.alive = True

    def _reply(self) -> tuple[int, str]:
        code, message = self.smtp.getreply()
        return code, message.decode("utf-8", "replace")

    def _lost(self, exc: BaseException) -> ServerUnavailable:
        self.close()
        return ServerUnavailable(f"connection lost: {exc}", where=f"smtp {self.where}")

    def start(self, envelope: Envelope) -> None:
        """Phase 1: MAIL, RCPT, DATA — pipelined in one write, or one by one without PIPELINING."""
        commands = (f"MAIL FROM:<{envelope.sender}>\r\n", f"RCPT TO:<{envelope.recipient}>\r\n", "DATA\r\n")
        self._early, self._early_cut = None, None
        try:  # a connection that is already gone (say, closed while idle) was not tried: retry it
            self.smtp.send("".join(commands) if self.pipelining else commands[0])
        except _DISCONNECTED as exc:
            raise self._lost(exc) from None
        if self.pipelining:
            return
        replies: list[tuple[int, str]] = []
        try:
            for command, expected in zip(commands, _ENVELOPE_OK, strict=True):
                if replies:
                    self.smtp.send(command)
                replies.append(self._reply())
                if replies[-1][0] not in expected:
                    break
        except _DISCONNECTED as exc:
            self.close()
            self._early_cut = _cut(_ENVELOPE_STAGES[len(replies)], exc)
        self._early = replies

    def envelope_refused(self) -> Outcome | None:
        """Phase 2: None when DATA is open (354), else the refusal, with the transaction reset.
        A server that hangs up here (a 421 mid-pipeline, or none) refused this message for now."""
        replies = self._early
        if self._early_cut is not None:
            return self._early_cut
        if replies is None:
            replies = []
            try:
                while len(replies) < 3:
                    replies.append(self._reply())
            except _DISCONNECTED as exc:
                self.close()
                return self._first_refusal(replies, closed=True) or _cut(_ENVELOPE_STAGES[len(replies)], exc)
        refused = self._first_refusal(replies)
        if refused is None:
            return None
        data_open = len(replies) == 3 and replies[2][0] == 354
        try:
            if data_open:  # a server that opened DATA although it refused the recipient: end it empty
                self.smtp.send(".\r\n")
                self._reply()
            if refused.closed:
                self.close()
            else:
                self.smtp.send("RSET\r\n")
                self._reply()
        except _DISCONNECTED:
            self.close()
        return refused

    @staticmethod
    def _first_refusal(replies: Sequence[tuple[int, str]], *, closed: bool = False) -> Outcome | None:
        for (code, text), ok, stage in zip(replies, _ENVELOPE_OK, _ENVELOPE_STAGES, strict=False):
            if code not in ok:
                return _outcome(code, text, stage, closed=closed)
        return None

    def write_body(self, message: bytes, *, wire_ready: bool = False) -> Outcome | None:
        """Phase 3: the message, without the final "."; dot-stuffed unless `wire_ready`.
        None once written, else why not (the server hung up)."""
        if not wire_ready and (message.startswith(b".") or b"\n." in message):
            message = (b"." if message.startswith(b".") else b"") + message.replace(b"\n.", b"\n..")
        if not message.endswith(b"\r\n"):
            message += b"\r\n"
        try:
            self.sock.sendall(message)
        except _DISCONNECTED as exc:
            self.close()
            return _cut(Stage.DATA, exc)
        return None

    def finish(self) -> bool:
        """Phase 5: the final "." (after the commit). False if the connection broke."""
        try:
            self.smtp.send(b".\r\n")
            return True
        except _DISCONNECTED:
            self.close()
            return False

    def result(self) -> Outcome:
        """Phase 6: the server's verdict on the message."""
        try:
            code, text = self._reply()
        except _DISCONNECTED as exc:
            self.close()
            return _lost_after_end(exc)
        if code == 421:
            self.close()
        return _outcome(code, text, Stage.DATA, committed=True)

    def close(self) -> None:
        if not self.alive:
            return
        self.alive = False
        try:
            self.smtp.quit()
        except (*_DISCONNECTED, smtplib.SMTPException):
            self.smtp.close()

    def abandon(self) -> None:
        """Hang up mid-DATA without the final ".": the server drops the message (RFC 5321 4.1.1.4)."""
        self.alive = False
        self.smtp.close()


def _lost_after_end(exc: BaseException | str) -> Outcome:
    # The "." left but the reply did not come back: the server may have queued the message (Postfix
    # keeps one whose "." arrived before the hang-up) or not. Nobody saw it accepted.
    return Outcome("unknown", 0, f"connection lost after end of data: {exc}", committed=True)


class SmtpSession:
    """`width` connections, opened on first use and reopened after they break or get a 421."""

    def __init__(self, options: SmtpOptions, width: int) -> None:
        self.options = options
        self.width = width
        self._connections: list[SmtpConnection | None] = [None] * width

    def _connection(self, slot: int) -> SmtpConnection:
        current = self._connections[slot]
        if current is None or not current.alive:
            current = SmtpConnection(self.options)
            self._connections[slot] = current
        return current

    def send_batch(self, batch: Sequence[tuple[Envelope, bytes]], commit: Commit) -> list[Outcome | None]:
        if len(batch) > self.width:
            raise ValueError(f"batch of {len(batch)} for {self.width} connections")
        outcomes: list[Outcome | None] = [None] * len(batch)
        started: list[int] = []
        failure: ServerUnavailable | None = None
        for slot, (envelope, _message) in enumerate(batch):
            try:
                self._connection(slot).start(envelope)
                started.append(slot)
            except ServerUnavailable as exc:
                failure = exc
        if not started and failure is not None:
            raise failure
        open_data = []
        for slot in started:
            refused = self._connection_at(slot).envelope_refused()
            if refused is None:
                open_data.append(slot)
            else:
                outcomes[slot] = refused
        written = []
        for slot in open_data:
            envelope, message = batch[slot]
            cut = self._connection_at(slot).write_body(message, wire_ready=envelope.wire_ready)
            if cut is None:
                written.append(slot)
            else:
                outcomes[slot] = cut
        if not written:
            return outcomes
        try:
            commit(written)
        except BaseException:
            for slot in written:
                self._connection_at(slot).abandon()
            raise
        ended = []
        for slot in written:
            if self._connection_at(slot).finish():
                ended.append(slot)
            else:  # the "." never left: the server dropped the transaction; undo the record, retry
                outcomes[slot] = Outcome(
                    "temporary",
                    0,
                    "connection lost before the end of data",
                    committed=True,
                    stage=Stage.DATA,
                    closed=True,
                )
        for slot in ended:
            outcomes[slot] = self._connection_at(slot).result()
        return outcomes

    def _connection_at(self, slot: int) -> SmtpConnection:
        found = self._connections[slot]
        assert found is not None
        return found

    def close(self) -> None:
        for connection in self._connections:
            if connection is not None:
                connection.close()
        self._connections = [None] * self.width


def _connection_options(smtp: SmtpSettings, settings: Settings) -> SmtpOptions:
    """`[mail.smtp]` resolved for connecting: the password read, the CA file loaded."""
    password = read_secret(smtp.password_env, purpose="mail.smtp.username") if smtp.username else None
    context = None
    if smtp.ca_file is not None:
        ca_file = settings.resolve(smtp.ca_file)
        try:
            context = ssl.create_default_context(cafile=str(ca_file))
        except (OSError, ssl.SSLError) as exc:
            where = settings.locate(("mail", "smtp", "ca_file"))
            raise ConfigError([f"{where}: mail.smtp.ca_file: cannot load {ca_file}: {exc}"]) from None
    return SmtpOptions(
        host=smtp.host,
        port=smtp.port,
        security=smtp.security,
        username=smtp.username,
        password=password,
        timeout=smtp.timeout,
        ssl_context=context,
    )


class SmtpTransport(TransportBase[SmtpSettings]):
    def __init__(self, options: SmtpSettings, settings: Settings) -> None:
        super().__init__(options, settings)
        self.connection = _connection_options(options, settings)

    def open(self) -> SmtpSession:
        return SmtpSession(self.connection, self.options.connections)

    def verify(self) -> str:
        """One connection through every step a send takes (connect, EHLO, STARTTLS, AUTH), then QUIT."""
        options = self.connection
        steps = ["TLS connect" if options.security == "tls" else "connect", "EHLO"]
        steps += ["STARTTLS"] if options.security == "starttls" else []
        steps += [f"AUTH as {options.username}"] if options.username else []
        connection = SmtpConnection(options)
        connection.close()
        return f"{', '.join(steps)} at {options.host}:{options.port}: accepted, nothing sent"
