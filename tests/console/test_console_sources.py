"""The sources page and the dashboard with a source that fails (an RSS feed on 127.0.0.1 answering
500): its error on both, "fetch now" next to it, and fetching it again once the feed is back."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from consolekit import TOML, ConsoleSite, logged_in
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from nashra.ingest import ingest
from nashra.store import audit
from nashra.store.sources import load_state
from nashra.store.users import Role

FEED = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>وكالة</title><link>https://wire.example/</link><description>-</description>
<item><title>خبر عاجل من الواحة</title><link>https://wire.example/news/1</link><guid>wire-1</guid>
<pubDate>Tue, 01 Dec 2026 08:00:00 GMT</pubDate><description>نص الخبر.</description></item>
</channel></rss>"""


class Feed:
    """Fails (500) until it is told to be back."""

    def __init__(self) -> None:
        self.up = False

    def __call__(self, _request: Request) -> Response:
        if self.up:
            return Response(FEED, content_type="application/rss+xml")
        return Response("upstream exploded", status=500)


@pytest.fixture
def feed(httpserver: HTTPServer) -> Feed:
    handler = Feed()
    httpserver.expect_request("/feed").respond_with_handler(handler)
    return handler


@pytest.fixture
def failing(make_console: Callable[[str], ConsoleSite], httpserver: HTTPServer, feed: Feed) -> ConsoleSite:
    site = make_console(
        f'{TOML}\n[[sources]]\ntype = "rss"\nname = "wire"\nurl = "{httpserver.url_for("/feed")}"\n'
    )
    ingest(site.runtime)
    return site


def test_a_failing_source_is_on_top_of_the_dashboard_with_fetch_now(failing: ConsoleSite) -> None:
    client, _ = logged_in(failing, "editor@oasis.example", Role.EDITOR)
    page = client.get("/console/").text
    needs_you = page.split('class="needs-you"')[1].split("</section>")[0]
    assert "wire" in needs_you and "500" in needs_you
    assert 'action="/console/sources/wire/fetch"' in needs_you

    viewer, _ = logged_in(failing, "desk@oasis.example", Role.VIEWER)
    seen = viewer.get("/console/sources").text
    assert "500" in seen and "/sources/wire/fetch" not in seen  # a viewer sees, has nothing to press


def test_fetch_now_runs_the_source_and_says_what_it_brought(failing: ConsoleSite, feed: Feed) -> None:
    client, csrf = logged_in(failing, "editor@oasis.example", Role.EDITOR)
    still = client.post("/console/sources/wire/fetch", data={"csrf": csrf})
    assert still.status_code == 303 and "done=failed" in still.headers["location"]

    feed.up = True
    fetched = client.post("/console/sources/wire/fetch", data={"csrf": csrf}, follow_redirects=True)
    assert "done=fetched" in str(fetched.url) and "new=1" in str(fetched.url)
    assert "upstream exploded" not in fetched.text and "500" not in fetched.text.split('class="cards"')[1]
    with failing.runtime.store.connect() as conn:
        state = load_state(conn, "wire", "rss")
        entries = [e for e in audit.recent_entries(conn) if e.action == "source.fetch"]
    assert state.last_error is None and state.consecutive_failures == 0
    assert [(e.actor, e.target, e.details["outcome"]) for e in entries] == [
        ("editor@oasis.example", "wire", "fetched"),
        ("editor@oasis.example", "wire", "failed"),
    ]
    assert "wire" not in client.get("/console/").text.split('class="needs-you"')[1].split("</section>")[0]
