"""Build a digest's MIME message once, then personalise it per recipient by splicing bytes.

Per issue (once): the shared headers are folded and RFC 2047-encoded by the standard library's
SMTP policy; each body part (text, HTML) is split at the placeholder tokens and every static
piece is base64-encoded in advance — three times, once per possible alignment, because base64
works in 3-byte groups and the personal values before a piece shift it by 0, 1 or 2 bytes.

Per recipient: To, Message-ID and List-Unsubscribe are formatted, the few bytes around each
personal value (the unsubscribe link, the address, and the reader part of each story link when the
digest records who clicked) are base64-encoded, and the precomputed pieces are joined. No MJML, no Jinja2, no
EmailMessage: a few microseconds and one bytes join. Every line stays within 76 characters in the
body and 78 in the headers, except List-Unsubscribe, whose URLs cannot be folded (SMTP allows
998); no line starts with ".", so the bytes go onto the wire without dot-stuffing.

The optional DKIM signature (dkimpy) is the one per-recipient cost that is not cheap: an RSA
signature per message. It is computed only when `mail.dkim.key_path` is set.
"""

from __future__ import annotations

import base64
import binascii
import html
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.utils import format_datetime
from pathlib import Path

from nashra.config.mail import MailSettings
from nashra.digest.placeholders import ALL, CLICK_READER, SUBSCRIBER_EMAIL, UNSUBSCRIBE_URL
from nashra.errors import ConfigError

_TOKENS = re.compile("|".join(map(re.escape, ALL)))
_CRLF = b"\r\n"
_LINE_BYTES = 57  # 57 raw bytes -> 76 base64 characters, the RFC 2045 line limit

DKIM_HEADERS = (
    b"from",
    b"to",
    b"subject",
    b"date",
    b"message-id",
    b"list-unsubscribe",
    b"list-unsubscribe-post",
    b"list-id",
    b"mime-version",
    b"content-type",
    b"reply-to",
)


@dataclass(frozen=True, slots=True)
class Personal:
    """What differs between two copies of one issue."""

    email: str
    name: str
    message_key: str
    """Unique per (issue, subscriber): becomes the local part of the Message-ID."""
    unsubscribe_url: str
    unsubscribe_mailto: str
    click_reader: str = ""
    """Ends each story link when the digest records who clicked: "/<reader token>"
    (nashra.digest.clicks); "" otherwise."""


def _b64_lines(data: bytes) -> bytes:
    """base64 of `data` in CRLF-terminated lines of at most 76 characters."""
    if not data:
        return b""
    return b"".join(
        binascii.b2a_base64(data[i : i + _LINE_BYTES], newline=False) + _CRLF
        for i in range(0, len(data), _LINE_BYTES)
    )


class _Base64Part:
    """One text part with placeholders, pre-encoded for fast per-recipient base64 splicing."""

    def __init__(self, content: str) -> None:
        pieces = _TOKENS.split(content)
        self.tokens: list[str] = _TOKENS.findall(content)
        self.static: list[bytes] = [p.encode("utf-8") for p in pieces]
        # For each static piece and each number k of its bytes used to complete a group begun by
        # the previous value: (the aligned rest of the piece, encoded) and the leftover 0-2 bytes.
        self.encoded: list[list[tuple[bytes, bytes]]] = []
        for raw in self.static:
            variants = []
            for k in range(3):
                rest = raw[k:] if len(raw) >= k else b""
                cut = len(rest) - len(rest) % 3
                variants.append((_b64_lines(rest[:cut]), rest[cut:]))
            self.encoded.append(variants)

    def render(self, values: dict[str, bytes]) -> list[bytes]:
        out: list[bytes] = []
        carry = b""
        for index, raw in enumerate(self.static):
            if index:
                data = carry + values[self.tokens[index - 1]]
                cut = len(data) - len(data) % 3
                out.append(_b64_lines(data[:cut]))
                carry = data[cut:]
            need = (3 - len(carry)) % 3
            if len(raw) < 3 + need:  # too short to be worth a precomputed variant
                data = carry + raw
                cut = len(data) - len(data) % 3
                out.append(_b64_lines(data[:cut]))
                carry = data[cut:]
                continue
            if need:
                out.append(_b64_lines(carry + raw[:need]))
            body, carry = self.encoded[index][need]
            out.append(body)
        if carry:
            out.append(base64.b64encode(carry) + _CRLF)
        return out


def fold_header(name: str, value: str) -> bytes:
    """One header, RFC 2047-encoded where needed and folded to 78 characters, CRLF-terminated."""
    header = policy.SMTP.header_factory(name, value)
    folded: str = header.fold(policy=policy.SMTP)
    return folded.encode("ascii")


def _encoded_words(text: str) -> bytes:
    """RFC 2047 "B" encoded-words of at most 45 UTF-8 bytes (72 characters), split between
    characters and folded one per line: what email.header does, without its cost per recipient."""
    words: list[str] = []
    chunk: list[str] = []
    size = 0
    for char in text:
        width = len(char.encode("utf-8"))
        if size + width > 45:
            words.append("".join(chunk))
            chunk, size = [], 0
        chunk.append(char)
        size += width
    words.append("".join(chunk))
    return b"\r\n ".join(b"=?utf-8?b?" + base64.b64encode(w.encode("utf-8")) + b"?=" for w in words)


