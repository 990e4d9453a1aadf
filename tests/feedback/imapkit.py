"""A small IMAP4rev1 server on 127.0.0.1 (RFC 3501, with MOVE from RFC 6851), in the test process:
enough for imaplib and Nashra's poller, and strict about syntax — a command it does not know, in a
state it does not allow, or with arguments it cannot parse is answered BAD, as Dovecot would.

LOGIN, CAPABILITY, NOOP, SELECT, EXAMINE, STATUS, UID SEARCH (ALL, SEEN, UNSEEN, DELETED,
UNDELETED), UID FETCH (UID, FLAGS, RFC822.SIZE, RFC822, BODY[] and BODY.PEEK[] with a partial
<offset.count>), UID STORE (+FLAGS, -FLAGS, FLAGS, .SILENT), UID COPY, UID MOVE, EXPUNGE, CLOSE,
LOGOUT; optional implicit TLS. `hang_up_on` names commands at which it closes the connection
without answering: a crash, or the network gone, at that moment.
"""

from __future__ import annotations

import re
import socket
import socketserver
import ssl
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from loopback import free_port

_TAG = re.compile(rb"[!#$&'*,\-./0-9:;<=>?@A-Z^_`a-z|~]+")
_ATOM = re.compile(r"[!#$&'+,\-./0-9:;<=>?@A-Z^_`a-z|~\]\\]+")
_SEQUENCE_SET = re.compile(r"(\d+|\*)(:(\d+|\*))?(,(\d+|\*)(:(\d+|\*))?)*")
_FETCH_ITEM = re.compile(r"(UID|FLAGS|RFC822\.SIZE|RFC822|BODY\[\]|BODY\.PEEK\[\])(<(\d+)\.(\d+)>)?", re.I)
_SYSTEM_FLAGS = {"\\SEEN", "\\ANSWERED", "\\FLAGGED", "\\DELETED", "\\DRAFT"}
_SEARCH_KEYS = {"ALL", "SEEN", "UNSEEN", "DELETED", "UNDELETED"}


class Bad(Exception):
    """A command the server refuses as malformed (tagged BAD)."""


class No(Exception):
    """A well-formed command the server cannot carry out (tagged NO)."""


@dataclass
class Stored:
    uid: int
    raw: bytes
    flags: set[str] = field(default_factory=set)


@dataclass
class Folder:
    messages: list[Stored] = field(default_factory=list)
    next_uid: int = 1

    def add(self, raw: bytes, flags: set[str] | None = None) -> int:
        uid = self.next_uid
        self.next_uid += 1
        self.messages.append(Stored(uid, raw, set(flags or ())))
        return uid


@dataclass
class ImapState:
    username: str = "bounces@oasis.example"
    password: str = "mailbox-secret"
    move: bool = True
    """Whether MOVE is offered (without it, clients copy and delete)."""
    folders: dict[str, Folder] = field(default_factory=lambda: {"INBOX": Folder(), "Nashra": Folder()})
    hang_up_on: set[str] = field(default_factory=set)
    commands: Counter[str] = field(default_factory=Counter)
    lock: threading.RLock = field(default_factory=threading.RLock)

    def deliver(self, raw: bytes, folder: str = "INBOX") -> int:
        with self.lock:
            return self.folders[folder].add(raw)

    def flags(self, folder: str = "INBOX") -> list[set[str]]:
        with self.lock:
            return [set(m.flags) for m in self.folders[folder].messages]

    def count(self, folder: str = "INBOX") -> int:
        with self.lock:
            return len(self.folders[folder].messages)


