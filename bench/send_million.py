"""A digest sent to 1,000,000 subscribers through Postfix's smtp-sink, on SQLite and on PostgreSQL:
does the rate hold from the first 10% of the send to the last, and how much memory does it take?

    .venv/bin/python bench/send_million.py [--recipients 1000000] [--databases sqlite postgresql]
        [--connections 4] [--postgres postgresql+psycopg://postgres@localhost:5432/test]

For each database, in a child process of its own (so its peak RSS is the send's): a fresh
database (a new SQLite file; a new PostgreSQL database created on the server and dropped after,
never ANALYZEd by hand), the demo articles ingested, N subscribers inserted in chunks, then
`send_digest` to smtp-sink over `--connections` connections, exactly as `nashra digest send` does:
deliveries queued, claimed, personalised, intent and outcome recorded for every row. A progress
callback notes (time, messages done); the rate of the first 10% and of the last 10% of the
messages are compared. Right after, smtp-source sends the same number of copies of one of the
messages Nashra sent (byte for byte, less its From:/To:) to the same sink over the same number of
connections: the ceiling, for scale.
Targets (issue #13): last 10% within 10% of the first 10% on both databases; peak RSS < 150 MB.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from nashra.config.loader import parse_settings
from nashra.digest import find_digest
from nashra.ingest import ingest
from nashra.mail.send import SendSummary, send_digest
from nashra.runtime import Runtime
from nashra.store import subscribers as db

sys.path.insert(0, str(Path(__file__).resolve().parent))
from send_throughput import _sample_message, bench_toml, free_port, smtp_source, start_sink

CHUNK = 20_000


def populate(runtime: Runtime, count: int) -> None:
    """`count` active subscribers on the default list, inserted a chunk at a time (flat memory)."""
    now = datetime.now(UTC)
    with runtime.store.begin() as conn:
        list_id = db.ensure_list(conn, "default", now=now)
    for start in range(0, count, CHUNK):
        with runtime.store.begin() as conn:
            rows = [
                {
                    "email": f"reader{n:07d}@example.com",
                    "name": f"قارئ {n}" if n % 2 else "",
                    "status": "active",
                    "consent_at": now,
                    "consent_source": "bench",
                    "created_at": now,
                    "updated_at": now,
                }
                for n in range(start, min(start + CHUNK, count))
            ]
            ids = conn.execute(db.subscribers.insert().returning(db.subscribers.c.id), rows).scalars().all()
            conn.execute(
                db.subscriptions.insert(),
                [{"list_id": list_id, "subscriber_id": i, "digests": "", "created_at": now} for i in ids],
            )


def child(url: str, port: int, recipients: int, connections: int, eml: Path) -> None:
    """One send on a fresh database; prints its figures as JSON on the last line."""
    work = Path(tempfile.mkdtemp(prefix="nashra-million-"))
    settings = parse_settings(bench_toml(url, port, connections), origin="bench", base_dir=work)
    marks: list[tuple[float, int]] = []

    def progress(summary: SendSummary) -> None:
        marks.append((time.perf_counter(), summary.done))

    try:
        with Runtime.open(settings) as runtime:
            ingest(runtime)
            populate(runtime, recipients)
            rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            started = time.perf_counter()
            summary = send_digest(runtime, find_digest(settings, "daily"), progress=progress)
            seconds = time.perf_counter() - started
            assert summary.sent == recipients, summary
            assert summary.issue_id is not None
            size = _sample_message(runtime, summary.issue_id, eml)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    # A send too short for progress marks inside its first and last 10% gets NaN rates.
    first = next((m for m in marks if m[1] > 0), marks[-1])
    tenth = next((m for m in marks if m[1] >= first[1] + recipients // 10), marks[-1])
    late = ([m for m in marks if m[1] <= recipients - recipients // 10] or marks[:1])[-1]
    last = marks[-1]
    print(
        json.dumps(
            {
                "seconds": seconds,
                "size": size,
                "first": _rate(first, tenth),
                "last": _rate(late, last),
                "overall": recipients / seconds,
                "rss_before_send_mb": rss_before,
                "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            }
        )
    )


def _rate(start: tuple[float, int], end: tuple[float, int]) -> float:
    return (end[1] - start[1]) / (end[0] - start[0]) if end[0] > start[0] else math.nan


def fresh_database(kind: str, postgres: str) -> tuple[str, Callable[[], None]]:
    """(URL, how to drop it) of a new, empty database."""
    if kind == "sqlite":
        folder = Path(tempfile.mkdtemp(prefix="nashra-million-db-"))

        def remove() -> None:
            shutil.rmtree(folder, ignore_errors=True)

        return f"sqlite:///{folder}/bench.db", remove
    name = f"nashra_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(postgres, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return make_url(postgres).set(database=name).render_as_string(hide_password=False), drop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipients", type=int, default=1_000_000)
    parser.add_argument("--databases", nargs="+", default=["sqlite", "postgresql"])
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--postgres", default="postgresql+psycopg://postgres@localhost:5432/test")
    parser.add_argument("--child", nargs=3, metavar=("URL", "PORT", "EML"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.environ.setdefault("NASHRA_SECRET", "bench-secret")
    if args.child:
        url, port, eml = args.child
        child(url, int(port), args.recipients, args.connections, Path(eml))
        return
    port = free_port()
    sink = start_sink(port)
    eml = Path(tempfile.mkdtemp(prefix="nashra-million-eml-")) / "digest.eml"
    print(f"smtp-sink on 127.0.0.1:{port}, {args.connections} connections, {os.cpu_count()} CPUs")
    try:
        for kind in args.databases:
            url, drop = fresh_database(kind, args.postgres)
            try:
                out = subprocess.run(
                    [sys.executable, __file__, "--recipients", str(args.recipients), "--connections",
                     str(args.connections), "--child", url, str(port), str(eml)],
                    check=True, capture_output=True, text=True,
                )  # fmt: skip
            finally:
                drop()
            figures = json.loads(out.stdout.strip().splitlines()[-1])
            source = smtp_source(port, args.recipients, eml, args.connections)
            print(
                f"{kind:>10}: {args.recipients:,} messages of {figures['size']:,} bytes in {figures['seconds']:.0f} s "
                f"({figures['overall']:,.0f} msg/s; smtp-source {args.recipients / source:,.0f} msg/s, "
                f"{figures['overall'] * source / args.recipients:.2f}x); first 10% {figures['first']:,.0f} msg/s, "
                f"last 10% {figures['last']:,.0f} msg/s (last/first {figures['last'] / figures['first']:.2f}); "
                f"peak RSS {figures['peak_mb']:.0f} MB ({figures['rss_before_send_mb']:.0f} MB before the send)"
            )
    finally:
        os.kill(sink, 15)


if __name__ == "__main__":
    main()