def _address_header(name: str, email: str) -> bytes:
    """`To:` fast: the address is ASCII (normalised on the way in); only a display name needs care:
    quoted when it has specials, RFC 2047-encoded when it is not ASCII, folded to 78 columns."""
    address = b"<" + email.encode("ascii") + b">"
    if not name:
        return b"To: " + email.encode("ascii") + _CRLF
    clean = " ".join(name.split())
    if clean.isascii():
        if any(c in clean for c in '"\\()<>[]:;@,.'):
            clean = '"' + clean.replace("\\", "\\\\").replace('"', '\\"') + '"'
        display = clean.encode("ascii")
    else:
        display = _encoded_words(clean)
    last = display.rsplit(_CRLF, 1)[-1]
    joiner = b" " if len(last) + len(address) + (1 if _CRLF in display else 4) < 78 else b"\r\n "
    return b"To: " + display + joiner + address + _CRLF


class MessageTemplate:
    """An issue's message, ready to be personalised many times (thread-safe, immutable)."""

    def __init__(
        self,
        mail: MailSettings,
        *,
        subject: str,
        html_body: str,
        text_body: str,
        date: datetime,
        list_id: str,
        signer: Callable[[bytes], bytes] | None = None,
    ) -> None:
        self.domain = mail.sender_domain
        self.envelope_from = mail.envelope_from
        self.subject = subject
        self._signer = signer
        boundary = f"=_nashra_{secrets.token_hex(12)}"
        shared = [
            fold_header("From", mail.from_address),
            *([fold_header("Reply-To", mail.reply_to)] if mail.reply_to else []),
            fold_header("Subject", subject),
            fold_header("Date", format_datetime(date)),
            fold_header("List-Id", list_id),
            b"List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n",
            b"MIME-Version: 1.0\r\n",
            f'Content-Type: multipart/alternative;\r\n boundary="{boundary}"\r\n'.encode("ascii"),
        ]
        self._shared_headers = b"".join(shared)
        self._domain = self.domain.encode("ascii")
        self._text = _Base64Part(text_body)
        self._html = _Base64Part(html_body)
        part = 'Content-Type: text/{kind}; charset="utf-8"\r\nContent-Transfer-Encoding: base64\r\n\r\n'
        self._open_text = (
            f"\r\nThis is a multipart message in MIME format.\r\n\r\n--{boundary}\r\n"
            + part.format(kind="plain")
        ).encode("ascii")
        self._open_html = (f"--{boundary}\r\n" + part.format(kind="html")).encode("ascii")
        self._close = f"--{boundary}--\r\n".encode("ascii")

    def render(self, who: Personal) -> bytes:
        """The complete message for one recipient, CRLF line endings, ready for SMTP DATA."""
        email_bytes = who.email.encode("ascii")
        url = who.unsubscribe_url.encode("ascii")
        reader = who.click_reader.encode("ascii")  # URL-safe alphabet: the same bytes in HTML
        text_values = {UNSUBSCRIBE_URL: url, SUBSCRIBER_EMAIL: email_bytes, CLICK_READER: reader}
        html_values = {
            UNSUBSCRIBE_URL: html.escape(who.unsubscribe_url).encode("ascii"),
            SUBSCRIBER_EMAIL: html.escape(who.email).encode("ascii"),
            CLICK_READER: reader,
        }
        pieces = [
            _address_header(who.name, who.email),
            b"Message-ID: <",
            who.message_key.encode("ascii"),
            b"@",
            self._domain,
            b">\r\n",
            b"List-Unsubscribe: <",
            url,
            b">,\r\n <",
            who.unsubscribe_mailto.encode("ascii"),
            b">\r\n",
            self._shared_headers,
            self._open_text,
            *self._text.render(text_values),
            self._open_html,
            *self._html.render(html_values),
            self._close,
        ]
        message = b"".join(pieces)
        if self._signer is not None:
            message = self._signer(message) + message
        return message


def dkim_signer(mail: MailSettings, key_path: Path | None) -> Callable[[bytes], bytes] | None:
    """A function returning the DKIM-Signature header for a message, or None without a key.

    `key_path` is mail.dkim.key_path resolved against the config file's folder."""
    settings = mail.dkim
    if key_path is None:
        return None
    import dkim

    try:
        key = key_path.read_bytes()
    except OSError as exc:
        raise ConfigError([f"mail.dkim.key_path: cannot read {key_path}: {exc.strerror}"]) from None
    selector = settings.selector.encode("ascii")
    domain = (settings.domain or mail.sender_domain).encode("ascii")

    def sign(message: bytes) -> bytes:
        signature: bytes = dkim.sign(
            message,
            selector,
            domain,
            key,
            include_headers=list(DKIM_HEADERS),
            canonicalize=(b"relaxed", b"relaxed"),
            linesep=b"\r\n",
        )
        return signature

    return sign
