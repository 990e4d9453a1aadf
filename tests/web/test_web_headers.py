"""Every response carries the security headers, the pages need nothing inline, forms and links
honour the path prefix of `web.public_url`, and compose publishes the port on loopback only
(issue #11, item 13)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import httpx
import pytest
import yaml

from nashra.mail.tokens import CONFIRM, UNSUBSCRIBE, Tokens
from nashra.runtime import Runtime
from nashra.subscribers import add_subscriber

Site = tuple[Runtime, httpx.Client]
PUBLIC_URL = "https://oasis.example/news"  # the `site` fixture's public_url, with its path prefix
COMPOSE = Path(__file__).parents[2] / "docker" / "compose.yaml"


def _tokens(runtime: Runtime) -> tuple[str, str]:
    with runtime.store.begin() as conn:
        added = add_subscriber(conn, "nour@example.com", now=datetime.now(UTC))
    tokens = Tokens.from_settings(runtime.settings)
    return (
        tokens.make(CONFIRM, added.subscriber_id, "nour@example.com"),
        tokens.make(UNSUBSCRIBE, added.subscriber_id, "nour@example.com"),
    )


@pytest.mark.sqlite_only
def test_every_response_carries_the_security_headers(site: Site) -> None:
    runtime, client = site
    confirm, unsubscribe = _tokens(runtime)
    answers = [
        client.get("/subscribe"),
        client.post("/subscribe", data={"email": "not an address"}),
        client.post(
            "/subscribe", data={"email": "x@example.com"}, headers={"Origin": "https://evil.example"}
        ),
        client.get(f"/confirm/{confirm}"),
        client.get("/confirm/forged"),
        client.get(f"/unsubscribe/{unsubscribe}"),
        client.post(f"/unsubscribe/{unsubscribe}", data={"List-Unsubscribe": "One-Click"}),
        client.get("/healthz"),
        client.get("/style.css"),
        client.get("/feeds/missing.xml"),
        client.get("/no/such/page"),
    ]
    assert [a.status_code for a in answers] == [200, 400, 403, 200, 400, 200, 200, 200, 200, 404, 404]
    for answer in answers:
        assert answer.headers["x-frame-options"] == "DENY", answer.url
        assert answer.headers["x-content-type-options"] == "nosniff", answer.url
        assert answer.headers["referrer-policy"] == "same-origin", answer.url
        policy = answer.headers["content-security-policy"]
        assert "default-src 'none'" in policy and "frame-ancestors 'none'" in policy, answer.url
        assert "unsafe-inline" not in policy and "script-src" not in policy, answer.url

    # The pages need exactly what the policy allows: their one stylesheet, nothing inline.
    policy = answers[0].headers["content-security-policy"]
    assert "style-src 'self'" in policy and "form-action 'self'" in policy
    for page in (a for a in answers if a.headers["content-type"].startswith("text/html")):
        assert not re.search(r"<style|<script|\sstyle=|\son[a-z]+=", page.text), page.url
    assert answers[8].headers["content-type"].startswith("text/css") and ".hp{" in answers[8].text


def _action(page: str) -> str:
    found = re.search(r'<form method="post" action="([^"]+)"', page)
    assert found is not None
    return found.group(1)


@pytest.mark.sqlite_only
def test_forms_and_links_honour_the_public_url_path_prefix(site: Site) -> None:
    """Behind a proxy that serves the app under /news/ (stripping the prefix), a browser resolves
    each form's action against the page's public address; the app must receive it again."""
    runtime, client = site
    confirm, unsubscribe = _tokens(runtime)

    def through_proxy(page_path: str, target: str) -> str:
        public = urljoin(f"{PUBLIC_URL}{page_path}", target)
        assert public.startswith(f"{PUBLIC_URL}/"), public  # the browser stays under the prefix
        return urlsplit(public).path.removeprefix(urlsplit(PUBLIC_URL).path)

    form = client.get("/subscribe").text
    assert _action(form) == "/news/subscribe"
    assert '<link rel="stylesheet" href="/news/style.css">' in form
    assert client.get(through_proxy("/subscribe", "/news/style.css")).status_code == 200
    posted = client.post(through_proxy("/subscribe", _action(form)), data={"email": "amina@example.com"})
    assert posted.status_code == 200 and "تحقق من بريدك" in posted.text

    confirm_page = client.get(f"/confirm/{confirm}").text
    assert _action(confirm_page) == f"/news/confirm/{confirm}"
    assert client.post(through_proxy(f"/confirm/{confirm}", _action(confirm_page))).status_code == 200

    unsubscribe_page = client.get(f"/unsubscribe/{unsubscribe}").text
    assert _action(unsubscribe_page) == f"/news/unsubscribe/{unsubscribe}"
    done = client.post(through_proxy(f"/unsubscribe/{unsubscribe}", _action(unsubscribe_page)))
    assert done.status_code == 200 and "تم إلغاء اشتراكك" in done.text


@pytest.mark.sqlite_only
def test_without_a_prefix_the_forms_post_to_the_root(make_site: Callable[[str], Site]) -> None:
    _, client = make_site('[web]\npublic_url = "https://oasis.example"\n')
    form = client.get("/subscribe").text
    assert _action(form) == "/subscribe" and 'href="/style.css"' in form


def test_compose_publishes_the_web_port_on_loopback_only() -> None:
    services = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))["services"]
    published = [port for service in services.values() for port in service.get("ports", [])]
    assert published and all(str(port).startswith("127.0.0.1:") for port in published)
