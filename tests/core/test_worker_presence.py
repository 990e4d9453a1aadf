"""The worker as `nashra status` sees it from another process: a heartbeat, each job's last run
and its next run as the worker's own scheduler has it; SIGHUP (`nashra reload`) applies a valid
config and keeps the running one when the new one is invalid; pauses stored in the database."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from loopback import wait_until
from nashra.config import Settings
from nashra.runtime import Runtime
from nashra.store import workers
from nashra.store.database import Store

SITE = '[site]\ntimezone = "Africa/Algiers"\n\n'


def _nashra(config: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "nashra", "--config", str(config), *args]


def _env() -> dict[str, str]:
    return {**os.environ, "NASHRA_SECRET": "test-secret", "COLUMNS": "200"}


def _runs(runtime: Runtime) -> dict[str, workers.JobRun]:
    with runtime.store.connect() as conn:
        return workers.job_runs_by_name(conn)


def _worker(runtime: Runtime) -> workers.WorkerState | None:
    with runtime.store.connect() as conn:
        return workers.newest_worker(conn)


def _eventually(condition: Callable[[], bool], what: str) -> None:
    """Generous: a loaded CI machine starts a worker and ingests the demo in seconds, not always in ten."""
    wait_until(condition, what, 90)


def _local_time(moment: datetime | None) -> str:
    assert moment is not None
    return moment.astimezone(ZoneInfo("Africa/Algiers")).strftime("%H:%M")


def test_heartbeat_job_runs_and_reload(make_settings: Callable[[str], Settings]) -> None:
    settings = make_settings(SITE + '[[digests]]\nname = "daily"\nschedule = "0 7 * * *"\n')
    config = Path(settings.origin or "")
    runtime = Runtime.open(settings)
    worker = subprocess.Popen(
        _nashra(config, "run"), env=_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(iter(worker.stdout.readline, "")), daemon=True)  # type: ignore[union-attr]
    reader.start()
    try:
        _eventually(
            lambda: (_runs(runtime).get("ingest") or workers.JobRun(*[None] * 7)).result == "ok",
            "ingest ran",
        )
        state = _worker(runtime)
        assert state is not None and state.id.endswith(f":{worker.pid}") and state.stopped_at is None
        assert _local_time(_runs(runtime)["digest:daily"].next_run_at) == "07:00"

        config.write_text(config.read_text("utf-8").replace("0 7 * * *", "30 9 * * *"), "utf-8")
        told = subprocess.run(
            _nashra(config, "reload"), env=_env(), capture_output=True, text=True, check=False
        )
        assert told.returncode == 0, told.stdout + told.stderr
        _eventually(lambda: _local_time(_runs(runtime)["digest:daily"].next_run_at) == "09:30", "the reload")

        config.write_text(config.read_text("utf-8").replace("30 9 * * *", "every morning"), "utf-8")
        os.kill(worker.pid, signal.SIGHUP)
        _eventually(lambda: any("worker.reload_failed" in line for line in lines), "the refused reload")
        assert worker.poll() is None, "an invalid config must not stop the worker"
        assert _local_time(_runs(runtime)["digest:daily"].next_run_at) == "09:30"
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=30)
        reader.join(10)
    output = "".join(lines)
    assert worker.returncode == 0, output
    assert "worker.reload_failed" in output and f"{config}:" in output and "schedule" in output, output
    state = _worker(runtime)
    runtime.close()
    assert state is not None and state.stopped_at is not None


def test_a_job_row_written_from_two_threads_at_once_keeps_both(store: Store) -> None:
    """The scheduler's heartbeat and a job starting both write the job's row; the first write of a
    new row must not make the other fail (it did: UPDATE found nothing in both, both INSERTed, one
    hit the primary key and its whole heartbeat, every job's next run, was lost)."""
    now = datetime.now(UTC)
    later = now + timedelta(hours=1)
    failures: list[BaseException] = []

    def heartbeat() -> None:
        try:
            with store.begin() as conn:
                workers.scheduled(conn, "host:2", {"ingest": later, "digest:daily": later})
        except BaseException as exc:  # the assertion below says which
            failures.append(exc)

    with store.begin() as conn:
        workers.job_started(conn, "ingest", "host:2", now=now)
        second = threading.Thread(target=heartbeat)
        second.start()
        second.join(0.5)  # PostgreSQL: blocked on our uncommitted row; SQLite: on our write lock
    second.join(30)
    assert not second.is_alive() and failures == []
    with store.connect() as conn:
        runs = workers.job_runs_by_name(conn)
    assert runs["ingest"].result == "running" and runs["ingest"].started_at == now
    assert runs["ingest"].next_run_at == later and runs["digest:daily"].next_run_at == later
