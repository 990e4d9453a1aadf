"""Fixtures of the console tests: a live console per TOML text (see consolekit)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack

import pytest
from consolekit import TOML, ConsoleSite

from loopback import live_app
from nashra.runtime import Runtime
from nashra.web.app import create_app


@pytest.fixture
def make_console(
    make_runtime: Callable[[str], Runtime], monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[[str], ConsoleSite]]:
    monkeypatch.setenv("NASHRA_SECRET", "console-test-secret")
    with ExitStack() as stack:

        def make(toml: str = TOML) -> ConsoleSite:
            runtime = make_runtime(toml)
            base = stack.enter_context(live_app(create_app(runtime.settings, runtime=runtime)))
            return ConsoleSite(runtime, base, stack)

        yield make


@pytest.fixture
def console(make_console: Callable[[str], ConsoleSite]) -> ConsoleSite:
    return make_console(TOML)
