"""Recipients per second of one digest sent by 1, 2 and 4 `nashra worker` processes (the
distributed mode, batches of 1,000 recipients), next to the inline mode and to Postfix's
smtp-source, all to the same smtp-sink in the same run, interleaved round by round.

    .venv/bin/python bench/scale_out.py [--recipients 20000] [--workers 1 2 4] [--rounds 3]
        [--connections 4] [--postgres postgresql+psycopg://postgres@localhost:5432/test]

Every Nashra send starts from a fresh PostgreSQL database (created on the server, dropped after)
holding the demo articles and N subscribers, with the real SMTP transport to smtp-sink:
- "workers W": W worker processes (`nashra worker --concurrency 1 --queues digests`) are started
  and registered before the clock starts; then the digest's job is queued, as its cron trigger
  would, and the clock runs until the issue is "sent". That includes the digest's job (render,
  rows queued, batch jobs queued in the same transaction), every batch job fetched and run
  (claims, intents, outcomes, the shared rate row), and the queue's own traffic.
- "inline": `send_digest` in this process on the same kind of database: one process, the same
  `--connections`.
- smtp-source: the same number of copies of one message Nashra sent (byte for byte, less its
  From:/To:), `--connections` connections: the ceiling of one sender on this sink. Each worker's
  batch uses `--connections` connections, so W workers open W times as many.
Rates are medians over the rounds; the ratios are taken per round, against that round's
smtp-source.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import text

from nashra.config import load_settings
from nashra.config.loader import parse_settings
from nashra.digest import find_digest
from nashra.ingest import ingest
from nashra.jobs import Unit
from nashra.mail.send import send_digest
from nashra.queue.app import open_app
from nashra.queue.task import defer
from nashra.runtime import Runtime

sys.path.insert(0, str(Path(__file__).resolve().parent))
from send_million import fresh_database, populate
from send_throughput import _sample_message, bench_toml, free_port, smtp_source, start_sink


def _toml(url: str, port: int, connections: int, *, queue: bool) -> str:
    return bench_toml(url, port, connections, '[queue]\nbackend = "procrastinate"\n' if queue else "")


def _prepare(work: Path, url: str, port: int, connections: int, recipients: int, *, queue: bool) -> Path:
    config = work / "nashra.toml"
    config.write_text(_toml(url, port, connections, queue=queue), "utf-8")
    with Runtime.open(load_settings(config)) as runtime:
        ingest(runtime)
        populate(runtime, recipients)
    return config


def _issue_status(runtime: Runtime) -> str | None:
    with runtime.store.connect() as conn:
        return conn.execute(text("SELECT status FROM digest_issues ORDER BY id DESC LIMIT 1")).scalar()


def distributed(postgres: str, port: int, connections: int, recipients: int, workers: int) -> float:
    """Seconds from queueing the digest's job to its issue being "sent", with `workers` workers."""
    url, drop = fresh_database("postgresql", postgres)
    work = Path(tempfile.mkdtemp(prefix="nashra-scale-"))
    started: list[subprocess.Popen[bytes]] = []
    try:
        config = _prepare(work, url, port, connections, recipients, queue=True)
        command = [sys.executable, "-m", "nashra", "-q", "--config", str(config), "worker"]
        started.extend(
            subprocess.Popen(
                [*command, "--concurrency", "1", "--queues", "digests"],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for _ in range(workers)
        )
        settings = load_settings(config)
        with Runtime.open(settings) as runtime:
            _wait(lambda: _count(runtime, "SELECT count(*) FROM procrastinate_workers") == workers, 60)
            app = open_app(settings, role="bench", pool_size=1).open()
            try:
                begun = time.perf_counter()
                defer(app, Unit("digests", "daily"))
                _wait(lambda: _issue_status(runtime) == "sent", 3600, step=0.02)
                seconds = time.perf_counter() - begun
            finally:
                app.close()
            assert _count(runtime, "SELECT count(*) FROM deliveries WHERE status = 'sent'") == recipients
        return seconds
    finally:
        for process in started:
            process.send_signal(signal.SIGTERM)
        for process in started:
            process.wait(60)
        shutil.rmtree(work, ignore_errors=True)
        drop()


def inline(postgres: str, port: int, connections: int, recipients: int, eml: Path) -> float:
    """Seconds of `send_digest` in this process; one of its messages written to `eml`."""
    url, drop = fresh_database("postgresql", postgres)
    work = Path(tempfile.mkdtemp(prefix="nashra-scale-"))
    try:
        settings = parse_settings(_toml(url, port, connections, queue=False), origin="bench", base_dir=work)
        with Runtime.open(settings) as runtime:
            ingest(runtime)
            populate(runtime, recipients)
            begun = time.perf_counter()
            summary = send_digest(runtime, find_digest(settings, "daily"))
            seconds = time.perf_counter() - begun
            assert summary.sent == recipients and summary.issue_id is not None, summary
            _sample_message(runtime, summary.issue_id, eml)
        return seconds
    finally:
        shutil.rmtree(work, ignore_errors=True)
        drop()


def _count(runtime: Runtime, query: str) -> int:
    with runtime.store.connect() as conn:
        return int(conn.execute(text(query)).scalar_one())


def _wait(condition: Callable[[], bool], seconds: float, *, step: float = 0.2) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit("timed out")
        time.sleep(step)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipients", type=int, default=20_000)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--postgres", default="postgresql+psycopg://postgres@localhost:5432/test")
    args = parser.parse_args()
    os.environ.setdefault("NASHRA_SECRET", "bench-secret")
    port = free_port()
    sink = start_sink(port)
    eml = Path(tempfile.mkdtemp(prefix="nashra-scale-eml-")) / "digest.eml"
    n = args.recipients
    print(f"smtp-sink on 127.0.0.1:{port}, {n:,} recipients, {args.connections} connections per sender, "
          f"{os.cpu_count()} CPUs")  # fmt: skip
    rates: dict[str, list[float]] = {}
    ratios: dict[str, list[float]] = {}
    try:
        for _ in range(args.rounds):
            measured = {"inline": n / inline(args.postgres, port, args.connections, n, eml)}
            for workers in args.workers:
                seconds = distributed(args.postgres, port, args.connections, n, workers)
                measured[f"{workers} worker{'s' if workers > 1 else ''}"] = n / seconds
            source = n / smtp_source(port, n, eml, args.connections)
            measured["smtp-source"] = source
            for name, rate in measured.items():
                rates.setdefault(name, []).append(rate)
                ratios.setdefault(name, []).append(rate / source)
        for name, values in rates.items():
            print(
                f"{name:>12}: {statistics.median(values):7,.0f} recipients/s, "
                f"{statistics.median(ratios[name]):.2f}x smtp-source "
                f"(rounds: {', '.join(f'{r:.2f}' for r in ratios[name])})"
            )
    finally:
        os.kill(sink, signal.SIGTERM)


if __name__ == "__main__":
    main()
