"""The probes of real worker processes, as Docker's healthchecks and Prometheus reach them:
`nashra run --metrics-port` (inline) and `nashra worker --metrics-port` (distributed mode)
answer over HTTP while they run, report the jobs they ran, and close with the process on SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from loopback import free_port, wait_until
from nashra.store import Store
from queuekit import SLOW, processes, queue_config, succeeded


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.TransportError:
        return False


def _job_counts(base: str) -> dict[str, float]:
    """Runs per job of this process, from its /metrics."""
    text = httpx.get(f"{base}/metrics", timeout=5).text
    return {
        sample.labels["job"]: sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "nashra_job_duration_seconds_count"
    }


def test_the_inline_worker_serves_its_probes_until_it_stops(tmp_path: Path) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("NASHRA_")}
    process = subprocess.Popen(
        [sys.executable, "-m", "nashra", "run", "--metrics-port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_until(
            lambda: "ingest" in _job_counts(base) if _answers(f"{base}/healthz") else False, "ingest", SLOW
        )
        assert httpx.get(f"{base}/readyz").json()["status"] == "ready"
        process.send_signal(signal.SIGTERM)
        _out, err = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, err
    assert f"event=metrics.listening address=127.0.0.1:{port}" in err
    assert not _answers(f"{base}/healthz")


@pytest.mark.postgres_only
def test_a_queue_worker_serves_its_probes(store: Store, database_url: str, tmp_path: Path) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with processes(queue_config(tmp_path, database_url)) as running:
        running.start("run")
        worker = running.start("worker", "--metrics-port", str(port))
        wait_until(lambda: succeeded(store, "ingest:demo", "feeds", "social:outbox"), "the cycle", SLOW)
        counts = _job_counts(base)
        assert httpx.get(f"{base}/readyz").json()["status"] == "ready"
        codes = running.stop_all()
    assert {"ingest:demo", "feeds", "social:outbox"} <= set(counts), counts
    assert codes[worker.pid] == 0, running.output(worker)
    assert not _answers(f"{base}/healthz")
