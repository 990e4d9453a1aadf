"""The app mounts the feed and digest routes of the other features next to the subscriber pages."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from loopback import live_app
from nashra.runtime import Runtime
from nashra.web.app import create_app


@pytest.mark.sqlite_only
def test_app_serves_health_and_includes_other_features_routes(make_runtime: Callable[[str], Runtime]) -> None:
    runtime = make_runtime("")
    app = create_app(runtime.settings, runtime=runtime)
    paths = {getattr(route, "path", "") for route in app.routes}
    assert {"/subscribe", "/confirm/{token}", "/unsubscribe/{token}", "/healthz"} <= paths
    assert any(p.startswith("/feeds/") for p in paths) and any(p.startswith("/digests/") for p in paths)
    with live_app(app) as base:
        assert httpx.get(f"{base}/healthz").text == "ok"
        assert httpx.get(f"{base}/feeds/missing.xml").status_code == 404
