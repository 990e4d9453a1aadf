"""Spam complaints as mailbox providers' feedback loops send them: ARF (RFC 5965), a
multipart/report whose message/feedback-report part says what kind of feedback it is, followed by
the message complained about (whole, or its headers).

"abuse" (the reader pressed "spam") and "fraud" (the reader took it for phishing) are complaints;
"not-spam", "virus" and "other" ask nothing of Nashra.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.message import Message

from nashra.feedback.mime import header, redact
from nashra.store.feedback import Kind

_COMPLAINTS = frozenset({"abuse", "fraud"})


@dataclass(frozen=True, slots=True)
class Complaint:
    kind: Kind | None
    """COMPLAINT, or None for feedback that is no complaint."""
    detail: str


def _fields(message: Message) -> Message | None:
    for part in message.walk():
        if part.get_content_type() == "message/feedback-report":
            payload = part.get_payload()
            if isinstance(payload, list) and payload and isinstance(payload[0], Message):
                return payload[0]
    return None


def read_complaint(message: Message) -> Complaint | None:
    """The feedback report in `message`, or None when it is not one."""
    fields = _fields(message)
    if fields is None:
        return None
    feedback_type = header(fields, "feedback-type").lower() or "unknown"
    reporter = header(fields, "user-agent") or header(fields, "reporting-mta") or "a feedback loop"
    detail = redact(f"{feedback_type} report from {reporter}")
    return Complaint(Kind.COMPLAINT if feedback_type in _COMPLAINTS else None, detail)
