"""`nashra serve` hands the app for the configured settings to uvicorn on web.host/web.port."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pytest
from starlette.applications import Starlette
from typer.testing import CliRunner

from nashra.cli import app
from nashra.config import Settings


@pytest.mark.sqlite_only
def test_serve_runs_uvicorn_with_the_configured_app(
    make_settings: Callable[[str], Settings], monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = make_settings(
        '[web]\nhost = "127.0.0.1"\nport = 8181\npublic_url = "https://oasis.example/news"\n'
    )
    calls: list[tuple[Any, dict[str, Any]]] = []
    monkeypatch.setattr("uvicorn.run", lambda app_, **kwargs: calls.append((app_, kwargs)))
    monkeypatch.setenv("NASHRA_SECRET", "serve-test")

    result = CliRunner().invoke(app, ["--config", str(settings.origin), "serve", "--port", "8282"])
    logging.getLogger("nashra").handlers.clear()

    assert result.exit_code == 0, result.output
    assert "https://oasis.example/news" in result.output
    [(served, options)] = calls
    assert isinstance(served, Starlette)
    assert (options["host"], options["port"]) == ("127.0.0.1", 8282)
    served.state.runtime.close()
