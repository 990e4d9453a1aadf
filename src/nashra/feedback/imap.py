"""The bounce mailbox over IMAP (the standard library's imaplib): its unseen messages, read without
marking them (BODY.PEEK), and each marked done — moved, flagged \\Seen, or deleted — only when
the caller says so, after what it said is committed. A crash in between leaves the message unseen:
read again on the next poll, it is a duplicate and is only marked done then.
"""

from __future__ import annotations

import imaplib
import re
import ssl
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from nashra.config import Settings
from nashra.config.inbound import ImapSettings
from nashra.config.secrets import read_secret
from nashra.errors import ConfigError, MailboxError

_LITERAL_END = re.compile(rb"\{\d+\}$")


def _quoted(name: str) -> str:
    """A mailbox name as an IMAP quoted string (imaplib sends arguments as they are)."""
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _text(data: list[Any]) -> str:
    return " ".join(item.decode(errors="replace") if isinstance(item, bytes) else str(item) for item in data)


class Mailbox:
    """One logged-in session on the folder `settings.folder`, from `open_mailbox`."""

    def __init__(self, client: imaplib.IMAP4, settings: ImapSettings, where: str) -> None:
        self._client = client
        self._settings = settings
        self._where = where
        self._capabilities: set[str] = set()
        self._expunge = False

    def _run(self, what: str, command: Callable[..., tuple[str, list[Any]]], *args: object) -> list[Any]:
        """One command's data; every failure of the server, the network or TLS a MailboxError."""
        try:
            status, data = command(*args)
        except (imaplib.IMAP4.error, OSError, UnicodeError) as exc:
            raise MailboxError(f"{what}: {type(exc).__name__}: {exc}", where=self._where) from None
        if status != "OK":
            raise MailboxError(f"{what}: the server answered {status} {_text(data)}", where=self._where)
        return data

    def login(self, password: str) -> None:
        settings, client = self._settings, self._client
        self._run(f"login as {settings.username}", client.login, _quoted(settings.username), password)
        # Servers may offer more once logged in (MOVE, UIDPLUS): ask again.
        self._capabilities = set(_text(self._run("capability", client.capability)).upper().split())
        self._run(f"select {settings.folder}", client.select, _quoted(settings.folder))

    def _unseen(self) -> list[bytes]:
        data = self._run("search unseen", self._client.uid, "SEARCH", "UNSEEN", "UNDELETED")
        found = data[0] if data and isinstance(data[0], bytes) else b""
        return found.split()

    def unseen(self) -> list[bytes]:
        """The UIDs of the folder's unseen messages, oldest first, at most `max_messages`."""
        return self._unseen()[: self._settings.max_messages]

    def fetch(self, uid: bytes) -> bytes | None:
        """The message's first `max_message_kb` kilobytes, leaving it unseen; None when it is gone."""
        size = self._settings.max_message_kb * 1024
        data = self._run(f"fetch {uid.decode()}", self._client.uid, "FETCH", uid, f"(BODY.PEEK[]<0.{size}>)")
        for item in data:
            if isinstance(item, tuple) and _LITERAL_END.search(item[0]):
                return bytes(item[1])
        return None

    def done(self, uid: bytes) -> None:
        """Mark one message as processed, as `after` says."""
        after, command, name = self._settings.after, self._client.uid, uid.decode()
        if after == "seen":
            self._run(f"flag {name} seen", command, "STORE", uid, "+FLAGS.SILENT", "(\\Seen)")
            return
        folder = _quoted(self._settings.move_to)
        if after == "move" and "MOVE" in self._capabilities:
            self._run(f"move {name}", command, "MOVE", uid, folder)
            return
        if after == "move":  # a server without MOVE (RFC 6851): copy, then delete
            self._run(f"copy {name}", command, "COPY", uid, folder)
        self._run(f"delete {name}", command, "STORE", uid, "+FLAGS.SILENT", "(\\Seen \\Deleted)")
        self._expunge = True

    def finish(self) -> None:
        """Remove what `done` deleted (every message flagged \\Deleted in the folder)."""
        if self._expunge:
            self._run("expunge", self._client.expunge)
            self._expunge = False

    def describe(self) -> str:
        """What `nashra check` says: the folder's unseen messages, and that `move_to` exists."""
        settings = self._settings
        line = f"logged in as {settings.username}; {settings.folder}: {len(self._unseen())} unseen"
        if settings.after == "move":
            self._run(
                f"folder {settings.move_to}", self._client.status, _quoted(settings.move_to), "(MESSAGES)"
            )
            line += f"; processed mail moves to {settings.move_to}"
        return line


def _context(ca_file: Path | None) -> ssl.SSLContext:
    try:
        return ssl.create_default_context(cafile=str(ca_file) if ca_file else None)
    except (OSError, ssl.SSLError) as exc:
        raise MailboxError(f"cannot load the certificates in {ca_file}: {exc}") from None


def _connect(settings: ImapSettings, ca_file: Path | None) -> imaplib.IMAP4:
    host, port, timeout = settings.host, settings.server_port, settings.timeout_seconds
    if settings.security == "tls":
        return imaplib.IMAP4_SSL(host, port, ssl_context=_context(ca_file), timeout=timeout)
    client = imaplib.IMAP4(host, port, timeout=timeout)
    if settings.security == "starttls":
        client.starttls(ssl_context=_context(ca_file))
    return client


@contextmanager
def open_mailbox(settings: Settings) -> Iterator[Mailbox]:
    """A logged-in session on the mailbox of `[feedback.imap]`, logged out at the end."""
    imap = settings.feedback.imap
    if imap is None:
        raise ConfigError(["no [feedback.imap] table: there is no mailbox to read"])
    password = read_secret(imap.password_env, purpose="feedback.imap")
    where = f"imap {imap.host}:{imap.server_port}"
    try:
        client = _connect(imap, settings.resolve(imap.ca_file) if imap.ca_file else None)
    except (imaplib.IMAP4.error, OSError) as exc:
        raise MailboxError(f"cannot connect: {type(exc).__name__}: {exc}", where=where) from None
    try:
        mailbox = Mailbox(client, imap, where)
        mailbox.login(password)
        yield mailbox
    finally:
        with suppress(imaplib.IMAP4.error, OSError):  # a session the server or the network ended
            client.logout()
