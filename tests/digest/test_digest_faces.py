"""`nashra digest preview` and GET /digests/{name}/preview show what would be sent now."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
import time_machine
from digest_helpers import DEMO_NOW
from starlette.applications import Starlette
from typer.testing import CliRunner

from nashra.cli import app
from nashra.digest import find_digest, prepare_digest, record_issue
from nashra.errors import ConfigError
from nashra.runtime import Runtime
from nashra.web.digests import digest_routes

LEAD_TITLE = "الميناء الجاف في سطيف يدخل الخدمة"


@pytest.mark.sqlite_only
def test_cli_preview_writes_html_and_text(demo_runtime: Callable[[str], Runtime], tmp_path: Path) -> None:
    runtime = demo_runtime("")
    config = str(runtime.settings.origin)
    runner = CliRunner()
    out = tmp_path / "preview" / "daily.html"
    with time_machine.travel(DEMO_NOW, tick=False):
        written = runner.invoke(
            app, ["--config", config, "digest", "preview", "daily", "--out", str(out), "--text"]
        )
        printed = runner.invoke(app, ["--config", config, "digest", "preview", "--text"])
        unknown = runner.invoke(app, ["--config", config, "digest", "preview", "weekly"])
    assert written.exit_code == 0, written.output
    html, text = out.read_text(encoding="utf-8"), out.with_suffix(".txt").read_text(encoding="utf-8")
    assert html.startswith("<!doctype html>") and LEAD_TITLE in html and LEAD_TITLE in text
    # Previews link to the generic subscription page instead of a placeholder.
    assert "%%" not in html and "https://nashra.example/subscribe" in text
    assert printed.exit_code == 0 and printed.stdout.startswith("نشرة الواحة\n")
    assert unknown.exit_code != 0 and isinstance(unknown.exception, ConfigError)
    assert "no digest named 'weekly'; known: daily" in str(unknown.exception)


@pytest.mark.sqlite_only
def test_web_preview_route(demo_runtime: Callable[[str], Runtime]) -> None:
    runtime = demo_runtime("")
    web = Starlette(routes=digest_routes(runtime.settings))
    web.state.runtime = runtime

    async def fetch(*paths: str) -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=web)
        async with httpx.AsyncClient(transport=transport, base_url="http://nashra.test") as client:
            return [await client.get(path) for path in paths]

    with time_machine.travel(DEMO_NOW, tick=False):
        page, text, missing = asyncio.run(
            fetch("/digests/daily/preview", "/digests/daily/preview?format=text", "/digests/weekly/preview")
        )
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert LEAD_TITLE in page.text and "%%" not in page.text and 'dir="rtl"' in page.text
    # Email HTML is all inline styles and remote images: its own policy allows them, and no script.
    policy = page.headers["content-security-policy"]
    assert "style-src 'unsafe-inline'" in policy and "img-src https: http: data:" in policy
    assert "default-src 'none'" in policy and "script-src" not in policy
    assert text.status_code == 200 and text.text.startswith("نشرة الواحة\n")
    assert missing.status_code == 404

    rendered = prepare_digest(runtime, find_digest(runtime.settings, "daily"), now=DEMO_NOW)
    assert rendered is not None
    with runtime.store.begin() as conn:
        record_issue(conn, rendered, now=DEMO_NOW)
    with time_machine.travel(DEMO_NOW, tick=False):
        (empty,) = asyncio.run(fetch("/digests/daily/preview"))
    assert empty.status_code == 200 and "لا جديد" in empty.text and LEAD_TITLE not in empty.text
