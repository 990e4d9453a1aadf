"""`POST /inbound/mail` on a live server: a raw bounce posted with the token is acted on as one read
from the mailbox is, once; without the token, over the size limit, as a form or with the token's
variable unset it is refused, and nothing changes."""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import httpx
import pytest
from inboundkit import message

from loopback import live_app
from nashra.mail.tokens import load_secret
from nashra.mail.verp import Verp
from nashra.runtime import Runtime
from nashra.store import inbound
from nashra.store import subscribers as db
from nashra.store.subscribers import SubscriberStatus
from nashra.subscribers import add_subscriber
from nashra.web.app import create_app

TOKEN = "an-inbound-token-of-some-length"
TOML = (
    '[mail]\nreturn_path = "bounces@oasis.example"\nverp = true\n\n[feedback.inbound]\nmax_message_kb = 64\n'
)

pytestmark = pytest.mark.sqlite_only


@pytest.fixture
def served(
    make_runtime: Callable[[str], Runtime], monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Runtime, httpx.Client]]:
    monkeypatch.setenv("NASHRA_INBOUND_TOKEN", TOKEN)
    runtime = make_runtime(TOML)
    with (
        live_app(create_app(runtime.settings, runtime=runtime)) as base,
        httpx.Client(base_url=base) as client,
    ):
        yield runtime, client


def _bounce(runtime: Runtime, address: str) -> bytes:
    with runtime.store.begin() as conn:
        subscriber = add_subscriber(conn, address, now=datetime.now(UTC)).subscriber_id
    verp = Verp(load_secret(runtime.settings), runtime.settings.mail.envelope_from).address(3, subscriber)
    headers = f"Return-Path: <{verp}>\r\nTo: {address}\r\nMessage-ID: <3.{subscriber}.00@oasis.example>\r\n"
    return message("postfix_hard", verp=verp, address=address, headers=headers)


def _status(runtime: Runtime, address: str) -> SubscriberStatus:
    with runtime.store.connect() as conn:
        found = db.find_subscriber(conn, address)
    assert found is not None
    return found.status


def test_a_bounce_posted_with_the_token_is_acted_on_once(served: tuple[Runtime, httpx.Client]) -> None:
    runtime, client = served
    raw = _bounce(runtime, "samir@example.com")
    basic = base64.b64encode(f"nashra:{TOKEN}".encode()).decode()

    first = client.post("/inbound/mail", content=raw, headers={"Authorization": f"Bearer {TOKEN}"})
    again = client.post("/inbound/mail", content=raw, headers={"Authorization": f"Basic {basic}"})

    assert (first.status_code, first.text, again.status_code, again.text) == (
        200,
        "suppressed",
        200,
        "duplicate",
    )
    assert first.headers["X-Content-Type-Options"] == "nosniff"
    assert _status(runtime, "samir@example.com") is SubscriberStatus.BOUNCED


def test_garbage_is_kept_and_answered_200_so_no_sender_retries_it(
    served: tuple[Runtime, httpx.Client],
) -> None:
    runtime, client = served

    answer = client.post(
        "/inbound/mail", content=b"\x00\x01 not mail", headers={"Authorization": f"Bearer {TOKEN}"}
    )

    assert (answer.status_code, answer.text) == (200, "kept")
    with runtime.store.connect() as conn:
        [kept] = inbound.newest(conn, limit=5)
        assert (kept.source, kept.why) == ("inbound", "unreadable: no From header: not an email message")
        assert inbound.raw_message(conn, kept.id) == b"\x00\x01 not mail"


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "Bearer wrong-token",
        f"Bearer {TOKEN}x",
        "Basic " + base64.b64encode(b"nashra:wrong").decode(),
        TOKEN,
    ],
)
def test_a_request_without_the_token_is_refused(
    served: tuple[Runtime, httpx.Client], authorization: str | None
) -> None:
    runtime, client = served
    raw = _bounce(runtime, "leila@example.org")

    answer = client.post(
        "/inbound/mail", content=raw, headers={"Authorization": authorization} if authorization else {}
    )

    assert answer.status_code == 401 and "Bearer" in answer.headers["WWW-Authenticate"]
    assert _status(runtime, "leila@example.org") is SubscriberStatus.ACTIVE


def test_a_body_over_the_limit_is_refused_before_it_is_read_whole(
    served: tuple[Runtime, httpx.Client],
) -> None:
    runtime, client = served
    auth = {"Authorization": f"Bearer {TOKEN}"}
    big = _bounce(runtime, "karim@example.com") + b"x" * 70_000

    declared = client.post("/inbound/mail", content=big, headers=auth)
    streamed = client.post("/inbound/mail", content=iter([big[:40_000], big[40_000:]]), headers=auth)

    assert (declared.status_code, streamed.status_code) == (413, 413)
    assert "at most 64 KB" in declared.text
    assert _status(runtime, "karim@example.com") is SubscriberStatus.ACTIVE


def test_a_form_or_an_empty_body_is_refused(served: tuple[Runtime, httpx.Client]) -> None:
    _, client = served
    auth = {"Authorization": f"Bearer {TOKEN}"}

    form = client.post("/inbound/mail", data={"email": "From: a@b\r\n\r\nx"}, headers=auth)
    empty = client.post("/inbound/mail", content=b"", headers=auth)

    assert (form.status_code, empty.status_code) == (415, 400)


def test_unset_token_variable_refuses_everything_and_no_table_means_no_route(
    make_runtime: Callable[[str], Runtime], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NASHRA_INBOUND_TOKEN", raising=False)
    configured = make_runtime(TOML)
    plain = make_runtime("")
    with live_app(create_app(configured.settings, runtime=configured)) as base:
        answer = httpx.post(
            f"{base}/inbound/mail", content=b"From: a@b\r\n\r\nx", headers={"Authorization": "Bearer x"}
        )
    with live_app(create_app(plain.settings, runtime=plain)) as base:
        missing = httpx.post(f"{base}/inbound/mail", content=b"From: a@b\r\n\r\nx")

    assert (answer.status_code, missing.status_code) == (503, 404)
