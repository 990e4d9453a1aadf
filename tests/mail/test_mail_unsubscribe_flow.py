"""One-click unsubscribe (RFC 8058) over HTTP with the link from a received message; the next
issue skips that address. A forged token changes nothing."""

from __future__ import annotations

import email
from collections.abc import Callable
from email import policy

import httpx
from mailkit import DIGESTS_TOML, SmtpServer, populate, record_test_issue

from loopback import live_app
from nashra.digest import find_digest
from nashra.mail.send import send_digest
from nashra.runtime import Runtime
from nashra.store import subscribers as db
from nashra.web.app import create_app


def test_one_click_unsubscribe_flips_status_and_next_issue_skips_address(
    make_runtime: Callable[[str], Runtime],
    smtp_server: SmtpServer,
) -> None:
    runtime = make_runtime(smtp_server.toml() + DIGESTS_TOML)
    populate(runtime, ["stays@example.com", "leaves@example.com"])
    record_test_issue(runtime)
    send_digest(runtime, find_digest(runtime.settings, "daily"))
    received = {
        m.recipients[0]: email.message_from_bytes(m.content, policy=policy.default)
        for m in smtp_server.handler.messages
    }
    https = received["leaves@example.com"]["List-Unsubscribe"].split(",")[0].strip(" <>")
    path = https.removeprefix(runtime.settings.web.base_url)
    assert path.startswith("/unsubscribe/")

    with (
        live_app(create_app(runtime.settings, runtime=runtime)) as base,
        httpx.Client(base_url=base) as client,
    ):
        _unsubscribe_over_http(runtime, client, path)

    record_test_issue(runtime, subject="العدد الثاني من نشرة الواحة")
    summary = send_digest(runtime, find_digest(runtime.settings, "daily"))
    assert (summary.total, summary.sent) == (1, 1)
    assert smtp_server.handler.copies() == {"stays@example.com": 2, "leaves@example.com": 1}


def _unsubscribe_over_http(runtime: Runtime, client: httpx.Client, path: str) -> None:
    forged = path[:-3] + ("AAA" if not path.endswith("AAA") else "BBB")
    refused = client.post(forged, data={"List-Unsubscribe": "One-Click"})
    assert refused.status_code == 400
    with runtime.store.connect() as conn:
        assert db.find_subscriber(conn, "leaves@example.com").status == "active"  # type: ignore[union-attr]

    response = client.post(path, data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    with runtime.store.connect() as conn:
        assert db.find_subscriber(conn, "leaves@example.com").status == "unsubscribed"  # type: ignore[union-attr]
        assert db.find_subscriber(conn, "stays@example.com").status == "active"  # type: ignore[union-attr]
    assert client.post(path, data={"List-Unsubscribe": "One-Click"}).status_code == 200  # idempotent
