"""SendGrid's Signed Event Webhook (twilio.com/docs/sendgrid, "Getting Started with the Event Webhook
Security Features"; events: "Event Webhook Reference"): a JSON array of events, signed with ECDSA
P-256 over SHA-256 of the `X-Twilio-Email-Event-Webhook-Timestamp` header followed by the raw body;
the signature (base64 DER) in `X-Twilio-Email-Event-Webhook-Signature`, the verification key
(base64 DER SubjectPublicKeyInfo, as SendGrid shows it) from the environment.

The signature covers the whole body, so a replay is the very same events, each keyed by its
`sg_event_id` and stored already: it changes nothing. A timestamp older than `max_age_minutes` is
refused.

Events: `bounce` is a hard bounce, unless its `type` is "blocked" (the receiving server refused
the message, not the address: SendGrid itself does not suppress those), a soft one. `dropped`
names the SendGrid list that stopped the message: "Bounced Address" and "Invalid" (the address
bounced before, or is not one) are hard bounces, "Spam Reporting Address" a complaint,
"Unsubscribed Address" an unsubscribe; other drops are about the message (spam content, a bad
header). `spamreport` is a complaint; `unsubscribe` and `group_unsubscribe` unsubscribes.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import load_der_public_key

from nashra.config.secrets import read_secret
from nashra.config.webhooks import SendGridWebhook
from nashra.errors import ConfigError
from nashra.feedback.report import Report
from nashra.feedback.services import Posted, Refused, check_fresh, digest, parse_json, report, text
from nashra.feedback.services.marks import Marks
from nashra.store.feedback import Kind

SIGNATURE_HEADER = "x-twilio-email-event-webhook-signature"
TIMESTAMP_HEADER = "x-twilio-email-event-webhook-timestamp"
_DROP_KINDS = {
    "bounced address": Kind.HARD_BOUNCE,
    "invalid": Kind.HARD_BOUNCE,
    "spam reporting address": Kind.COMPLAINT,
    "unsubscribed address": Kind.UNSUBSCRIBE,
}
_EVENT_KINDS = {
    "spamreport": Kind.COMPLAINT,
    "unsubscribe": Kind.UNSUBSCRIBE,
    "group_unsubscribe": Kind.UNSUBSCRIBE,
}


def _public_key(variable: str) -> ec.EllipticCurvePublicKey:
    value = read_secret(variable, purpose="feedback.webhooks.sendgrid")
    try:
        key = load_der_public_key(base64.b64decode(value.strip(), validate=True))
    except ValueError:  # not base64 (binascii.Error), or not a DER key
        key = None
    if not (isinstance(key, ec.EllipticCurvePublicKey) and isinstance(key.curve, ec.SECP256R1)):
        raise ConfigError(
            [
                f"environment variable {variable} is not SendGrid's verification key (base64 of a P-256 public key)"
            ]
        )
    return key


def _kind(event: dict[str, Any]) -> Kind | None:
    name = text(event.get("event"))
    if name == "bounce":
        return Kind.SOFT_BOUNCE if text(event.get("type")) == "blocked" else Kind.HARD_BOUNCE
    if name == "dropped":
        return _DROP_KINDS.get(text(event.get("reason")).lower())
    return _EVENT_KINDS.get(name)


class SendGrid:
    name = "sendgrid"

    def __init__(self, options: SendGridWebhook, marks: Marks) -> None:
        self._key = _public_key(options.public_key_env)
        self._max_age = timedelta(minutes=options.max_age_minutes)
        self._marks = marks

    def _verify(self, posted: Posted) -> datetime:
        """When the post was signed, if the signature holds."""
        timestamp = posted.headers.get(TIMESTAMP_HEADER, "")
        try:
            signature = base64.b64decode(posted.headers.get(SIGNATURE_HEADER, ""), validate=True)
            self._key.verify(signature, timestamp.encode("utf-8") + posted.body, ec.ECDSA(hashes.SHA256()))
        except (ValueError, InvalidSignature):  # ValueError: not base64, or not ASCII
            raise Refused(403, "bad signature") from None
        try:
            return datetime.fromtimestamp(int(timestamp), UTC)
        except (ValueError, OverflowError, OSError):
            raise Refused(400, "malformed: timestamp") from None

    def receive(self, posted: Posted, now: datetime) -> list[Report]:
        signed_at = self._verify(posted)
        check_fresh(signed_at, now, self._max_age)
        events = parse_json(posted.body)
        if not isinstance(events, list):
            raise Refused(400, "malformed: not a list of events")
        reports = []
        for event in events:
            kind = _kind(event) if isinstance(event, dict) else None
            if kind is None:
                continue
            try:
                occurred_at = datetime.fromtimestamp(int(event["timestamp"]), UTC)
            except (KeyError, TypeError, ValueError, OverflowError, OSError):
                occurred_at = signed_at
            detail = " ".join(filter(None, (text(event.get("status")), text(event.get("reason")))))
            reports.append(
                report(
                    self.name,
                    text(event.get("sg_event_id")) or digest(event),
                    kind,
                    detail=detail or text(event.get("event")),
                    occurred_at=occurred_at,
                    email=text(event.get("email")),
                    mark=self._marks.read(message_id=text(event.get("smtp-id"))),
                )
            )
        return reports
