"""SMTP transport: `connections` connections kept open for the whole send, each running at its own
pace, all driven by ONE thread that waits on their sockets together (selectors).

Each connection is a lane (nashra.mail.transports.smtp_lane): it carries one message at a time
and, with PIPELINING, writes each final "." together with the next message's envelope, so a
message costs one round trip. The session's loop: give every idle lane a message, act on the
replies that came in, then commit the intent of every lane whose body is written — in ONE
database commit, however many lanes are waiting — and write their "."s. The busier the thread,
the more lanes wait at each commit, so commits group themselves as the load grows. There is
neither a thread hand-off (the GIL) nor a commit per message, and no connection waits for another.
Messages are CRLF-normalised without lines starting with "." (nashra.mail.message), so a body
goes out as it is in one write.
"""

from __future__ import annotations

import selectors
import socket
import ssl
import time
from dataclasses import dataclass

from nashra.config import Settings
from nashra.config.mail import SmtpSettings
from nashra.config.secrets import read_secret
from nashra.errors import ConfigError
from nashra.mail.transport import Committing, Feed, Outcome, Outgoing, ServerUnavailable, TransportBase
from nashra.mail.transports.smtp_lane import DOT_NEVER_LEFT, Lane, SmtpOptions, connect

_TICK = 1.0
"""Longest wait for replies before the loop looks at the lanes' deadlines."""
_COMMIT = "commit"
"""The selector's tag for the feed's running commit."""


@dataclass(frozen=True)
class _Group:
    """Lanes whose "."s wait for one commit, and the messages to pipeline behind them."""

    commit: Committing
    slots: list[int]
    following: list[Outgoing | None]


class SmtpSession:
    """`width` lanes; a lane that cannot connect stays down for the rest of the session."""

    def __init__(self, options: SmtpOptions, width: int) -> None:
        self.options = options
        self.width = width
        self._feed: Feed | None = None
        self._lanes = [Lane(options, self._report) for _ in range(width)]
        self._selector = selectors.DefaultSelector()
        self._watched: dict[int, socket.socket] = {}
        self._committing: _Group | None = None

    def _report(self, message: Outgoing, outcome: Outcome | None) -> None:
        assert self._feed is not None
        self._feed.outcome(message, outcome)

    def pump(self, feed: Feed) -> None:
        self._feed = feed
        down: set[int] = set()
        more = True
        try:
            while True:
                for slot, lane in enumerate(self._lanes):
                    if more and slot not in down and lane.idle():
                        message = feed.next_message()
                        if message is None:
                            more = False
                            continue
                        failure = self._begin(slot, message)
                        if failure is not None:
                            down.add(slot)
                            if len(down) == self.width:
                                raise failure
                if self._committing is not None:
                    if not self._committing.commit.done():
                        self._wait()
                        continue
                    group, self._committing = self._committing, None
                    self._selector.unregister(group.commit.fileno())
                    self._finish(group.slots, group.following)
                    continue
                ready = [(slot, lane) for slot, lane in enumerate(self._lanes) if lane.ready]
                if ready:
                    more = self._commit(feed, ready, more)
                    continue
                if not any(lane.waiting for lane in self._lanes):
                    return
                self._wait()
        except BaseException:
            self._give_up()
            for lane in self._lanes:
                lane.abandon()
            self._drain()
            raise
        finally:
            self._feed = None

    def _commit(self, feed: Feed, ready: list[tuple[int, Lane]], more: bool) -> bool:
        """Commit the intents of the `ready` lanes, then (or once the commit is done) write their
        "."s, each followed by a next message where the lane pipelines; whether there is more."""
        # The messages to pipeline behind the "."s are taken first, so that nothing but the
        # writes of those "."s happens between the commit and them.
        following: list[Outgoing | None] = []
        try:
            for _, lane in ready:
                following.append(feed.next_message() if more and lane.pipelining else None)
                more = more and (following[-1] is not None or not lane.pipelining)
            commit = feed.commit([lane.current for _, lane in ready if lane.current is not None])
        except BaseException:
            self._give_back(following)
            raise
        slots = [slot for slot, _ in ready]
        if commit is None:
            self._finish(slots, following)
        else:
            self._committing = _Group(commit, slots, following)
            self._selector.register(commit.fileno(), selectors.EVENT_READ, _COMMIT)
        return more

    def _finish(self, slots: list[int], following: list[Outgoing | None]) -> None:
        for slot, message in zip(slots, following, strict=True):
            self._lanes[slot].finish(message)
            self._watch(slot)

    def _give_up(self) -> None:
        """After an abort with a commit running: settle it, and the messages it covered did not
        leave (their "." was never written) — given back if it failed, deferred if it held."""
        group, self._committing = self._committing, None
        if group is None:
            return
        self._selector.unregister(group.commit.fileno())
        try:
            group.commit.wait()
            outcome: Outcome | None = DOT_NEVER_LEFT
        except Exception:
            outcome = None
        for slot in group.slots:
            lane = self._lanes[slot]
            message, lane.current, lane.ready = lane.current, None, False
            if message is not None:
                self._report(message, outcome)
        self._give_back(group.following)

    def _give_back(self, messages: list[Outgoing | None]) -> None:
        for message in messages:
            if message is not None:
                self._report(message, None)

    def _begin(self, slot: int, message: Outgoing) -> ServerUnavailable | None:
        """Start `message` on a lane, connecting it first if needed; the failure (the message
        given back) when it cannot connect."""
        lane = self._lanes[slot]
        if not lane.connected:
            try:
                lane.open()
            except ServerUnavailable as exc:
                self._report(message, None)
                return exc
            except BaseException:
                self._report(message, None)
                raise
        lane.begin(message)
        self._watch(slot)
        return None

    def _watch(self, slot: int) -> None:
        """Keep the selector on the lane's current socket (it changes when the lane reconnects)."""
        lane, old = self._lanes[slot], self._watched.get(slot)
        if old is lane.sock:
            return
        if old is not None:
            self._selector.unregister(old)
            del self._watched[slot]
        if lane.sock is not None:
            self._selector.register(lane.sock, selectors.EVENT_READ, slot)
            self._watched[slot] = lane.sock

    def _wait(self) -> None:
        """Act on the replies that come in within a tick; time out lanes that waited too long."""
        for key, _ in self._selector.select(_TICK):
            if key.data is _COMMIT:
                continue  # the loop asks the commit whether it is done
            self._lanes[key.data].readable()
            self._watch(key.data)
        now = time.monotonic()
        for slot, lane in enumerate(self._lanes):
            if lane.overdue(now):
                lane.time_out()
                self._watch(slot)

    def _drain(self) -> None:
        """After an abort: the replies to "."s already sent, so what was delivered is booked."""
        deadline = time.monotonic() + self.options.timeout
        while any(lane.waiting for lane in self._lanes) and time.monotonic() < deadline:
            try:
                self._wait()
            except Exception:  # the feed that aborted may fail again: what it missed stays "submitting"
                break
        for slot, lane in enumerate(self._lanes):
            lane.close(polite=False)
            self._watch(slot)

    def close(self) -> None:
        for slot, lane in enumerate(self._lanes):
            lane.close()
            self._watch(slot)
        self._selector.close()


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
        connect(options).quit()
        return f"{', '.join(steps)} at {options.host}:{options.port}: accepted, nothing sent"
