"""Postmark's webhooks (postmarkapp.com/developer/webhooks): one JSON record per post, authenticated
only by HTTP basic auth, the user name and password written into the webhook URL Postmark is given.

Postmark signs nothing, so a time in the record proves nothing (whoever has the password can write
any time), and there is no age limit here: a replayed record is the same record, keyed by its `ID`,
stored already, and changes nothing. A wrong or missing password is refused with 401 before the
body is read as JSON.

Records (the Bounce, Spam Complaint and Subscription Change webhooks):
- Bounce, by `Type`: HardBounce and BadEmailAddress are hard bounces; SoftBounce, DnsError and
  Blocked soft; Unsubscribe (a mailed "remove me") an unsubscribe. The others (Transient: delayed,
  still trying; AutoResponder, SpamNotification, ChallengeVerification, …) say nothing about the
  address or the reader's wish.
- SpamComplaint: a complaint.
- SubscriptionChange: only a suppression the recipient asked for (`Origin` "Recipient",
  `SuppressionReason` "ManualSuppression": Postmark's unsubscribe link) is an unsubscribe. Those
  Postmark makes after a hard bounce or a complaint arrive as their own records too; an operator's
  suppression in Postmark, or a reactivation, is not the reader's word (only the reader's fresh
  confirmation revives an address).

Postmark's events carry neither the Message-ID nor the envelope sender, so a report names the
subscriber by address and counts against the newest issue sent to it.
"""

from __future__ import annotations

import base64
import hmac
from datetime import datetime
from typing import Any

from nashra.config.secrets import read_secret
from nashra.config.webhooks import PostmarkWebhook
from nashra.feedback.report import Report
from nashra.feedback.services import Posted, Refused, iso_time, parse_json, report, text
from nashra.store.feedback import Kind

_BOUNCE_KINDS = {
    "HardBounce": Kind.HARD_BOUNCE,
    "BadEmailAddress": Kind.HARD_BOUNCE,
    "SoftBounce": Kind.SOFT_BOUNCE,
    "DnsError": Kind.SOFT_BOUNCE,
    "Blocked": Kind.SOFT_BOUNCE,
    "Unsubscribe": Kind.UNSUBSCRIBE,
}


def _credentials(header: str) -> tuple[bytes, bytes] | None:
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        user, colon, password = base64.b64decode(encoded.strip(), validate=True).partition(b":")
    except ValueError:  # not base64 (binascii.Error), or not ASCII
        return None
    return (user, password) if colon else None


class Postmark:
    name = "postmark"

    def __init__(self, options: PostmarkWebhook) -> None:
        password = read_secret(options.password_env, purpose="feedback.webhooks.postmark")
        self._user = options.username.encode("utf-8")
        self._password = password.encode("utf-8")

    def _authentic(self, posted: Posted) -> bool:
        given = _credentials(posted.headers.get("authorization", ""))
        if given is None:
            return False
        # Both compared whatever the first gives, so the time taken tells nothing about either.
        user_ok = hmac.compare_digest(given[0], self._user)
        password_ok = hmac.compare_digest(given[1], self._password)
        return user_ok and password_ok

    def receive(self, posted: Posted, now: datetime) -> list[Report]:
        if not self._authentic(posted):
            raise Refused(401, "bad credentials")
        record = parse_json(posted.body)
        if not isinstance(record, dict):
            raise Refused(400, "malformed: not a record")
        kind_of = text(record.get("RecordType"))
        if kind_of == "SubscriptionChange":
            return self._change(record, now)
        if kind_of == "SpamComplaint":
            kind: Kind | None = Kind.COMPLAINT
        elif kind_of == "Bounce":
            kind = _BOUNCE_KINDS.get(text(record.get("Type")))
        else:
            kind = None
        if kind is None:
            return []
        event_id = text(record.get("ID"))
        if not event_id:
            raise Refused(400, "malformed: no ID")
        detail = " ".join(filter(None, (text(record.get("Description")), text(record.get("Details")))))
        return [
            report(
                self.name,
                event_id,
                kind,
                detail=detail or text(record.get("Type")),
                occurred_at=iso_time(record.get("BouncedAt"), now),
                email=text(record.get("Email")),
            )
        ]

    def _change(self, record: dict[str, Any], now: datetime) -> list[Report]:
        asked = record.get("Origin") == "Recipient" and record.get("SuppressionReason") == "ManualSuppression"
        if not (asked and record.get("SuppressSending") is True):
            return []
        recipient, changed_at = text(record.get("Recipient")), text(record.get("ChangedAt"))
        return [
            report(
                self.name,
                f"change:{recipient}:{changed_at}",
                Kind.UNSUBSCRIBE,
                detail="unsubscribed through Postmark's link",
                occurred_at=iso_time(record.get("ChangedAt"), now),
                email=recipient,
            )
        ]
