"""The Subscribers pages in headless Chromium: an admin searches, opens a subscriber, unsubscribes
them with a reason, uploads a CSV and reads its line-by-line report; the subscriber's page right to
left at desktop and phone widths without sideways scrolling."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from consolekit import PASSWORD, TOML
from test_console_browser import LAYOUT, log_in

from loopback import free_port, live_app
from nashra.accounts import manage
from nashra.runtime import Runtime
from nashra.store.subscribers import SubscriberStatus, find_subscriber
from nashra.store.users import Role
from nashra.subscribers.manage import add_subscriber
from nashra.web.app import create_app

pytestmark = [pytest.mark.sqlite_only, pytest.mark.browser]
SHOTS = Path("/tmp/nashra-console-shots")


@pytest.fixture
def site(make_runtime, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, Runtime]]:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("NASHRA_SECRET", "console-test-secret")
    port = free_port()
    runtime = make_runtime(f"{TOML}\n[web]\nport = {port}\n")
    now = datetime.now(UTC)
    with runtime.store.begin() as conn:
        manage.add_user(conn, "chief@oasis.example", Role.ADMIN, PASSWORD, actor="test", now=now)
        for n in range(12):
            add_subscriber(conn, f"reader{n:02d}@example.org", now=now, name=f"قارئ {n}", list_name="default")
        add_subscriber(
            conn,
            "salma.very.long.address-for-narrow-screens@newsroom.example.org",
            now=now,
            name="سلمى بنت عبد الرحمن",
            list_name="الصباح",
        )
    with live_app(create_app(runtime.settings, runtime=runtime), port=port) as base:
        yield f"{base}/console", runtime


def test_an_admin_manages_subscribers(chromium, site, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    console_url, runtime = site
    page = chromium.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.goto(f"{console_url}/subscribers")
    log_in(page, console_url, "chief@oasis.example")
    assert page.url == f"{console_url}/subscribers" and page.locator("h1").inner_text() == "المشتركون"

    page.fill("input[name=q]", "SALMA")
    with page.expect_navigation():
        page.click("form[role=search] button")
    page.click("text=salma.very.long")
    page.wait_for_load_state()
    assert "سلمى بنت عبد الرحمن" in page.inner_text("main")

    SHOTS.mkdir(exist_ok=True)
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        layout = page.evaluate(LAYOUT)
        page.screenshot(path=str(SHOTS / f"subscriber-{width}px.png"), full_page=True)
        assert layout["dir"] == "rtl" and layout["lang"] == "ar"
        assert layout["scrollWidth"] <= layout["clientWidth"], f"horizontal scroll at {width}px: {layout}"

    page.fill("form[action$='/unsubscribe'] input[name=reason]", "طلبت ذلك بالهاتف")
    with page.expect_navigation():
        page.click("form[action$='/unsubscribe'] button")
    assert "أُلغي الاشتراك" in page.inner_text("main") and "طلبت ذلك بالهاتف" in page.inner_text("main")
    assert page.locator("form[action$='/reactivate']").count() == 1
    page.screenshot(path=str(SHOTS / "subscriber-unsubscribed-390px.png"), full_page=True)

    csv_file = tmp_path / "قراء.csv"
    csv_file.write_text("email,name\nnew@example.org,جديد\nnot an address,x\nreader01@example.org,\n")
    page.set_viewport_size({"width": 390, "height": 900})
    page.goto(f"{console_url}/subscribers")
    page.set_input_files("input[type=file]", str(csv_file))
    with page.expect_navigation() as sent:
        page.click("form[action$='/import'] button")
    assert sent.value.status == 200 and page.locator("h1").inner_text() == "تقرير الاستيراد"
    assert page.locator("tr[data-line='3']").count() == 1
    assert page.inner_text("[data-count=added]") == "1" and page.inner_text("[data-count=unchanged]") == "1"
    layout = page.evaluate(LAYOUT)
    page.screenshot(path=str(SHOTS / "import-report-390px.png"), full_page=True)
    assert layout["scrollWidth"] <= layout["clientWidth"]
    page.goto(f"{console_url}/subscribers")
    layout = page.evaluate(LAYOUT)
    page.screenshot(path=str(SHOTS / "subscribers-390px.png"), full_page=True)
    assert layout["scrollWidth"] <= layout["clientWidth"], layout
    with runtime.store.connect() as conn:
        added = find_subscriber(conn, "new@example.org")
    assert added is not None and added.status is SubscriberStatus.ACTIVE
