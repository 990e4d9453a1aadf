"""An SMTP sink on 127.0.0.1 that keeps messages the way Postfix does, for crash tests.

aiosmtpd (mailkit.SmtpServer) cancels a session the moment its client hangs up, so a message whose
final "." arrived together with the close is dropped. Postfix reads what is in its buffer first: a
complete message is queued even if nobody is left to hear the 250. That difference is exactly the
window a killed sender leaves, so the crash campaign needs this server: it handles every complete
line it received, in order, whether or not the client is still there.

Faults are injected per message by `fault(recipient, attempt)`, returning one of:
- None: accept;
- "4xx …" / "5xx …" at RCPT (e.g. "451 4.3.0 try later", "550 5.1.1 no such user");
- `CRASH_KEEP` / `CRASH_LOSE`: after the ".", hang up without a reply, having kept the message or
  not (a relay that crashes before or after writing its queue file).
"""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from loopback import free_port

CRASH_KEEP = "crash-keep"
CRASH_LOSE = "crash-lose"

Fault = Callable[[str, int], str | None]


@dataclass
class PostfixSink:
    fault: Fault = lambda _recipient, _attempt: None
    on_dot: Callable[[str], None] | None = None
    """Called with the recipient when a message's "." is read, before anything is answered."""
    reply_delay: Callable[[str], float] = lambda _recipient: 0.0
    """Seconds this connection waits before it answers the "." of a message to that recipient
    (reading nothing more meanwhile, as a server busy writing its queue file)."""
    close_after_reply: bool = False
    """Set (by `on_dot`, say) to answer the next "." and then close the connection at once."""
    pipelined_dots: int = 0
    """"."s whose next MAIL FROM came with them, before their reply could have been read."""
    kept_before_reply: dict[str, int] = field(default_factory=dict)
    """For each delayed reply: how many messages the sink had kept when it finally answered."""
    host: str = "127.0.0.1"
    port: int = field(default_factory=free_port)
    kept: Counter[str] = field(default_factory=Counter)
    attempts: Counter[str] = field(default_factory=Counter)
    sessions: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _loop: asyncio.AbstractEventLoop | None = None
    _thread: threading.Thread | None = None

    def toml(self, *, connections: int = 4) -> str:
        return (
            '[web]\npublic_url = "https://oasis.example/news"\n\n'
            '[mail]\ntransport = "smtp"\nfrom_address = "نشرة الواحة <news@oasis.example>"\n'
            'list_id = "oasis.example"\n\n'
            f'[mail.smtp]\nhost = "{self.host}"\nport = {self.port}\nsecurity = "none"\n'
            f"connections = {connections}\nretry_backoff_seconds = 0.05\npause_seconds = 0.1\ntimeout = 10\n"
        )

    def copies(self) -> Counter[str]:
        with self._lock:
            return Counter(self.kept)

    def start(self) -> None:
        ready = threading.Event()

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            server = loop.run_until_complete(loop.create_server(lambda: _Session(self), self.host, self.port))
            ready.set()
            try:
                loop.run_forever()
            finally:
                server.close()
                loop.run_until_complete(server.wait_closed())
                loop.close()

        self._thread = threading.Thread(target=run, name="postfix-sink", daemon=True)
        self._thread.start()
        ready.wait(10)

    def stop(self) -> None:
        if self._loop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)

    def _attempt(self, address: str) -> str | None:
        with self._lock:
            self.attempts[address] += 1
            attempt = self.attempts[address]
        return self.fault(address, attempt)

    def _keep(self, address: str) -> None:
        with self._lock:
            self.kept[address] += 1


class _Session(asyncio.Protocol):
    """One connection, handled line by line *as the bytes arrive* (never cancelled by a hang-up)."""

    def __init__(self, sink: PostfixSink) -> None:
        self.sink = sink
        self.buffer = b""
        self.transport: asyncio.Transport | None = None
        self.in_data = False
        self.recipient: str | None = None
        self.crash: str | None = None
        self.held = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        with self.sink._lock:
            self.sink.sessions += 1
        self.say("220 sink.oasis.example ESMTP")

    def say(self, line: str) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(f"{line}\r\n".encode())

    def hang_up(self) -> None:
        if self.transport is not None:
            self.transport.abort()
            self.transport = None

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        self.handle_lines()

    def handle_lines(self) -> None:
        dot_seen = False
        while self.transport is not None and not self.held and b"\r\n" in self.buffer:
            line, self.buffer = self.buffer.split(b"\r\n", 1)
            if self.in_data:
                if line == b".":
                    self.end_of_data()
                    dot_seen = True
                continue
            if dot_seen and line[:4].upper() == b"MAIL":
                with self.sink._lock:
                    self.sink.pipelined_dots += 1
            dot_seen = False
            self.command(line.decode("utf-8", "replace"))

    def command(self, command: str) -> None:
        verb = command[:4].upper()
        if verb in ("EHLO", "HELO"):
            self.say("250-sink.oasis.example\r\n250-PIPELINING\r\n250-8BITMIME\r\n250 SMTPUTF8")
        elif verb in ("MAIL", "RSET"):
            self.recipient, self.crash = None, None
            self.say("250 2.1.0 Ok")
        elif verb == "RCPT":
            address = command.split("<", 1)[1].split(">", 1)[0]
            reply = self.sink._attempt(address)
            if reply is None or reply in (CRASH_KEEP, CRASH_LOSE):
                self.recipient, self.crash = address, reply
                self.say("250 2.1.5 Ok")
            else:
                self.say(reply)
        elif verb == "DATA":
            if self.recipient is None:
                self.say("554 5.5.1 Error: no valid recipients")
            else:
                self.in_data = True
                self.say("354 End data with <CR><LF>.<CR><LF>")
        elif verb == "QUIT":
            self.say("221 2.0.0 Bye")
            self.hang_up()
        else:
            self.say("250 2.0.0 Ok")

    def end_of_data(self) -> None:
        recipient, crash = self.recipient, self.crash
        assert recipient is not None
        self.in_data, self.recipient, self.crash = False, None, None
        if self.sink.on_dot is not None:
            self.sink.on_dot(recipient)
        if crash != CRASH_LOSE:
            self.sink._keep(recipient)
        if crash is not None:
            self.hang_up()  # no reply: the relay went down after (or before) queueing it
            return
        delay = self.sink.reply_delay(recipient)
        if self.sink.close_after_reply:
            self.sink.close_after_reply = False
            self.say("250 2.0.0 Ok: queued")
            if self.transport is not None:
                self.transport.close()  # after the reply is written; nothing more is read
                self.transport = None
            return
        if not delay:
            self.say("250 2.0.0 Ok: queued")
            return
        self.held = True
        asyncio.get_running_loop().call_later(delay, self.answer_late, recipient)

    def answer_late(self, recipient: str) -> None:
        with self.sink._lock:
            self.sink.kept_before_reply[recipient] = sum(self.sink.kept.values())
        self.say("250 2.0.0 Ok: queued")
        self.held = False
        self.handle_lines()

    def connection_lost(self, exc: Exception | None) -> None:
        # A message without its "." is dropped with the connection, as Postfix does.
        self.transport = None