class _Arguments:
    """The arguments of one command line: atoms, quoted strings, literals, parenthesised lists."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.at = 0

    def done(self) -> bool:
        return self.at >= len(self.text)

    def space(self) -> None:
        if self.text[self.at : self.at + 1] != " ":
            raise Bad("expected a space")
        self.at += 1

    def astring(self) -> str:
        if self.text.startswith('"', self.at):
            return self._quoted()
        found = _ATOM.match(self.text, self.at)
        if not found:
            raise Bad(f"expected an atom or a string at {self.text[self.at : self.at + 20]!r}")
        self.at = found.end()
        return found.group()

    def _quoted(self) -> str:
        out, index = [], self.at + 1
        while index < len(self.text):
            char = self.text[index]
            if char == "\\":
                if index + 1 >= len(self.text) or self.text[index + 1] not in '"\\':
                    raise Bad("bad escape in a quoted string")
                out.append(self.text[index + 1])
                index += 2
            elif char == '"':
                self.at = index + 1
                return "".join(out)
            else:
                out.append(char)
                index += 1
        raise Bad("unterminated quoted string")

    def word(self) -> str:
        """An atom that may carry a [section] and a <partial> (fetch items), or a flag."""
        start = self.at
        while self.at < len(self.text) and self.text[self.at] not in " ()":
            if self.text[self.at] == "[":
                end = self.text.find("]", self.at)
                if end < 0:
                    raise Bad("unterminated section")
                self.at = end
            self.at += 1
        if self.at == start:
            raise Bad("expected an atom")
        return self.text[start : self.at]

    def items(self) -> list[str]:
        """One item, or a parenthesised list of them."""
        if not self.text.startswith("(", self.at):
            return [self.word()]
        self.at += 1
        found: list[str] = []
        while not self.text.startswith(")", self.at):
            if found:
                self.space()
            found.append(self.word())
        self.at += 1
        return found

    def end(self) -> None:
        if not self.done():
            raise Bad(f"unexpected {self.text[self.at : self.at + 20]!r}")


def _uids(text: str, folder: Folder) -> list[Stored]:
    if not _SEQUENCE_SET.fullmatch(text):
        raise Bad(f"bad sequence set {text!r}")
    biggest = max((m.uid for m in folder.messages), default=0)
    wanted: set[int] = set()
    for piece in text.split(","):
        low, _, high = piece.partition(":")
        first = biggest if low == "*" else int(low)
        last = first if not high else biggest if high == "*" else int(high)
        wanted.update(range(min(first, last), max(first, last) + 1))
    return [m for m in folder.messages if m.uid in wanted]


class _Session(socketserver.StreamRequestHandler):
    server: _Server

    def setup(self) -> None:
        super().setup()
        self.state = self.server.state
        self.authenticated = False
        self.selected: str | None = None
        self.read_only = False

    def send(self, line: str | bytes) -> None:
        self.wfile.write((line.encode() if isinstance(line, str) else line) + b"\r\n")

    def read_command(self) -> tuple[bytes, str] | None:
        """One command line, its literals included, as (tag, rest)."""
        line = self.rfile.readline(65536)
        if not line:
            return None
        if not line.endswith(b"\r\n"):
            raise Bad("line without CRLF")
        line = line[:-2]
        while (literal := re.search(rb"\{(\d+)\}$", line)) is not None:
            self.send("+ go ahead")
            data = self.rfile.read(int(literal[1]))
            rest = self.rfile.readline(65536)
            quoted = '"' + data.decode().replace("\\", "\\\\").replace('"', '\\"') + '"'
            line = line[: literal.start()] + quoted.encode() + rest.rstrip(b"\r\n")
        tag, _, rest = line.partition(b" ")
        if not _TAG.fullmatch(tag) or not rest:
            raise Bad("bad tag or no command")
        return tag, rest.decode("utf-8")

    def handle(self) -> None:
        self.send(f"* OK [CAPABILITY {self.capabilities()}] test IMAP server ready")
        while True:
            try:
                command = self.read_command()
            except Bad as exc:
                self.send(f"* BAD {exc}")
                continue
            except OSError:
                return
            if command is None:
                return
            tag, rest = command
            name, _, arguments = rest.partition(" ")
            name = name.upper()
            if name == "UID":
                sub, _, arguments = arguments.partition(" ")
                name = sub.upper()
            with self.state.lock:
                self.state.commands[name] += 1
                if name in self.state.hang_up_on:
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                try:
                    result = self.run(name, rest, _Arguments(arguments))
                except Bad as exc:
                    self.send(tag + f" BAD {exc}".encode())
                    continue
                except No as exc:
                    self.send(tag + f" NO {exc}".encode())
                    continue
            self.send(tag + f" OK {result}".encode())
            if name == "LOGOUT":
                return

    def capabilities(self) -> str:
        return "IMAP4rev1 UIDPLUS" + (" MOVE" if self.state.move else "")

    def folder(self) -> Folder:
        if self.selected is None:
            raise Bad("no mailbox selected")
        return self.state.folders[self.selected]

    def run(self, name: str, line: str, args: _Arguments) -> str:
        is_uid = line.upper().startswith("UID ")
        if name in ("CAPABILITY", "NOOP", "LOGOUT", "EXPUNGE", "CLOSE"):
            args.end()
            if name == "CAPABILITY":
                self.send(f"* CAPABILITY {self.capabilities()}")
            if name == "LOGOUT":
                self.send("* BYE logging out")
            if name in ("EXPUNGE", "CLOSE"):
                self.expunge(silent=name == "CLOSE")
                if name == "CLOSE":
                    self.selected = None
            return f"{name} completed"
        if name == "LOGIN":
            if self.authenticated:
                raise Bad("already logged in")
            user = args.astring()
            args.space()
            password = args.astring()
            args.end()
            if (user, password) != (self.state.username, self.state.password):
                raise No("[AUTHENTICATIONFAILED] invalid credentials")
            self.authenticated = True
            return f"[CAPABILITY {self.capabilities()}] logged in"
        if not self.authenticated:
            raise Bad(f"{name} needs a login first")
        if name in ("SELECT", "EXAMINE", "STATUS"):
            return self.select(name, args)
        if not is_uid or name not in ("SEARCH", "FETCH", "STORE", "COPY", "MOVE"):
            raise Bad(f"command not supported: {line[:40]}")
        if name == "MOVE" and not self.state.move:
            raise Bad("MOVE is not offered")
        if self.read_only and name in ("STORE", "MOVE"):
            raise No("mailbox is read-only")
        return getattr(self, name.lower())(args)

    def select(self, name: str, args: _Arguments) -> str:
        mailbox = args.astring()
        items: list[str] = []
        if name == "STATUS":
            args.space()
            items = [item.upper() for item in args.items()]
            if not items or not set(items) <= {"MESSAGES", "UNSEEN", "UIDNEXT"}:
                raise Bad("bad status items")
        args.end()
        folder = self.state.folders.get(mailbox)
        if folder is None:
            raise No("[NONEXISTENT] no such mailbox")
        unseen = sum(1 for m in folder.messages if "\\Seen" not in m.flags)
        if name == "STATUS":
            values = {"MESSAGES": len(folder.messages), "UNSEEN": unseen, "UIDNEXT": folder.next_uid}
            self.send(f'* STATUS "{mailbox}" (' + " ".join(f"{i} {values[i]}" for i in items) + ")")
            return "STATUS completed"
        self.selected, self.read_only = mailbox, name == "EXAMINE"
        self.send(f"* {len(folder.messages)} EXISTS")
        self.send("* 0 RECENT")
        self.send("* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)")
        self.send("* OK [UIDVALIDITY 1] UIDs valid")
        self.send(f"* OK [UIDNEXT {folder.next_uid}] predicted next UID")
        return f"[{'READ-ONLY' if self.read_only else 'READ-WRITE'}] {name} completed"

    def search(self, args: _Arguments) -> str:
        folder = self.folder()
        keys: list[str] = []
        while not args.done():
            keys.append(args.word().upper())
            if not args.done():
                args.space()
        if not keys or not set(keys) <= _SEARCH_KEYS:
            raise Bad(f"search keys not supported: {keys}")
        tests = {
            "ALL": lambda m: True,
            "SEEN": lambda m: "\\Seen" in m.flags,
            "UNSEEN": lambda m: "\\Seen" not in m.flags,
            "DELETED": lambda m: "\\Deleted" in m.flags,
            "UNDELETED": lambda m: "\\Deleted" not in m.flags,
        }
        found = [m.uid for m in folder.messages if all(tests[k](m) for k in keys)]
        self.send("* SEARCH" + "".join(f" {uid}" for uid in found))
        return "SEARCH completed"

    def fetch(self, args: _Arguments) -> str:
        folder = self.folder()
        chosen = _uids(args.word(), folder)
        args.space()
        items = args.items()
        args.end()
        parsed = [_FETCH_ITEM.fullmatch(item) for item in items]
        if not items or any(p is None for p in parsed):
            raise Bad(f"fetch items not supported: {items}")
        for message in chosen:
            out = [f"UID {message.uid}".encode()]
            for found in parsed:
                assert found is not None
                what = found[1].upper()
                if what in ("RFC822", "BODY[]") and not self.read_only:
                    message.flags.add("\\Seen")
                if what == "FLAGS":
                    out.append(f"FLAGS ({' '.join(sorted(message.flags))})".encode())
                elif what == "RFC822.SIZE":
                    out.append(f"RFC822.SIZE {len(message.raw)}".encode())
                elif what in ("RFC822", "BODY[]", "BODY.PEEK[]"):
                    data, label = message.raw, "RFC822" if what == "RFC822" else "BODY[]"
                    if found[2]:
                        offset = int(found[3])
                        data, label = data[offset : offset + int(found[4])], f"BODY[]<{offset}>"
                    out.append(f"{label} {{{len(data)}}}\r\n".encode() + data)
            sequence = folder.messages.index(message) + 1
            self.send(f"* {sequence} FETCH (".encode() + b" ".join(out) + b")")
        return "FETCH completed"

    def store(self, args: _Arguments) -> str:
        folder = self.folder()
        chosen = _uids(args.word(), folder)
        args.space()
        how = args.word().upper()
        if how not in ("FLAGS", "+FLAGS", "-FLAGS", "FLAGS.SILENT", "+FLAGS.SILENT", "-FLAGS.SILENT"):
            raise Bad(f"bad store item {how}")
        args.space()
        flags = args.items()
        args.end()
        for flag in flags:
            if (flag.startswith("\\") and flag.upper() not in _SYSTEM_FLAGS) or not _ATOM.fullmatch(flag):
                raise Bad(f"bad flag {flag}")
        named = {"\\" + f[1:].capitalize() if f.startswith("\\") else f for f in flags}
        for message in chosen:
            if how.startswith("+"):
                message.flags |= named
            elif how.startswith("-"):
                message.flags -= named
            else:
                message.flags = set(named)
            if not how.endswith(".SILENT"):
                sequence = folder.messages.index(message) + 1
                self.send(f"* {sequence} FETCH (UID {message.uid} FLAGS ({' '.join(sorted(message.flags))}))")
        return "STORE completed"

    def copy(self, args: _Arguments, *, move: bool = False) -> str:
        folder = self.folder()
        chosen = _uids(args.word(), folder)
        args.space()
        target_name = args.astring()
        args.end()
        target = self.state.folders.get(target_name)
        if target is None:
            raise No("[TRYCREATE] no such mailbox")
        pairs = [(m.uid, target.add(m.raw, m.flags - {"\\Deleted"})) for m in chosen]
        code = f"[COPYUID 1 {','.join(str(a) for a, _ in pairs)} {','.join(str(b) for _, b in pairs)}]"
        if not move:
            return f"{code} COPY completed"
        self.send(f"* OK {code} moved")
        for message in chosen:
            self.send(f"* {folder.messages.index(message) + 1} EXPUNGE")
            folder.messages.remove(message)
        return "MOVE completed"

    def move(self, args: _Arguments) -> str:
        return self.copy(args, move=True)

    def expunge(self, *, silent: bool) -> None:
        folder = self.folder()
        for message in [m for m in folder.messages if "\\Deleted" in m.flags]:
            if not silent:
                self.send(f"* {folder.messages.index(message) + 1} EXPUNGE")
            folder.messages.remove(message)


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, port: int, state: ImapState, context: ssl.SSLContext | None) -> None:
        self.state = state
        self.context = context
        super().__init__(("127.0.0.1", port), _Session)

    def get_request(self) -> tuple[socket.socket, object]:
        sock, address = super().get_request()
        if self.context is not None:
            sock = self.context.wrap_socket(sock, server_side=True)
        return sock, address


@dataclass
class ImapServer:
    host: str
    port: int
    state: ImapState

    def toml(self, *, after: str = "move", security: str = "none", extra: str = "") -> str:
        return (
            f'[feedback.imap]\nhost = "{self.host}"\nport = {self.port}\nsecurity = "{security}"\n'
            f'username = "{self.state.username}"\npassword_env = "TEST_IMAP_PASSWORD"\n'
            f'after = "{after}"\ntimeout_seconds = 5\n{extra}\n'
        )


@contextmanager
def imap_server(
    state: ImapState | None = None, *, context: ssl.SSLContext | None = None
) -> Iterator[ImapServer]:
    """Serves `state` on a free 127.0.0.1 port until the block ends."""
    state = state or ImapState()
    server = _Server(free_port(), state, context)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield ImapServer("127.0.0.1", server.server_address[1], state)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
