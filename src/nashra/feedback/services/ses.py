"""Amazon SES bounce and complaint notifications, which SES publishes to SNS topics and SNS posts
here (docs.aws.amazon.com/ses, "Amazon SNS notification contents for Amazon SES").

A post is taken only from a topic in `topic_arns`, naming its certificate on an allowed host, no
older than `max_age_minutes` by its Timestamp, and signed by SNS (nashra.feedback.services.sns),
checked in that order: a post from an unknown topic, naming a certificate elsewhere or stale is
refused before anything is fetched. A replayed post is the same notification, its reports keyed by
SES's `feedbackId` and recipient: it changes nothing.

- SubscriptionConfirmation: confirmed by fetching its SubscribeURL (an allowed host, like the
  certificate's), and logged; UnsubscribeConfirmation is logged only.
- Notification: `notificationType` (or `eventType`, for configuration-set event publishing) Bounce
  is a hard bounce for `bounceType` Permanent and a soft one for Transient and Undetermined;
  Complaint is a complaint; Delivery and the rest are ignored. One notification may name several
  recipients: one report each. `mail.source` is the envelope sender (VERP, when on) and
  `mail.commonHeaders.messageId` the Message-ID Nashra wrote (SES writes its own on the wire).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

import httpx

from nashra.config.webhooks import SesWebhook
from nashra.feedback.report import Report
from nashra.feedback.services import (
    Posted,
    Refused,
    check_fresh,
    digest,
    iso_time,
    parse_json,
    report,
    text,
)
from nashra.feedback.services.marks import Mark, Marks
from nashra.feedback.services.sns import SIGNED_FIELDS, Certificates
from nashra.logs import event
from nashra.store.feedback import Kind

log = logging.getLogger(__name__)

_BOUNCE_KINDS = {
    "Permanent": Kind.HARD_BOUNCE,
    "Transient": Kind.SOFT_BOUNCE,
    "Undetermined": Kind.SOFT_BOUNCE,
}


def _sns_message(body: bytes) -> dict[str, str]:
    """The message's text fields (the only ones signed, or needed to check the signature)."""
    message = parse_json(body)
    if not isinstance(message, dict):
        raise Refused(400, "malformed: not an SNS message")
    fields = {name: value for name, value in message.items() if isinstance(value, str)}
    if fields.get("Type") not in SIGNED_FIELDS:
        raise Refused(400, "malformed: unknown SNS message Type")
    return fields


def _message_id(mail: dict[str, Any]) -> str:
    """The Message-ID of the message as Nashra handed it over (present when the topic is set to
    include the original headers)."""
    common = mail.get("commonHeaders")
    if isinstance(common, dict) and text(common.get("messageId")):
        return text(common.get("messageId"))
    for header in _listed(mail.get("headers")):
        if text(header.get("name")).lower() == "message-id":
            return text(header.get("value"))
    return ""


class Ses:
    name = "ses"

    def __init__(self, options: SesWebhook, marks: Marks, http: httpx.Client) -> None:
        self._topics = frozenset(options.topic_arns)
        self._max_age = timedelta(minutes=options.max_age_minutes)
        self._marks = marks
        self._http = http
        self._certificates = Certificates(http, options.allows_host)

    def receive(self, posted: Posted, now: datetime) -> list[Report]:
        message = _sns_message(posted.body)
        topic = message.get("TopicArn", "")
        if topic not in self._topics:
            raise Refused(403, "unknown topic")
        if not self._certificates.allowed(message.get("SigningCertURL", "")):
            raise Refused(403, "signing certificate URL not allowed")
        try:
            signed_at = datetime.fromisoformat(message.get("Timestamp", ""))
        except ValueError:
            raise Refused(400, "malformed: Timestamp") from None
        if signed_at.tzinfo is None:
            raise Refused(400, "malformed: Timestamp")
        check_fresh(signed_at, now, self._max_age)
        self._certificates.verify(message, now)
        kind_of = message["Type"]
        if kind_of == "SubscriptionConfirmation":
            self._confirm(message)
            return []
        if kind_of == "UnsubscribeConfirmation":
            event(log, "webhook.ses_unsubscribed", level=logging.WARNING, topic=topic)
            return []
        return self._reports(message["Message"], signed_at)

    def _confirm(self, message: dict[str, str]) -> None:
        url = message.get("SubscribeURL", "")
        if not self._certificates.allowed(url):
            raise Refused(403, "subscribe URL not allowed")
        try:
            self._http.get(url).raise_for_status()
        except httpx.HTTPError as exc:
            event(
                log, "webhook.ses_confirm_failed", level=logging.ERROR, topic=message["TopicArn"], error=exc
            )
            raise Refused(503, "subscription not confirmed") from None
        event(log, "webhook.ses_subscribed", topic=message["TopicArn"])

    def _reports(self, body: str, signed_at: datetime) -> list[Report]:
        try:
            notification = parse_json(body.encode("utf-8"))
        except Refused:
            return []  # a topic that carries other things than SES's notifications
        if not isinstance(notification, dict):
            return []
        mail = notification.get("mail")
        mail = mail if isinstance(mail, dict) else {}
        mark = self._marks.read(message_id=_message_id(mail), envelope_sender=text(mail.get("source")))
        kind_of = text(notification.get("notificationType") or notification.get("eventType"))
        if kind_of == "Bounce":
            return self._bounces(notification.get("bounce"), mark, signed_at)
        if kind_of == "Complaint":
            return self._complaints(notification.get("complaint"), mark, signed_at)
        return []

    def _bounces(self, bounce: object, mark: Mark, signed_at: datetime) -> list[Report]:
        if not isinstance(bounce, dict):
            return []
        kind = _BOUNCE_KINDS.get(text(bounce.get("bounceType")), Kind.SOFT_BOUNCE)
        about = f"{text(bounce.get('bounceType'))}/{text(bounce.get('bounceSubType'))}"
        feedback_id = text(bounce.get("feedbackId")) or digest(bounce)
        recipients = _listed(bounce.get("bouncedRecipients"))
        mark = _one(mark, recipients)
        reports = []
        for recipient in recipients:
            detail = " ".join(
                filter(None, (about, text(recipient.get("status")), text(recipient.get("diagnosticCode"))))
            )
            email = text(recipient.get("emailAddress"))
            reports.append(
                report(
                    self.name,
                    f"{feedback_id}:{email}",
                    kind,
                    detail=detail,
                    occurred_at=iso_time(bounce.get("timestamp"), signed_at),
                    email=email,
                    mark=mark,
                )
            )
        return reports

    def _complaints(self, complaint: object, mark: Mark, signed_at: datetime) -> list[Report]:
        if not isinstance(complaint, dict):
            return []
        feedback_id = text(complaint.get("feedbackId")) or digest(complaint)
        recipients = _listed(complaint.get("complainedRecipients"))
        mark = _one(mark, recipients)
        detail = text(complaint.get("complaintFeedbackType")) or "complaint"
        return [
            report(
                self.name,
                f"{feedback_id}:{email}",
                Kind.COMPLAINT,
                detail=detail,
                occurred_at=iso_time(complaint.get("timestamp"), signed_at),
                email=email,
                mark=mark,
            )
            for email in (text(r.get("emailAddress")) for r in recipients)
        ]


def _listed(value: object) -> list[dict[str, Any]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _one(mark: Mark, recipients: list[dict[str, Any]]) -> Mark:
    """The message's mark names one subscriber: with several recipients, it names only the issue."""
    return mark if len(recipients) == 1 else Mark(issue_id=mark.issue_id)
