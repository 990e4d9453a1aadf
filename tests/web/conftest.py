"""The subscriber site on a real loopback server, shared by the web tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest

from loopback import live_app
from nashra.runtime import Runtime
from nashra.web.app import create_app

SITE_TOML = '[site]\nname = "نشرة الواحة"\n\n[web]\npublic_url = "https://oasis.example/news"\n'


@pytest.fixture
def site(
    make_runtime: Callable[[str], Runtime], monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Runtime, httpx.Client]]:
    monkeypatch.setenv("NASHRA_SECRET", "web-test-secret")
    runtime = make_runtime(SITE_TOML)
    with (
        live_app(create_app(runtime.settings, runtime=runtime)) as base,
        httpx.Client(base_url=base) as client,
    ):
        yield runtime, client
