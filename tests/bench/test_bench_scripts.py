"""Every script under bench/ still runs, on inputs small enough to take seconds.

Not a timing test: the figures printed here mean nothing. Two of them failed for weeks after the
code under them changed (a removed keyword, a new required argument) and nobody ran them; a
benchmark that no longer runs measures nothing when the next issue needs it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"
POSTGRES = os.environ.get("NASHRA_TEST_POSTGRES_URL", "postgresql://postgres@localhost:5432/test")

SMALL = {
    "claim_cost.py": ["--sizes", "200", "--postgres", POSTGRES],
    "csv_import.py": [
        "--sizes", "300", "--rounds", "1", "--rounds-largest", "1", "--baseline-up-to", "300",
        "--postgres", POSTGRES,
    ],
    "digest_render.py": ["--rounds", "2"],
    "feeds_build.py": ["--articles", "60", "--repeat", "1"],
    "file_channel.py": ["--articles", "40"],
    "ingest_feed.py": ["--items", "20", "--repeat", "1", "--postgres", POSTGRES],
    "scale_out.py": ["--recipients", "300", "--workers", "1", "2", "--rounds", "1"],
    "send_million.py": ["--recipients", "300"],
    "send_throughput.py": ["--recipients", "200", "--rounds", "1"],
}  # fmt: skip


def test_every_script_is_listed() -> None:
    assert sorted(p.name for p in BENCH.glob("*.py") if not p.name.startswith("_")) == sorted(SMALL)


@pytest.mark.parametrize("script", sorted(SMALL))
def test_the_script_runs(script: str, tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(BENCH / script), *SMALL[script]],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, f"{script} failed:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}"
    assert done.stdout.strip(), f"{script} printed no figures"
