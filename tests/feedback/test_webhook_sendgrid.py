"""SendGrid's Signed Event Webhook (nashra.feedback.services.sendgrid) on a live app, SQLite and
PostgreSQL, signed with a real P-256 key pair made here: a signed batch acts on each of its events;
a batch signed with another key, altered after signing, unsigned or stale changes nothing; the same
batch again changes nothing."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from feedback.webhookkit import DOMAIN, ISSUE, SAMIR, Site, add_reader
from nashra.config.webhooks import SendGridWebhook
from nashra.errors import ConfigError
from nashra.feedback.services import Posted
from nashra.feedback.services.marks import Marks
from nashra.feedback.services.sendgrid import SIGNATURE_HEADER, TIMESTAMP_HEADER, SendGrid
from nashra.store import subscribers
from nashra.store.feedback import Kind
from nashra.store.subscribers import SubscriberStatus

TOML = '[feedback.webhooks.sendgrid]\nenabled = true\npublic_key_env = "TEST_SENDGRID_KEY"\n'
KEY = ec.generate_private_key(ec.SECP256R1())
OTHER_KEY = ec.generate_private_key(ec.SECP256R1())


def verification_key(key: ec.EllipticCurvePrivateKey) -> str:
    """The key as SendGrid's settings page shows it: base64 of the DER SubjectPublicKeyInfo."""
    der = key.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(der).decode()


@pytest.fixture(autouse=True)
def _public_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEST_SENDGRID_KEY", verification_key(KEY))


def signed(
    events: list[dict[str, Any]], *, key: ec.EllipticCurvePrivateKey = KEY, at: float | None = None
) -> tuple[bytes, dict[str, str]]:
    """A batch as SendGrid posts it: the body and its signature headers."""
    body = json.dumps(events).encode()
    timestamp = str(int(time.time() if at is None else at))
    signature = key.sign(timestamp.encode() + body, ec.ECDSA(hashes.SHA256()))
    return body, {SIGNATURE_HEADER: base64.b64encode(signature).decode(), TIMESTAMP_HEADER: timestamp}


def event(name: str, email: str = SAMIR, **fields: object) -> dict[str, Any]:
    """An event of `name` without Nashra's Message-ID (give `smtp-id` for one)."""
    return {
        "email": email,
        "timestamp": 1764662400,
        "event": name,
        "sg_event_id": f"{name}-{email}",
        "sg_message_id": "14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.0",
        **fields,
    }


def post(site: Site, body: bytes, headers: dict[str, str]) -> int:
    return site.client.post("/webhooks/sendgrid", content=body, headers=headers).status_code


def test_a_signed_batch_acts_on_each_event_once(make_site: Callable[..., Site]) -> None:
    site = make_site(TOML)
    leila = add_reader(site.runtime, "leila@example.org")
    batch = [
        event("processed"),
        event(
            "bounce",
            type="bounce",
            status="5.1.1",
            reason="550 5.1.1 The email account does not exist",
            **{"smtp-id": site.message_id},
        ),
        event("delivered", "leila@example.org"),
        event("spamreport", "leila@example.org"),
    ]
    body, headers = signed(batch)

    assert post(site, body, headers) == 200

    assert site.status() == (
        SubscriberStatus.BOUNCED,
        "hard bounce (sendgrid): 5.1.1 550 5.1.1 The email account does not exist",
    )
    with site.runtime.store.connect() as conn:
        found = subscribers.get_subscriber(conn, leila)
    assert found is not None and found.status is SubscriberStatus.COMPLAINED
    assert site.stored() == [
        ("sendgrid", "hard_bounce", ISSUE, "suppressed"),
        ("sendgrid", "complaint", ISSUE, "suppressed"),
    ]
    # The very same batch again (SendGrid retrying, or a replay while fresh) changes nothing.
    assert post(site, body, headers) == 200
    assert site.reports() == 2


def test_forged_batches_are_refused_and_change_nothing(make_site: Callable[..., Site]) -> None:
    site = make_site(TOML)
    batch = [event("bounce", type="bounce")]
    body, headers = signed(batch)
    altered = body.replace(b'"bounce"', b'"spamreport"', 1)

    answers = {
        "another key": post(site, *signed(batch, key=OTHER_KEY)),
        "altered after signing": post(site, altered, headers),
        "timestamp changed": post(site, body, {**headers, TIMESTAMP_HEADER: str(int(time.time()) + 1)}),
        "unsigned": post(site, body, {}),
        "signature not base64": post(site, body, {**headers, SIGNATURE_HEADER: "not base64!"}),
        "stale": post(site, *signed(batch, at=time.time() - 16 * 60)),
        "from the future": post(site, *signed(batch, at=time.time() + 3600)),
    }

    assert answers == {
        "another key": 403,
        "altered after signing": 403,
        "timestamp changed": 403,
        "unsigned": 403,
        "signature not base64": 403,
        "stale": 400,
        "from the future": 400,
    }
    assert site.untouched()  # 0 forged events accepted


def test_a_verification_key_that_is_not_sendgrids_stops_the_app(monkeypatch: pytest.MonkeyPatch) -> None:
    options = SendGridWebhook(enabled=True, public_key_env="TEST_SENDGRID_KEY")
    monkeypatch.setenv("TEST_SENDGRID_KEY", "c2VjcmV0")
    with pytest.raises(ConfigError, match="TEST_SENDGRID_KEY is not SendGrid's verification key"):
        SendGrid(options, Marks(DOMAIN, None))
    monkeypatch.delenv("TEST_SENDGRID_KEY")
    with pytest.raises(ConfigError, match="TEST_SENDGRID_KEY is not set"):
        SendGrid(options, Marks(DOMAIN, None))


@pytest.mark.parametrize(
    ("fields", "kind"),
    [
        ({"event": "bounce", "type": "bounce"}, Kind.HARD_BOUNCE),
        ({"event": "bounce", "type": "blocked"}, Kind.SOFT_BOUNCE),
        ({"event": "dropped", "reason": "Bounced Address"}, Kind.HARD_BOUNCE),
        ({"event": "dropped", "reason": "Invalid"}, Kind.HARD_BOUNCE),
        ({"event": "dropped", "reason": "Spam Reporting Address"}, Kind.COMPLAINT),
        ({"event": "dropped", "reason": "Unsubscribed Address"}, Kind.UNSUBSCRIBE),
        ({"event": "dropped", "reason": "Spam Content (if spam checker app enabled)"}, None),
        ({"event": "spamreport"}, Kind.COMPLAINT),
        ({"event": "unsubscribe"}, Kind.UNSUBSCRIBE),
        ({"event": "group_unsubscribe", "asm_group_id": 1}, Kind.UNSUBSCRIBE),
        ({"event": "deferred"}, None),
        ({"event": "delivered"}, None),
        ({"event": "click"}, None),
    ],
)
def test_events_map_to_kinds(fields: dict[str, object], kind: Kind | None) -> None:
    service = SendGrid(SendGridWebhook(enabled=True, public_key_env="TEST_SENDGRID_KEY"), Marks(DOMAIN, None))
    body, headers = signed([event("x", **{"smtp-id": f"<{ISSUE}.1.0123456789ab@{DOMAIN}>", **fields})])

    reports = service.receive(Posted(body, headers), datetime.now(UTC))

    assert [r.kind for r in reports] == ([kind] if kind else [])
    for found in reports:
        assert (found.email, found.subscriber_id, found.issue_id) == (SAMIR, 1, ISSUE)
