"""The subscriber site on a real loopback server, shared by the web tests.

The client sends the `Origin` a browser on the site's own pages would (POST /subscribe refuses any
other), and the SMTP sink is the mail tests' real aiosmtpd server on loopback.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack

import httpx
import pytest

from loopback import live_app
from mail.mailkit import smtp_server  # noqa: F401  (fixture)
from nashra.runtime import Runtime
from nashra.web.app import create_app

SITE_TOML = '[site]\nname = "نشرة الواحة"\n\n[web]\npublic_url = "https://oasis.example/news"\n'
ORIGIN = "https://oasis.example"  # the origin of SITE_TOML's public_url

Site = tuple[Runtime, httpx.Client]


@pytest.fixture
def make_site(
    make_runtime: Callable[[str], Runtime], monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[[str], Site]]:
    """A live app for TOML text, and a client that posts as the site's own pages do."""
    monkeypatch.setenv("NASHRA_SECRET", "web-test-secret")
    with ExitStack() as stack:

        def make(toml: str = SITE_TOML) -> Site:
            runtime = make_runtime(toml)
            base = stack.enter_context(live_app(create_app(runtime.settings, runtime=runtime)))
            client = stack.enter_context(httpx.Client(base_url=base, headers={"Origin": ORIGIN}))
            return runtime, client

        yield make


@pytest.fixture
def site(make_site: Callable[[str], Site]) -> Site:
    return make_site(SITE_TOML)
