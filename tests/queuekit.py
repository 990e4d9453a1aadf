"""nashra processes for the distributed-mode tests: a config on the test's PostgreSQL database
with short heartbeats (`stalled_after_seconds = 6`: workers beat every 2 s, a dead one is noticed
in seconds), processes whose output goes to files and which all end with the test, and the
queue's jobs as the database has them."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import text

from nashra.store import Store

QUEUE = '[queue]\nbackend = "procrastinate"\nstalled_after_seconds = 6\n'
SLOW = 90
"""Seconds to wait for what processes do: a loaded CI machine starts one in seconds, not always in ten."""


def queue_config(tmp_path: Path, database_url: str, extra: str = "") -> Path:
    config = tmp_path / "nashra.toml"
    config.write_text(f'[database]\nurl = "{database_url}"\n\n{QUEUE}\n{extra}', "utf-8")
    return config


class Processes:
    """nashra processes of one test, their output in files, all ended when the test ends."""

    def __init__(self, config: Path) -> None:
        self.config = config
        self.started: list[tuple[subprocess.Popen[bytes], Path]] = []

    def start(self, *args: str) -> subprocess.Popen[bytes]:
        log = self.config.with_name(f"{args[0]}-{len(self.started)}.log")
        env = {k: v for k, v in os.environ.items() if k != "NASHRA_DATABASE_URL"}
        with log.open("wb") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "nashra", "--config", str(self.config), *args],
                env=env | {"NASHRA_SECRET": "test-secret"},
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        self.started.append((process, log))
        return process

    def run(self, *args: str) -> None:
        """A command run to its end (setting things up)."""
        subprocess.run(
            [sys.executable, "-m", "nashra", "-q", "--config", str(self.config), *args],
            env={**os.environ, "NASHRA_SECRET": "test-secret"},
            capture_output=True,
            check=True,
        )

    def output(self, process: subprocess.Popen[bytes]) -> str:
        return next(log for p, log in self.started if p is process).read_text("utf-8", errors="replace")

    def status(self) -> dict[str, object]:
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "nashra",
                "-q",
                "--config",
                str(self.config),
                "status",
                "--format",
                "json",
            ],
            capture_output=True,
            check=True,
        )
        document: dict[str, object] = json.loads(done.stdout)
        return document

    def stop_all(self) -> dict[int, int]:
        """SIGTERM to those still running; their exit codes by pid."""
        for process, _ in self.started:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        return {process.pid: process.wait(timeout=60) for process, _ in self.started}


@contextmanager
def processes(config: Path) -> Iterator[Processes]:
    running = Processes(config)
    try:
        yield running
    finally:
        for process, _ in running.started:
            if process.poll() is None:
                process.kill()
                process.wait(10)


def jobs_by_lock(store: Store) -> dict[str, list[str]]:
    """Each queued unit's jobs' states, by the unit's lock ("ingest:demo", "feeds", …)."""
    with store.connect() as conn:
        rows = conn.execute(text("SELECT lock, status::text FROM procrastinate_jobs ORDER BY id"))
        found: dict[str, list[str]] = {}
        for lock, status in rows:
            found.setdefault(lock, []).append(status)
        return found


def succeeded(store: Store, *units: str) -> bool:
    jobs = jobs_by_lock(store)
    return all("succeeded" in jobs.get(unit, []) for unit in units)
