"""Postmark's webhook (nashra.feedback.services.postmark) on a live app, SQLite and PostgreSQL: basic
auth is its only proof, so a post without the right user and password changes nothing; a record
posted again, however long after, is the same record (its ID) and changes nothing; Postmark's
bounce types and subscription changes map to what they mean for the address."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from feedback.webhookkit import SAMIR, Site
from nashra.config.webhooks import PostmarkWebhook
from nashra.feedback.services import Posted
from nashra.feedback.services.postmark import Postmark
from nashra.store.feedback import Kind
from nashra.store.subscribers import SubscriberStatus
from nashra.subscribers.manage import reactivate_subscriber

PASSWORD = "postmark-webhook-password"
TOML = '[feedback.webhooks.postmark]\nenabled = true\nusername = "hooks"\npassword_env = "TEST_POSTMARK_PASSWORD"\n'
RIGHT = httpx.BasicAuth("hooks", PASSWORD)


@pytest.fixture(autouse=True)
def _password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEST_POSTMARK_PASSWORD", PASSWORD)


def hard_bounce(**changes: object) -> dict[str, Any]:
    """A Bounce record as Postmark's documentation shows one."""
    return {
        "RecordType": "Bounce",
        "ID": 4323372036854775807,
        "Type": "HardBounce",
        "TypeCode": 1,
        "Name": "Hard bounce",
        "MessageID": "883953f4-6105-42a2-a16a-77a8eac79483",
        "Description": "The server was unable to deliver your message (ex: unknown user, mailbox not found).",
        "Details": "smtp;550 5.1.1 The email account that you tried to reach does not exist.",
        "Email": SAMIR,
        "From": "newsletter@nashra.example",
        "BouncedAt": "2026-12-02T08:00:00.9070259Z",
        "Inactive": True,
        "MessageStream": "broadcast",
        **changes,
    }


def post(site: Site, record: dict[str, Any], auth: httpx.Auth | None = RIGHT) -> httpx.Response:
    return site.client.post("/webhooks/postmark", json=record, auth=auth)


def test_an_authenticated_hard_bounce_suppresses_with_postmarks_reason_once(
    make_site: Callable[..., Site],
) -> None:
    site = make_site(TOML)

    assert post(site, hard_bounce()).status_code == 200

    status, reason = site.status()
    assert status is SubscriberStatus.BOUNCED
    assert reason is not None and reason.startswith(
        "hard bounce (postmark): The server was unable to deliver"
    )
    assert "5.1.1" in reason
    # Replayed (or retried): the same ID, stored already; nothing changes, even after an operator
    # revived the address. Postmark signs nothing, so no age limit would add anything here.
    with site.runtime.store.begin() as conn:
        reactivate_subscriber(conn, SAMIR, reason="checked with the reader", now=datetime.now(UTC))
    assert post(site, hard_bounce()).status_code == 200
    assert site.status()[0] is SubscriberStatus.ACTIVE
    assert site.reports() == 1


def test_posts_without_the_password_are_refused_and_change_nothing(make_site: Callable[..., Site]) -> None:
    site = make_site(TOML)
    record = hard_bounce()
    old = hard_bounce(BouncedAt="2025-01-01T00:00:00Z", ID=1)

    answers = [
        post(site, record, auth=None),
        post(site, record, auth=httpx.BasicAuth("hooks", "guess")),
        post(site, record, auth=httpx.BasicAuth("someone", PASSWORD)),
        post(site, old, auth=httpx.BasicAuth("hooks", PASSWORD + "x")),
        site.client.post("/webhooks/postmark", json=record, headers={"Authorization": "Bearer " + PASSWORD}),
        site.client.post(
            "/webhooks/postmark", json=record, headers={"Authorization": "Basic été==".encode()}
        ),
    ]

    assert [a.status_code for a in answers] == [401] * 6
    assert all(a.headers["www-authenticate"].startswith("Basic ") for a in answers)
    assert site.untouched()  # 0 forged events accepted


def test_a_recipients_own_unsubscribe_through_postmark_unsubscribes(make_site: Callable[..., Site]) -> None:
    site = make_site(TOML)
    change = {
        "RecordType": "SubscriptionChange",
        "MessageID": "00000000-0000-0000-0000-000000000000",
        "ChangedAt": "2026-12-02T08:05:00Z",
        "Recipient": SAMIR,
        "Origin": "Recipient",
        "SuppressSending": True,
        "SuppressionReason": "ManualSuppression",
    }
    by_operator = {**change, "Origin": "Customer", "ChangedAt": "2026-12-02T08:01:00Z"}
    reactivated = {**change, "SuppressSending": False, "ChangedAt": "2026-12-02T08:02:00Z"}

    assert [post(site, record).status_code for record in (by_operator, reactivated)] == [200, 200]
    assert site.untouched()
    assert post(site, change).status_code == 200

    assert site.status() == (
        SubscriberStatus.UNSUBSCRIBED,
        "unsubscribe request (postmark): unsubscribed through Postmark's link",
    )


@pytest.mark.parametrize(
    ("record", "kind"),
    [
        (hard_bounce(), Kind.HARD_BOUNCE),
        (hard_bounce(Type="BadEmailAddress"), Kind.HARD_BOUNCE),
        (hard_bounce(Type="SoftBounce"), Kind.SOFT_BOUNCE),
        (hard_bounce(Type="DnsError"), Kind.SOFT_BOUNCE),
        (hard_bounce(Type="Transient"), None),  # delayed: Postmark is still trying
        (hard_bounce(Type="AutoResponder"), None),
        (hard_bounce(Type="SpamNotification"), None),
        (hard_bounce(RecordType="SpamComplaint", Type="SpamComplaint"), Kind.COMPLAINT),
        (hard_bounce(RecordType="Delivery"), None),
        (hard_bounce(RecordType="Open"), None),
    ],
)
def test_records_map_to_kinds(record: dict[str, Any], kind: Kind | None) -> None:
    service = Postmark(PostmarkWebhook(enabled=True, username="hooks", password_env="TEST_POSTMARK_PASSWORD"))
    authorization = "Basic " + base64.b64encode(f"hooks:{PASSWORD}".encode()).decode()

    reports = service.receive(
        Posted(json.dumps(record).encode(), {"authorization": authorization}), datetime.now(UTC)
    )

    assert [r.kind for r in reports] == ([kind] if kind else [])
    for found in reports:
        assert (found.key, found.email) == (f"postmark:{record['ID']}", SAMIR)
