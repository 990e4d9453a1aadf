"""Mailgun's webhook (nashra.feedback.services.mailgun) on a live app, SQLite and PostgreSQL: a
signed bounce suppresses its subscriber with Mailgun's reason; a wrongly signed, stale or
re-used-token post changes nothing; the same post again changes nothing; a service not enabled is
not there. The events' mapping is checked on the service alone."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from feedback.webhookkit import DOMAIN, ISSUE, SAMIR, Site
from nashra.config.webhooks import MailgunWebhook
from nashra.errors import ConfigError
from nashra.feedback.services import Posted
from nashra.feedback.services.mailgun import Mailgun
from nashra.feedback.services.marks import Marks
from nashra.runtime import Runtime
from nashra.store.feedback import Kind
from nashra.store.subscribers import SubscriberStatus
from nashra.subscribers.manage import reactivate_subscriber
from nashra.web.app import create_app

KEY = "key-mailgun-signing-for-tests"
TOML = '[feedback.webhooks.mailgun]\nenabled = true\nsigning_key_env = "TEST_MAILGUN_KEY"\n'


@pytest.fixture(autouse=True)
def _signing_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEST_MAILGUN_KEY", KEY)


def signed(data: dict[str, Any], *, key: str = KEY, at: float | None = None, token: str = "") -> bytes:
    """A post as Mailgun makes it: `data` with a signature of `at` (default now) and a token."""
    timestamp = str(int(time.time() if at is None else at))
    token = token or secrets.token_hex(25)
    signature = hmac.new(key.encode(), (timestamp + token).encode(), hashlib.sha256).hexdigest()
    return json.dumps(
        {"signature": {"timestamp": timestamp, "token": token, "signature": signature}, "event-data": data}
    ).encode()


def bounce(site: Site, **changes: object) -> dict[str, Any]:
    return {
        "event": "failed",
        "severity": "permanent",
        "reason": "bounce",
        "id": "G9Bn5sl1TC6ZcjB3gQcSTQ",
        "timestamp": 1764662400.125,
        "recipient": SAMIR,
        "delivery-status": {"code": 550, "message": "", "description": "5.1.1 No such user"},
        "message": {"headers": {"message-id": site.message_id.strip("<>")}},
        **changes,
    }


def post(site: Site, body: bytes) -> int:
    return site.client.post("/webhooks/mailgun", content=body).status_code


def test_a_signed_bounce_suppresses_with_mailguns_reason_once(make_site: Callable[..., Site]) -> None:
    site = make_site(TOML)
    body = signed(bounce(site))

    assert post(site, body) == 200

    assert site.status() == (SubscriberStatus.BOUNCED, "hard bounce (mailgun): 550 5.1.1 No such user")
    assert site.stored() == [("mailgun", "hard_bounce", ISSUE, "suppressed")]
    # The same post again (Mailgun retrying, or a replay while fresh): taken, and nothing changes,
    # not even after an operator revived the address.
    with site.runtime.store.begin() as conn:
        reactivate_subscriber(conn, SAMIR, reason="the relay's fault", now=datetime.now(UTC))
    assert post(site, body) == 200
    assert site.status()[0] is SubscriberStatus.ACTIVE
    assert site.reports() == 1


def test_forged_posts_are_refused_and_change_nothing(make_site: Callable[..., Site]) -> None:
    site = make_site(TOML)
    data = bounce(site)
    no_signature = json.dumps({"event-data": data}).encode()

    answers = {
        "wrong key": post(site, signed(data, key="key-someone-elses")),
        "no signature": post(site, no_signature),
        "stale": post(site, signed(data, at=time.time() - 16 * 60)),
        "from the future": post(site, signed(data, at=time.time() + 3600)),
        "not JSON": post(site, b"event=failed&recipient=samir%40example.com"),
        "signature not ASCII": post(
            site, signed(data).replace(b'"signature": "', '"signature": "١'.encode(), 1)
        ),
    }

    assert answers == {
        "wrong key": 403,
        "no signature": 400,
        "stale": 400,
        "from the future": 400,
        "not JSON": 400,
        "signature not ASCII": 403,
    }
    assert site.untouched()  # 0 forged events accepted
    # Mailgun signs the token, not the event: a signature seen once with its event (a delivery)
    # cannot carry another one (a bounce someone put under it).
    delivered = json.loads(signed({"event": "delivered", "id": "d1"}))
    assert post(site, json.dumps(delivered).encode()) == 200
    assert post(site, json.dumps({**delivered, "event-data": data}).encode()) == 403
    assert site.untouched()


@pytest.mark.parametrize(
    "toml",
    ["", '[feedback.webhooks.postmark]\nenabled = true\npassword_env = "TEST_MAILGUN_KEY"\n'],
    ids=["none enabled", "another enabled"],
)
def test_a_service_that_is_not_enabled_is_not_there(make_site: Callable[..., Site], toml: str) -> None:
    site = make_site(toml)
    assert post(site, signed(bounce(site))) == 404
    assert site.untouched()


def test_an_oversized_post_is_refused_unread(make_site: Callable[..., Site]) -> None:
    site = make_site(TOML)
    assert post(site, b"{" + b" " * (1 << 20) + b"}") == 413
    assert site.untouched()


@pytest.mark.parametrize(
    ("changes", "kind"),
    [
        ({}, Kind.HARD_BOUNCE),
        ({"reason": "suppress-bounce"}, Kind.HARD_BOUNCE),
        ({"reason": "suppress-complaint"}, Kind.COMPLAINT),
        ({"reason": "suppress-unsubscribe"}, Kind.UNSUBSCRIBE),
        ({"reason": "espblock"}, Kind.SOFT_BOUNCE),
        ({"severity": "temporary", "reason": "generic"}, None),  # Mailgun is still trying
        ({"severity": "temporary", "reason": "old"}, Kind.SOFT_BOUNCE),  # and gave up
        ({"event": "complained"}, Kind.COMPLAINT),
        ({"event": "unsubscribed"}, Kind.UNSUBSCRIBE),
        ({"event": "delivered"}, None),
        ({"event": "opened"}, None),
    ],
)
def test_events_map_to_kinds(changes: dict[str, object], kind: Kind | None) -> None:
    service = Mailgun(MailgunWebhook(enabled=True, signing_key_env="TEST_MAILGUN_KEY"), Marks(DOMAIN, None))
    data = {
        "event": "failed",
        "severity": "permanent",
        "reason": "bounce",
        "id": "e1",
        "timestamp": time.time(),
        "recipient": SAMIR,
        "message": {"headers": {"message-id": f"{ISSUE}.42.0123456789ab@{DOMAIN}"}},
        **changes,
    }

    reports = service.receive(Posted(signed(data), {}), datetime.now(UTC))

    assert [r.kind for r in reports] == ([kind] if kind else [])
    for found in reports:
        assert (found.email, found.subscriber_id, found.issue_id) == (SAMIR, 42, ISSUE)


@pytest.mark.sqlite_only
def test_an_enabled_service_without_its_secret_stops_the_app(
    make_runtime: Callable[[str], Runtime], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TEST_MAILGUN_KEY")
    runtime = make_runtime(TOML)
    with pytest.raises(
        ConfigError, match=r"TEST_MAILGUN_KEY is not set \(needed for feedback.webhooks.mailgun\)"
    ):
        create_app(runtime.settings, runtime=runtime)


def test_each_refusal_is_logged_with_its_service_and_why_and_no_secret(
    make_site: Callable[..., Site], caplog: pytest.LogCaptureFixture
) -> None:
    site = make_site(TOML)
    with caplog.at_level(logging.WARNING, logger="nashra.web.webhooks"):
        post(site, signed(bounce(site), key="key-someone-elses"))
        post(site, signed(bounce(site), at=time.time() - 3600))

    refusals = [
        (r.getMessage(), getattr(r, "service", None), getattr(r, "why", None))
        for r in caplog.records
        if r.name == "nashra.web.webhooks"
    ]
    assert refusals == [
        ("webhook.refused", "mailgun", "bad signature"),
        ("webhook.refused", "mailgun", "stale: signed too long ago"),
    ]
    assert not any(KEY in str(r.__dict__) for r in caplog.records)
