"""The digests' pages in headless Chromium: the next issue previewed on a phone (390 px, right to
left, no sideways scroll), a test copy that arrives at a real SMTP server on 127.0.0.1, a pause
that a running worker (`nashra run`) honours, a time moved in the form that the running
scheduler's next run follows within seconds, and an issue page that counts its deliveries live,
photographed at 1280 and 390 px in Arabic."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from aiosmtpd.controller import Controller
from consolekit import PASSWORD
from sqlalchemy import select, update
from test_console_browser import LAYOUT, log_in

from loopback import free_port, live_app, wait_until
from nashra.accounts import manage
from nashra.digest import find_digest, mark_issue, prepare_digest, record_issue
from nashra.ingest import ingest
from nashra.runtime import Runtime
from nashra.store import workers
from nashra.store.deliveries import create_deliveries, deliveries, digest_issues_progress
from nashra.store.digests import IssueStatus
from nashra.store.subscribers import subscribers
from nashra.store.users import Role
from nashra.subscribers import add_subscriber
from nashra.web.app import create_app

pytestmark = [pytest.mark.sqlite_only, pytest.mark.browser]

SHOTS = Path(os.environ.get("NASHRA_SCREENSHOTS", "")) if os.environ.get("NASHRA_SCREENSHOTS") else None
"""Where to keep a copy of the screenshots (besides the test's tmp dir), to look at them."""


@dataclass
class Inbox:
    """An SMTP server's handler that keeps every message it accepts."""

    messages: list[tuple[list[str], bytes]] = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        self.messages.append((list(envelope.rcpt_tos), envelope.original_content or envelope.content))
        return "250 2.0.0 Ok: queued"


@dataclass
class Site:
    runtime: Runtime
    url: str
    inbox: Inbox


@pytest.fixture
def site(make_runtime: Callable[[str], Runtime], monkeypatch: pytest.MonkeyPatch) -> Iterator[Site]:
    """The console with the demo articles, two subscribers, operators of each role and real mail
    through an SMTP server on 127.0.0.1; the digest runs every minute."""
    monkeypatch.setenv("NASHRA_SECRET", "console-test-secret")
    inbox, smtp_port, port = Inbox(), free_port(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    runtime = make_runtime(
        f'[site]\nname = "نشرة الواحة"\nbase_url = "http://127.0.0.1:{port}"\nlocale = "ar_DZ"\n'
        'timezone = "Africa/Algiers"\n\n'
        f'[web]\nport = {port}\npublic_url = "https://oasis.example"\n\n'
        '[mail]\ntransport = "smtp"\nfrom_address = "نشرة الواحة <news@oasis.example>"\n\n'
        f'[mail.smtp]\nhost = "127.0.0.1"\nport = {smtp_port}\nsecurity = "none"\ntimeout = 10\n\n'
        '[[digests]]\nname = "daily"\nschedule = "* * * * *"\n'
    )
    ingest(runtime)
    now = datetime.now(UTC)
    with runtime.store.begin() as conn:
        for email, role in (("chief", Role.ADMIN), ("editor", Role.EDITOR), ("desk", Role.VIEWER)):
            manage.add_user(conn, f"{email}@oasis.example", role, PASSWORD, actor="test", now=now)
        for reader in ("samir@example.com", "leila@example.org"):
            add_subscriber(conn, reader, now=now)
    try:
        with live_app(create_app(runtime.settings, runtime=runtime), port=port) as base:
            yield Site(runtime, f"{base}/console", inbox)
    finally:
        controller.stop(no_assert=True)


def _shoot(page, path: Path) -> None:  # type: ignore[no-untyped-def]
    page.screenshot(path=str(path), full_page=True)
    if SHOTS is not None:
        SHOTS.mkdir(parents=True, exist_ok=True)
        (SHOTS / path.name).write_bytes(path.read_bytes())


def _fits(page, width: int) -> None:  # type: ignore[no-untyped-def]
    layout = page.evaluate(LAYOUT)
    assert layout["dir"] == "rtl" and layout["lang"] == "ar"
    assert layout["scrollWidth"] <= layout["clientWidth"], f"horizontal scroll at {width}px: {layout}"


def test_preview_on_a_phone_and_a_test_copy_that_arrives(chromium, site: Site, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    page = chromium.new_context(viewport={"width": 390, "height": 844}).new_page()
    page.goto(f"{site.url}/digests/daily")
    log_in(page, site.url, "editor@oasis.example")
    assert page.url == f"{site.url}/digests/daily"
    page.click("a[href='?view=phone#preview']")
    page.wait_for_load_state()
    _fits(page, 390)
    frame = page.frame_locator("iframe[sandbox]")
    assert "نشرة الواحة" in frame.locator("body").inner_text()
    assert frame.locator("html").get_attribute("dir") == "rtl"
    assert page.locator("iframe[sandbox]").bounding_box()["width"] <= 390  # type: ignore[index]
    _shoot(page, tmp_path / "digest-390px.png")

    page.fill("input[name=to]", "desk@oasis.example")
    with page.expect_navigation():
        page.click("form.test button[type=submit]")
    assert "desk@oasis.example" in page.inner_text("[role=status]")
    wait_until(lambda: bool(site.inbox.messages), "the test copy at the SMTP server")
    ((recipients, content),) = site.inbox.messages
    assert recipients == ["desk@oasis.example"] and b"List-Unsubscribe" in content
    with site.runtime.store.connect() as conn:
        assert digest_issues_progress(conn, "daily") == []  # nobody else got anything

    viewer = chromium.new_context(viewport={"width": 390, "height": 844}).new_page()
    viewer.goto(f"{site.url}/digests/daily")
    log_in(viewer, site.url, "desk@oasis.example")
    assert viewer.locator("form.test").count() == 0
    token = viewer.locator("input[name=csrf]").first.get_attribute("value")
    answer = viewer.request.post(
        f"{site.url}/digests/daily/test", form={"csrf": token, "to": "x@example.com"}
    )
    assert answer.status == 403 and len(site.inbox.messages) == 1


def _nashra_run(config: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "nashra", "--config", config, "run"],
        env={**os.environ, "NASHRA_SECRET": "console-test-secret"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _run_of(runtime: Runtime) -> workers.JobRun | None:
    with runtime.store.connect() as conn:
        return workers.job_runs_by_name(conn).get("digest:daily")


def test_a_running_worker_skips_a_paused_digest_and_follows_a_moved_time(
    chromium, site: Site, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    page = chromium.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.goto(f"{site.url}/digests/daily")
    log_in(page, site.url, "chief@oasis.example")
    with page.expect_navigation():
        page.click("form[action$='/pause/digest/daily'] button")
    assert page.url.endswith("/digests/daily?done=paused")

    worker = _nashra_run(str(site.runtime.settings.origin))
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(iter(worker.stdout.readline, "")), daemon=True)  # type: ignore[union-attr]
    reader.start()
    try:
        # The digest's job runs at the next minute and finds it paused: nothing recorded or sent.
        wait_until(
            lambda: (run := _run_of(site.runtime)) is not None and run.finished_at is not None,
            "the worker's digest job",
            100,
        )
        run = _run_of(site.runtime)
        assert run is not None and run.result == "ok" and "on_hold=1" in (run.summary or ""), run
        with site.runtime.store.connect() as conn:
            assert digest_issues_progress(conn, "daily") == []
        assert site.inbox.messages == []

        page.check("input[name=mode][value=days]")
        page.fill("input[name=time]", "09:30")
        with page.expect_navigation():
            page.click("form.schedule button[type=submit]")
        assert page.url.endswith("/digests/daily?done=saved")

        def next_run() -> str:
            run = _run_of(site.runtime)
            moment = run.next_run_at if run else None
            return moment.astimezone(ZoneInfo("Africa/Algiers")).strftime("%H:%M") if moment else ""

        wait_until(lambda: next_run() == "09:30", "the running scheduler's new next run", 30)
        page.reload()
        assert "كل يوم الساعة 09:30" in page.inner_text("main")
        assert "9:30:00" in page.inner_text("[data-next-run]")  # the running worker's, not a guess
        _fits(page, 1280)
        assert "نشرة الواحة" in page.frame_locator("iframe[sandbox]").locator("body").inner_text()
        _shoot(page, tmp_path / "digest-admin-1280px.png")
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=30)
        reader.join(10)
    assert worker.returncode == 0, "".join(lines)


def test_an_issue_page_counts_live_in_arabic(chromium, site: Site, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    runtime = site.runtime
    rendered = prepare_digest(runtime, find_digest(runtime.settings, "daily"))
    assert rendered is not None
    now = datetime.now(UTC)
    with runtime.store.begin() as conn:
        issue_id = record_issue(conn, rendered, now=now)
        create_deliveries(conn, issue_id, ["default"], "daily", now=now)
        mark_issue(conn, issue_id, IssueStatus.SENDING, now=now)

    page = chromium.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.goto(f"{site.url}/digests/daily/issues/{issue_id}")
    log_in(page, site.url, "desk@oasis.example")  # a viewer sees it all
    assert page.inner_text("[data-count=to_go]") == "2" and page.inner_text("[data-count=sent]") == "0"
    assert page.locator(".st-sending").is_visible() and page.locator(".live").is_visible()

    outcomes = {
        "sent": _deliveries_to(runtime, "samir@example.com"),
        "unknown": _deliveries_to(runtime, "leila@example.org"),
    }
    with runtime.store.begin() as conn:  # what a sender records: one accepted, one of unknown fate
        for status, ids in outcomes.items():
            conn.execute(update(deliveries).where(deliveries.c.id.in_(ids)).values(status=status))
        mark_issue(conn, issue_id, IssueStatus.SENT, now=datetime.now(UTC))
    from playwright.sync_api import expect

    expect(page.locator("[data-count=sent]")).to_have_text("1", timeout=10_000)  # no reload: the script
    assert page.inner_text("[data-count=unknown]") == "1" and page.inner_text("[data-count=to_go]") == "0"
    assert page.locator(".st-sent").is_visible() and not page.locator(".live").is_visible()
    assert "مجهولة المصير" in page.inner_text("main")

    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        _fits(page, width)
        _shoot(page, tmp_path / f"digest-issue-{width}px.png")


def _deliveries_to(runtime: Runtime, email: str) -> list[int]:
    with runtime.store.connect() as conn:
        return list(
            conn.execute(
                select(deliveries.c.id)
                .join(subscribers, subscribers.c.id == deliveries.c.subscriber_id)
                .where(subscribers.c.email == email)
            ).scalars()
        )
