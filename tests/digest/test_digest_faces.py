"""`nashra digest preview` shows what would be sent now (the console's digest page too: tests/console)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import time_machine
from digest_helpers import DEMO_NOW
from typer.testing import CliRunner

from nashra.cli import app
from nashra.errors import ConfigError
from nashra.runtime import Runtime

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
