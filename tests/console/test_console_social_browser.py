"""The dashboard and the social log in headless Chromium, in Arabic: a failing source on top of the
dashboard with its "fetch now", and a failed post retried from the channel's log (then posted by
the next run to a receiver on 127.0.0.1); screenshots at 1280 and 390 px, kept in tests/artifacts,
without sideways scrolling."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from consolekit import TOML
from pytest_httpserver import HTTPServer
from test_console_browser import LAYOUT, log_in
from werkzeug import Request, Response

from loopback import free_port, live_app
from nashra.accounts import manage
from nashra.ingest import ingest
from nashra.runtime import Runtime
from nashra.social.post import post_pending
from nashra.store import posts as records
from nashra.store.posts import PostStatus
from nashra.store.users import Role
from nashra.web.app import create_app

pytestmark = [pytest.mark.sqlite_only, pytest.mark.browser]

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
PASSWORD = "كلمة-سر-طويلة-2026"
ITEMS = [
    ("وزارة المياه تعلن خطة لتحلية مياه البحر في مدن الساحل خلال ثلاث سنوات", "water"),
    ("مهرجان الواحة للتمور يستقبل أكثر من مئة ألف زائر في أسبوعه الأول", "dates"),
    ("افتتاح مكتبة عامة جديدة في حي النخيل بتبرعات من سكان الحي", "library"),
]


def _feed() -> str:
    items = "".join(
        f"<item><title>{title}</title><link>https://wire.example/news/{slug}</link><guid>wire-{slug}</guid>"
        f"<pubDate>Tue, 01 Dec 2026 0{n}:00:00 GMT</pubDate><description>تفاصيل الخبر.</description></item>"
        for n, (title, slug) in enumerate(ITEMS, start=6)
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>وكالة الواحة</title>'
        f"<link>https://wire.example/</link><description>-</description>{items}</channel></rss>"
    )


@dataclass
class Newsroom:
    runtime: Runtime
    url: str
    platform: dict[str, bool]


@pytest.fixture
def newsroom(
    make_runtime: Callable[[str], Runtime], httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Newsroom]:
    """A wire feed that worked once and now answers 500, and a webhook channel whose platform
    refused the three posts of its first run."""
    monkeypatch.setenv("NASHRA_SECRET", "console-test-secret")
    feed_up = {"up": True}
    platform = {"accepting": False}

    def serve_feed(_request: Request) -> Response:
        if feed_up["up"]:
            return Response(_feed(), content_type="application/rss+xml")
        return Response("upstream exploded", status=500)

    def receive(_request: Request) -> Response:
        return Response("ok") if platform["accepting"] else Response("channel_not_found", status=404)

    httpserver.expect_request("/feed").respond_with_handler(serve_feed)
    httpserver.expect_request("/hook", method="POST").respond_with_handler(receive)
    port = free_port()
    runtime = make_runtime(
        f'{TOML}\n[web]\nport = {port}\n\n[[sources]]\ntype = "rss"\nname = "wire"\n'
        f'url = "{httpserver.url_for("/feed")}"\n\n[[channels]]\ntype = "webhook"\nname = "desk"\n'
        f'url = "{httpserver.url_for("/hook")}"\nmax_age_hours = 1000000\n'
    )
    ingest(runtime)
    post_pending(runtime)
    feed_up["up"] = False
    ingest(runtime)
    with runtime.store.begin() as conn:
        manage.add_user(
            conn, "editor@oasis.example", Role.EDITOR, PASSWORD, actor="test", now=datetime.now(UTC)
        )
    with live_app(create_app(runtime.settings, runtime=runtime), port=port) as base:
        yield Newsroom(runtime, f"{base}/console", platform)


def _shots(page, name: str) -> None:  # type: ignore[no-untyped-def]
    ARTIFACTS.mkdir(exist_ok=True)
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        layout = page.evaluate(LAYOUT)
        page.screenshot(path=str(ARTIFACTS / f"console-{name}-{width}px.png"), full_page=True)
        assert layout["dir"] == "rtl" and layout["lang"] == "ar"
        assert layout["scrollWidth"] <= layout["clientWidth"], f"horizontal scroll at {width}px: {layout}"


def test_a_failing_source_on_the_dashboard_and_a_failed_post_retried(chromium, newsroom: Newsroom) -> None:  # type: ignore[no-untyped-def]
    page = chromium.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.goto(f"{newsroom.url}/")
    log_in(page, newsroom.url, "editor@oasis.example")
    assert page.url == f"{newsroom.url}/"

    needs_you = page.locator("section.needs-you")
    assert needs_you.locator("h2").inner_text() == "يحتاج إليك"
    source = needs_you.locator("li.failing-source")
    assert "wire" in source.inner_text() and "500" in source.inner_text()
    assert source.locator("form[action$='/sources/wire/fetch'] button").count() == 1
    assert "desk" in needs_you.inner_text()  # three posts failed: a link to act on them
    _shots(page, "dashboard")

    page.set_viewport_size({"width": 1280, "height": 900})
    page.click("section.needs-you a[href$='/social/desk']")
    page.wait_for_load_state()
    assert page.url == f"{newsroom.url}/social/desk"
    with newsroom.runtime.store.connect() as conn:
        failed = records.list_records(conn, channel="desk", status=PostStatus.FAILED)
    assert len(failed) == len(ITEMS)
    _shots(page, "social-log")

    chosen = failed[0]
    card = page.locator(f"#post-{chosen.id}")
    assert "channel_not_found" in card.inner_text()
    page.set_viewport_size({"width": 390, "height": 844})
    card.locator("form.retry input[name=reason]").fill("أصلحنا عنوان القناة")
    with page.expect_navigation():
        card.locator("form.retry button").click()
    assert "done=retry" in page.url
    assert "ستُرسل" in page.inner_text("p.note")
    assert page.locator(f"#post-{chosen.id} .status").inner_text() == "ستُعاد"
    assert "editor@oasis.example" in page.locator(f"#post-{chosen.id}").inner_text()

    newsroom.platform["accepting"] = True
    run = post_pending(newsroom.runtime)
    assert [(r.article_id, r.status) for r in run.results] == [(chosen.article_id, PostStatus.POSTED)]
    page.reload()
    assert page.locator(f"#post-{chosen.id} .status").inner_text() == "نُشر"
