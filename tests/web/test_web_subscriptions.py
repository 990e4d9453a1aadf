"""Subscribe with double opt-in, confirm, unsubscribe page: real HTTP against the app, the
confirmation mail read back from the file transport's outbox."""

from __future__ import annotations

import email
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email import policy
from pathlib import Path

import httpx
import pytest
import time_machine

from loopback import free_port, live_app
from nashra.mail.tokens import CONFIRM, UNSUBSCRIBE, Tokens
from nashra.runtime import Runtime
from nashra.store import subscribers as db
from nashra.subscribers import add_subscriber
from nashra.web.app import create_app

TOML = '[site]\nname = "نشرة الواحة"\n\n[web]\npublic_url = "https://oasis.example/news"\n'  # as the `site` fixture's


def _outbox(runtime: Runtime) -> list[Path]:
    folder = runtime.settings.outbox_dir / "mail"
    return sorted(folder.glob("*.eml")) if folder.is_dir() else []


def _status(runtime: Runtime, address: str) -> str | None:
    with runtime.store.connect() as conn:
        found = db.find_subscriber(conn, address)
    return found.status if found else None


@pytest.mark.sqlite_only
def test_subscribe_form_is_arabic_rtl(site: tuple[Runtime, httpx.Client]) -> None:
    _, client = site
    response = client.get("/subscribe")
    assert response.status_code == 200
    assert '<html lang="ar" dir="rtl">' in response.text
    assert 'name="email"' in response.text and "اشترك" in response.text


def test_double_opt_in_then_confirm(site: tuple[Runtime, httpx.Client]) -> None:
    runtime, client = site
    response = client.post("/subscribe", data={"email": " Amina@Example.COM ", "name": "أمينة"})
    assert response.status_code == 200 and "تحقق من بريدك" in response.text
    assert _status(runtime, "amina@example.com") == "pending"

    [mail] = _outbox(runtime)
    message = email.message_from_bytes(mail.read_bytes(), policy=policy.default)
    assert message["To"] == "amina@example.com"
    assert message["Subject"] == "أكّد اشتراكك في نشرة الواحة"
    text = message.get_body(("plain",)).get_content()
    link = re.search(r"https://oasis\.example/news(/confirm/\S+)", text)
    assert link is not None

    assert client.get(link.group(1)).status_code == 200  # the page with the button
    assert _status(runtime, "amina@example.com") == "pending"
    confirmed = client.post(link.group(1))
    assert confirmed.status_code == 200 and "تم تأكيد اشتراكك" in confirmed.text
    with runtime.store.connect() as conn:
        found = db.find_subscriber(conn, "amina@example.com")
    assert found is not None and (found.status, found.consent_source, found.name) == (
        "active",
        "web",
        "أمينة",
    )
    assert found.consent_at is not None and found.lists == ("default",)

    # Asking again for an active address sends nothing and says the same thing.
    again = client.post("/subscribe", data={"email": "amina@example.com"})
    assert again.status_code == 200 and "تحقق من بريدك" in again.text
    assert len(_outbox(runtime)) == 1


@pytest.mark.sqlite_only
def test_invalid_address_is_refused_with_the_form(site: tuple[Runtime, httpx.Client]) -> None:
    runtime, client = site
    response = client.post("/subscribe", data={"email": "not-an-address@"})
    assert response.status_code == 400 and "عنوان البريد غير صحيح" in response.text
    assert _outbox(runtime) == []


@pytest.mark.sqlite_only
def test_forged_and_expired_and_wrong_purpose_tokens_get_a_clear_400(
    site: tuple[Runtime, httpx.Client],
) -> None:
    runtime, client = site
    with runtime.store.begin() as conn:
        result = add_subscriber(conn, "karim@example.com", now=_now(), status="pending")
    tokens = Tokens.from_settings(runtime.settings)
    good = tokens.make(CONFIRM, result.subscriber_id, "karim@example.com")

    forged = client.get(f"/confirm/{good[:-2]}xx")
    assert forged.status_code == 400 and "رابط غير صالح" in forged.text
    other_secret = Tokens("another-secret", confirm_seconds=3600, unsubscribe_seconds=3600)
    assert (
        client.get(
            f"/confirm/{other_secret.make(CONFIRM, result.subscriber_id, 'karim@example.com')}"
        ).status_code
        == 400
    )
    wrong_purpose = tokens.make(UNSUBSCRIBE, result.subscriber_id, "karim@example.com")
    assert client.get(f"/confirm/{wrong_purpose}").status_code == 400
    wrong_address = tokens.make(CONFIRM, result.subscriber_id, "someone-else@example.com")
    assert client.get(f"/confirm/{wrong_address}").status_code == 400
    assert _status(runtime, "karim@example.com") == "pending"

    with time_machine.travel(_now() + timedelta(hours=49), tick=True):
        expired = client.post(f"/confirm/{good}")
    assert expired.status_code == 400 and "انتهت صلاحية الرابط" in expired.text
    assert _status(runtime, "karim@example.com") == "pending"
    assert client.post(f"/confirm/{good}").status_code == 200
    assert _status(runtime, "karim@example.com") == "active"


def test_unsubscribe_page_asks_then_unsubscribes(site: tuple[Runtime, httpx.Client]) -> None:
    runtime, client = site
    with runtime.store.begin() as conn:
        result = add_subscriber(conn, "nour@example.com", now=_now())
    token = Tokens.from_settings(runtime.settings).make(UNSUBSCRIBE, result.subscriber_id, "nour@example.com")

    shown = client.get(f"/unsubscribe/{token}")
    assert shown.status_code == 200 and 'dir="rtl"' in shown.text
    assert f'<form method="post" action="/news/unsubscribe/{token}">' in shown.text
    assert _status(runtime, "nour@example.com") == "active"  # GET alone changes nothing (link scanners)

    done = client.post(f"/unsubscribe/{token}")
    assert done.status_code == 200 and "تم إلغاء اشتراكك" in done.text
    assert _status(runtime, "nour@example.com") == "unsubscribed"
    assert client.get("/unsubscribe/not-a-token").status_code == 400
    assert client.post("/unsubscribe/not-a-token", data={"List-Unsubscribe": "One-Click"}).status_code == 400


def _now() -> datetime:
    return datetime.now(UTC)


def test_confirmation_mail_failure_is_a_clear_503(
    make_runtime: Callable[[str], Runtime], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NASHRA_SECRET", "web-test-secret")
    # An SMTP relay that is not there: the connection is refused.
    runtime = make_runtime(
        TOML + f'\n[mail]\ntransport = "smtp"\n[mail.smtp]\nhost = "127.0.0.1"\nport = {free_port()}\n'
        'security = "none"\ntimeout = 2\n'
    )
    with (
        live_app(create_app(runtime.settings, runtime=runtime)) as base,
        httpx.Client(base_url=base, headers={"Origin": "https://oasis.example"}) as client,
    ):
        response = client.post("/subscribe", data={"email": "late@example.com"})
    assert response.status_code == 503 and "تعذّر إرسال رسالة التأكيد" in response.text
