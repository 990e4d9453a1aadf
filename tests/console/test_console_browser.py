"""The console in headless Chromium, as an operator's browser: logging in (a wrong password, over
and over, is throttled), the dashboard right to left at desktop and phone widths without sideways
scrolling, English on request (left to right), and what a viewer may not do."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from consolekit import PASSWORD, TOML

from loopback import free_port, live_app
from nashra.accounts import manage
from nashra.ingest import ingest
from nashra.runtime import Runtime
from nashra.store.users import Role
from nashra.web.app import create_app
from nashra.web.console.throttle import PER_ACCOUNT

ACCOUNT_LIMIT = int(PER_ACCOUNT.split("/")[0])

LAYOUT = """() => {
  const root = document.documentElement;
  return {dir: getComputedStyle(root).direction, lang: root.lang,
          scrollWidth: Math.max(root.scrollWidth, document.body.scrollWidth), clientWidth: root.clientWidth};
}"""
# A form a viewer's browser could post by hand: the page's own CSRF token, to an editor's action.
FORGE = """([action, withToken]) => {
  const form = document.createElement('form');
  form.method = 'post';
  form.action = action;
  if (withToken) form.appendChild(document.querySelector('input[name=csrf]').cloneNode());
  document.body.appendChild(form);
  form.submit();
}"""

pytestmark = [pytest.mark.sqlite_only, pytest.mark.browser]


@pytest.fixture
def console_url(make_runtime: Callable[[str], Runtime], monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The console with the demo articles, an admin, an editor and a viewer, at a port its config
    names (so the origin a browser sends is the app's own)."""
    monkeypatch.setenv("NASHRA_SECRET", "console-test-secret")
    port = free_port()
    runtime = make_runtime(f"{TOML}\n[web]\nport = {port}\n")
    ingest(runtime)
    with runtime.store.begin() as conn:
        for email, role in (("chief", Role.ADMIN), ("editor", Role.EDITOR), ("desk", Role.VIEWER)):
            manage.add_user(
                conn, f"{email}@oasis.example", role, PASSWORD, actor="test", now=datetime.now(UTC)
            )
    with live_app(create_app(runtime.settings, runtime=runtime), port=port) as base:
        yield f"{base}/console"


def log_in(page, url: str, email: str, password: str = PASSWORD):  # type: ignore[no-untyped-def]
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    with page.expect_navigation() as navigation:
        page.click("button[type=submit]")
    return navigation.value


def test_console_in_a_browser(chromium, console_url: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    first = page.goto(f"{console_url}/")
    assert first is not None and first.url.startswith(f"{console_url}/login?next=")
    assert page.evaluate(LAYOUT)["dir"] == "rtl"

    for _ in range(ACCOUNT_LIMIT):
        wrong = log_in(page, console_url, "chief@oasis.example", "not-the-password")
        assert wrong.status == 400 and "غير صحيحة" in page.inner_text(".err")
    throttled = log_in(page, console_url, "chief@oasis.example")  # the right password, too late
    assert throttled.status == 429 and "محاولات دخول كثيرة" in page.inner_text(".err")

    landed = log_in(page, console_url, "editor@oasis.example")
    assert landed.status == 200 and page.url == f"{console_url}/"
    assert page.locator("h1").inner_text() == "الرئيسية"
    assert page.locator("form[action$='/pause/digest/daily'] button").count() == 1  # an editor may pause

    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        layout = page.evaluate(LAYOUT)
        page.screenshot(path=str(tmp_path / f"dashboard-{width}px.png"), full_page=True)
        assert layout["dir"] == "rtl" and layout["lang"] == "ar"
        assert layout["scrollWidth"] <= layout["clientWidth"], f"horizontal scroll at {width}px: {layout}"

    page.click("a[hreflang=en]")
    page.wait_for_load_state()
    english = page.evaluate(LAYOUT)
    assert (
        english["dir"] == "ltr" and english["lang"] == "en" and page.locator("h1").inner_text() == "Dashboard"
    )
    assert english["scrollWidth"] <= english["clientWidth"]
    page.goto(f"{console_url}/password")
    assert page.evaluate(LAYOUT)["dir"] == "ltr"  # the choice is kept
    context.close()


def test_a_viewer_is_refused_and_so_is_a_browser_without_a_session(chromium, console_url: str) -> None:  # type: ignore[no-untyped-def]
    anonymous = chromium.new_context().new_page()
    anonymous.goto(f"{console_url}/users")
    assert anonymous.url.startswith(f"{console_url}/login?next=")
    anonymous.evaluate(FORGE, [f"{console_url}/pause/digest/daily", False])
    anonymous.wait_for_load_state()
    assert "انتهت جلستك" in anonymous.inner_text("main")  # 401: log in first

    page = chromium.new_context(viewport={"width": 390, "height": 844}).new_page()
    page.goto(f"{console_url}/")
    log_in(page, console_url, "desk@oasis.example")
    assert page.url == f"{console_url}/"
    assert page.locator("form[action*='/pause/']").count() == 0  # nothing to press
    assert page.locator("nav a[href$='/users']").count() == 0

    with page.expect_navigation() as refused:
        page.evaluate(FORGE, [f"{console_url}/pause/digest/daily", True])
    assert refused.value.status == 403 and "دورك لا يسمح بهذا" in page.inner_text("main")
    page.goto(f"{console_url}/")
    with page.expect_navigation() as stale:
        page.evaluate(FORGE, [f"{console_url}/pause/digest/daily", False])
    assert stale.value.status == 403 and "انتهت صلاحية هذا النموذج" in page.inner_text("main")
    assert page.goto(f"{console_url}/users").status == 403
