"""Digest fixtures: the demo content, ingested through the folder source into the test store."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
import time_machine
from digest_helpers import DEMO_NOW, DIGEST_TOML

from nashra.ingest import ingest
from nashra.runtime import Runtime


@pytest.fixture
def demo_runtime(make_runtime: Callable[[str], Runtime]) -> Iterator[Callable[[str], Runtime]]:
    """A runtime whose store holds the bundled demo articles, ingested through the folder source."""

    def make(extra_toml: str = "") -> Runtime:
        runtime = make_runtime(DIGEST_TOML + extra_toml)
        with time_machine.travel(DEMO_NOW - timedelta(hours=1), tick=False):
            report = ingest(runtime)
        assert report.counts.get("new", 0) + report.counts.get("unchanged", 0) == 10, report
        return runtime

    return make
