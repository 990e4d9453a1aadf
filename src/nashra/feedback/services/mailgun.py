"""Mailgun's webhooks: a JSON body `{"signature": {"timestamp", "token", "signature"}, "event-data":
{…}}`, the signature being the hex HMAC-SHA256 of timestamp + token under the account's webhook
signing key (documentation.mailgun.com, "Securing Webhooks"; events: "Tracking Failures").

That signature covers the timestamp and the token but not the event, so whoever saw one signed post
could put another event under its signature. Hence a token is taken with one event only: the same
post again (Mailgun retrying, or a replay while fresh) is answered 200 and changes nothing, its
event already stored; the token with a different event is refused. Tokens are remembered by each
web process until their signature is stale (`max_age_minutes`), after which it is refused anyway.
A post caught on its way, before Nashra saw its token, could still be altered, and so could one
sent on to another web process within that time: serve the webhook over https only.

Events: `failed` with severity "permanent" is a hard bounce, save the ones that are not about the
address (`old`: Mailgun gave up retrying a temporary failure; `espblock`) which count as soft, and
drops for Mailgun's own suppressions (`suppress-complaint`, `suppress-unsubscribe`), which say what
they stand for. A "temporary" failure means Mailgun is still retrying: nothing to act on, save its
last (`old`), a soft bounce. `complained` is a complaint, `unsubscribed` an unsubscribe; deliveries,
opens and clicks are not Nashra's business. An event's key is its id with its timestamp (Mailgun's
ids are unique only within a day).
"""

from __future__ import annotations

import hashlib
import hmac
import threading
from collections import OrderedDict
from datetime import UTC, datetime, timedelta
from typing import Any

from nashra.config.secrets import read_secret
from nashra.config.webhooks import MailgunWebhook
from nashra.feedback.report import Report
from nashra.feedback.services import Posted, Refused, check_fresh, digest, parse_json, report, text
from nashra.feedback.services.marks import Marks
from nashra.store.feedback import Kind

_SOFT_REASONS = frozenset({"old", "espblock"})
_SUPPRESSION_KINDS = {"suppress-complaint": Kind.COMPLAINT, "suppress-unsubscribe": Kind.UNSUBSCRIBE}
_EVENT_KINDS = {"complained": Kind.COMPLAINT, "unsubscribed": Kind.UNSUBSCRIBE}


class _Tokens:
    """Each token seen, with the digest of the event it came with, until its signature is stale."""

    def __init__(self) -> None:
        self._seen: OrderedDict[str, tuple[str, datetime]] = OrderedDict()
        self._lock = threading.Lock()

    def bind(self, token: str, event: str, *, until: datetime, now: datetime) -> bool:
        """Whether `token` may carry `event`: first seen now, or seen with this same event."""
        with self._lock:
            while self._seen and next(iter(self._seen.values()))[1] < now:
                self._seen.popitem(last=False)
            seen = self._seen.get(token)
            if seen is None:
                self._seen[token] = (event, until)
                return True
            return hmac.compare_digest(seen[0], event)


def _kind(data: dict[str, Any]) -> Kind | None:
    event = data.get("event")
    if event != "failed":
        return _EVENT_KINDS.get(text(event))
    reason = text(data.get("reason"))
    if data.get("severity") == "permanent":
        if reason in _SOFT_REASONS:
            return Kind.SOFT_BOUNCE
        return _SUPPRESSION_KINDS.get(reason, Kind.HARD_BOUNCE)
    return Kind.SOFT_BOUNCE if reason == "old" else None


def _detail(data: dict[str, Any]) -> str:
    status = data.get("delivery-status")
    status = status if isinstance(status, dict) else {}
    words = text(status.get("description")) or text(status.get("message"))
    parts = [text(status.get("code")), words or text(data.get("reason")) or text(data.get("event"))]
    return " ".join(part for part in parts if part)


def _field(data: dict[str, Any], *path: str) -> str:
    value: Any = data
    for name in path:
        value = value.get(name) if isinstance(value, dict) else None
    return text(value)


class Mailgun:
    name = "mailgun"

    def __init__(self, options: MailgunWebhook, marks: Marks) -> None:
        self._key = read_secret(options.signing_key_env, purpose="feedback.webhooks.mailgun").encode("utf-8")
        self._max_age = timedelta(minutes=options.max_age_minutes)
        self._marks = marks
        self._tokens = _Tokens()

    def receive(self, posted: Posted, now: datetime) -> list[Report]:
        payload = parse_json(posted.body)
        signature = payload.get("signature") if isinstance(payload, dict) else None
        data = payload.get("event-data") if isinstance(payload, dict) else None
        if not (isinstance(signature, dict) and isinstance(data, dict)):
            raise Refused(400, "malformed: no signature or event-data")
        timestamp, token = text(signature.get("timestamp")), text(signature.get("token"))
        expected = hmac.new(self._key, (timestamp + token).encode("utf-8"), hashlib.sha256).hexdigest()
        given = text(signature.get("signature")).encode("utf-8")
        if not (timestamp and token and hmac.compare_digest(expected.encode("ascii"), given)):
            raise Refused(403, "bad signature")
        try:
            signed_at = datetime.fromtimestamp(int(timestamp), UTC)
        except (ValueError, OverflowError, OSError):
            raise Refused(400, "malformed: timestamp") from None
        check_fresh(signed_at, now, self._max_age)
        if not self._tokens.bind(token, digest(data), until=signed_at + self._max_age, now=now):
            raise Refused(403, "replayed: token already used for another event")
        kind = _kind(data)
        if kind is None:
            return []
        try:
            occurred_at = datetime.fromtimestamp(float(data["timestamp"]), UTC)
        except (KeyError, TypeError, ValueError, OverflowError, OSError):
            occurred_at = signed_at
        event_id = _field(data, "id") or digest(data)
        return [
            report(
                self.name,
                f"{event_id}:{_field(data, 'timestamp')}",
                kind,
                detail=_detail(data),
                occurred_at=occurred_at,
                email=_field(data, "recipient"),
                mark=self._marks.read(
                    message_id=_field(data, "message", "headers", "message-id"),
                    envelope_sender=_field(data, "envelope", "sender"),
                ),
            )
        ]
