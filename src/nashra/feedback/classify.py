"""What one message that came back is: a report to act on, nothing to do, or a message to keep
because Nashra could not tell.

In this order, because each later kind can look like an earlier one: a complaint (ARF) carries the
original digest; a bounce returns it, and both carry its unsubscribe token, which must not read as
an unsubscribe. Then a mail to the List-Unsubscribe address (the token in its subject, or in its
body unless it is an automatic reply: an out-of-office quoting the digest asks for nothing).

Who a report is about is only ever what Nashra signed (nashra.feedback.signed); a report that
names nobody that way is still a report, and is kept as unmatched. Nothing here raises: bytes
that break a parser are "unreadable", and kept.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage

from nashra.feedback.bounces import read_bounce
from nashra.feedback.complaints import read_complaint
from nashra.feedback.mime import (
    Unreadable,
    header,
    main_text,
    message_key,
    one_line,
    parse,
    sent_at,
    texts,
)
from nashra.feedback.signed import FoundToken, Signatures
from nashra.logs import event
from nashra.mail.tokens import TokenClaims
from nashra.mail.verp import BounceTarget
from nashra.store.feedback import Kind

log = logging.getLogger(__name__)

_LIST_UNSUBSCRIBE = re.compile(r"^List-Unsubscribe:[^\n]*(?:\n[ \t][^\n]*)*", re.IGNORECASE | re.MULTILINE)
_AUTOMATIC = ("x-autoreply", "x-autorespond")


@dataclass(frozen=True, slots=True)
class Understood:
    """A report: a bounce, a complaint or an unsubscribe, and whom Nashra's signatures name."""

    key: str
    kind: Kind
    detail: str
    occurred_at: datetime
    target: BounceTarget | None = None
    """From a VERP address: the issue and the subscriber."""
    claims: TokenClaims | None = None
    """From an unsubscribe token: the subscriber, if the address it was made for is still theirs."""


@dataclass(frozen=True, slots=True)
class Ignored:
    """Nothing to do and nothing worth keeping: a delay warning, an automatic reply, a "not spam"."""

    key: str
    why: str


@dataclass(frozen=True, slots=True)
class Unrecognised:
    """Kept for a person to look at: unreadable, or no kind of report Nashra knows."""

    key: str
    why: str


Reading = Understood | Ignored | Unrecognised


def read_message(raw: bytes, signatures: Signatures, *, now: datetime) -> Reading:
    key = message_key(None, raw)
    try:
        message = parse(raw)
        key = message_key(message, raw)
        return _classify(message, key, signatures, now)
    except Unreadable as exc:
        return Unrecognised(key, f"unreadable: {exc}")
    except Exception as exc:  # a parser or detector tripping on broken input: keep it, go on
        event(log, "inbound.unreadable", level=logging.WARNING, key=key, error=type(exc).__name__)
        return Unrecognised(key, one_line(f"unreadable: {type(exc).__name__}: {exc}"))


def _automatic(message: EmailMessage) -> bool:
    """An automatic reply (RFC 3834 Auto-Submitted, or the older vendor headers)."""
    submitted = header(message, "auto-submitted").lower()
    if submitted and not submitted.startswith("no"):
        return True
    if any(name in message for name in _AUTOMATIC):
        return True
    return header(message, "precedence").lower() in ("auto_reply", "bulk", "junk")


def _named(
    key: str, kind: Kind, detail: str, message: EmailMessage, signatures: Signatures, now: datetime
) -> Understood:
    """A bounce or a complaint, with whom it is about: a VERP token anywhere in it, else an
    unsubscribe token in the List-Unsubscribe of the copy of our digest it carries."""
    everything = "\n".join(texts(message))
    occurred_at = sent_at(message, now)
    target = signatures.bounce_target(everything)
    if target is not None:
        return Understood(key, kind, detail, occurred_at, target=target)
    lines = "\n".join(_LIST_UNSUBSCRIBE.findall(everything))
    found = signatures.unsubscribe_token(lines)
    return Understood(key, kind, detail, occurred_at, claims=found.claims)


def _unsubscribe(key: str, message: EmailMessage, signatures: Signatures, now: datetime) -> Reading:
    subject = header(message, "subject")
    found = signatures.unsubscribe_token(subject)
    if found.claims is None and _automatic(message):
        return Ignored(key, "an automatic reply")
    if found.claims is None:
        in_body = signatures.unsubscribe_token(main_text(message))
        found = in_body if in_body.claims or in_body.problem else found
    if found.claims is None and "unsubscribe" not in subject.lower():
        why = f" (an unsubscribe token in it is {found.problem})" if found.problem else ""
        return Unrecognised(key, f"not a bounce, a complaint or an unsubscribe{why}")
    return Understood(key, Kind.UNSUBSCRIBE, _token_words(found), sent_at(message, now), claims=found.claims)


def _token_words(found: FoundToken) -> str:
    if found.claims is not None:
        return "mail to the List-Unsubscribe address"
    return f"mail to the List-Unsubscribe address, token {found.problem or 'missing'}"


def _classify(message: EmailMessage, key: str, signatures: Signatures, now: datetime) -> Reading:
    complaint = read_complaint(message)
    if complaint is not None:
        if complaint.kind is None:
            return Ignored(key, complaint.detail)
        return _named(key, complaint.kind, complaint.detail, message, signatures, now)
    bounce = read_bounce(message)
    if bounce is not None:
        if bounce.kind is None:
            return Ignored(key, bounce.detail)
        return _named(key, bounce.kind, bounce.detail, message, signatures, now)
    return _unsubscribe(key, message, signatures, now)
