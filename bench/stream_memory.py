"""Peak memory of a send to 1,000,000 subscribers streamed from SQLite, against loading them at once.

    .venv/bin/python bench/stream_memory.py [--subscribers 1000000]

Nashra: the real `send_digest` path — deliveries queued by one INSERT … SELECT, rows claimed in
keyset-paginated batches, every message personalised (token, headers, both parts spliced) and
handed to a transport that counts the bytes and drops them (so the figure is the streaming and
personalisation path, not a mail server), with the exactly-once bookkeeping of every row.
Peak = ru_maxrss of this process. Baseline, in a fresh child process: the same subscribers read
with one `SELECT … .all()` (what "load the list, then loop" does), peak ru_maxrss there.
Target: Nashra under 300 MB.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from nashra.config.loader import parse_settings
from nashra.digest import find_digest
from nashra.ingest import ingest
from nashra.mail.send import send_digest
from nashra.mail.transport import Commit, Envelope, Outcome
from nashra.runtime import Runtime
from nashra.store import deliveries


class CountingSession:
    """A transport session that commits like a real one and then drops the bytes."""

    width = 64

    def __init__(self, totals: dict[str, int]) -> None:
        self.totals = totals

    def send_batch(self, batch: Sequence[tuple[Envelope, bytes]], commit: Commit) -> list[Outcome | None]:
        commit(range(len(batch)))
        self.totals["messages"] += len(batch)
        self.totals["bytes"] += sum(len(message) for _, message in batch)
        return [Outcome("sent", committed=True) for _ in batch]

    def close(self) -> None:
        return None


class CountingTransport:
    def __init__(self) -> None:
        self.totals = {"messages": 0, "bytes": 0}

    def open(self) -> CountingSession:
        return CountingSession(self.totals)


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def populate(database: Path, count: int) -> None:
    """1M rows in a few seconds: plain sqlite3 executemany in one transaction."""
    import sqlite3

    now = datetime.now(UTC).replace(tzinfo=None).isoformat(sep=" ")
    conn = sqlite3.connect(database)
    with conn:
        conn.execute("INSERT INTO lists (name, created_at) VALUES ('default', ?)", (now,))
        list_id = conn.execute("SELECT id FROM lists WHERE name = 'default'").fetchone()[0]
        conn.executemany(
            "INSERT INTO subscribers (id, email, name, status, consent_at, consent_source, created_at, updated_at)"
            " VALUES (?, ?, ?, 'active', ?, 'bench', ?, ?)",
            (
                (n, f"reader{n:07d}@example.com", f"قارئ {n}" if n % 3 == 0 else "", now, now, now)
                for n in range(1, count + 1)
            ),
        )
        conn.executemany(
            "INSERT INTO subscriptions (list_id, subscriber_id, digests, created_at) VALUES (?, ?, '', ?)",
            ((list_id, n, now) for n in range(1, count + 1)),
        )
    conn.close()


BASELINE = """
import resource, sys
from sqlalchemy import select
from nashra.store import open_store
from nashra.store.subscribers import subscribers
store = open_store(sys.argv[1], run_migrations=False)
with store.connect() as conn:
    rows = conn.execute(select(subscribers)).all()
print(len(rows), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=1_000_000)
    args = parser.parse_args()
    os.environ.setdefault("NASHRA_SECRET", "bench-secret")
    work = Path(tempfile.mkdtemp(prefix="nashra-stream-"))
    try:
        url = f"sqlite:///{work}/stream.db"
        settings = parse_settings(
            f'[database]\nurl = "{url}"\n[[digests]]\nname = "daily"\n'
            '[web]\npublic_url = "https://news.example/newsletter"\n',
            origin="bench",
            base_dir=work,
        )
        with Runtime.open(settings) as runtime:
            ingest(runtime)
            started = time.perf_counter()
            populate(work / "stream.db", args.subscribers)
            populated = time.perf_counter() - started
            before = peak_mb()
            transport = CountingTransport()
            started = time.perf_counter()
            summary = send_digest(runtime, find_digest(settings, "daily"), transport=transport)
            elapsed = time.perf_counter() - started
            ours = peak_mb()
            with runtime.store.connect() as conn:
                counts = deliveries.delivery_counts(conn, summary.issue_id or 0)
        assert summary.sent == args.subscribers == counts.get("sent"), (summary, counts)
        child = subprocess.run(
            [sys.executable, "-c", BASELINE, url], capture_output=True, text=True, check=True
        )
        loaded, baseline = child.stdout.split()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"subscribers: {args.subscribers:,} (SQLite; populated in {populated:.1f} s)")
    print(
        f"  nashra send_digest, streamed   peak RSS {ours:7.1f} MB  (before the send: {before:.1f} MB; "
        f"{transport.totals['messages']:,} messages, {transport.totals['bytes'] / 1e9:.1f} GB personalised "
        f"in {elapsed:.1f} s = {args.subscribers / elapsed:,.0f}/s)"
    )
    print(
        f"  baseline, all rows at once     peak RSS {float(baseline):7.1f} MB  ({int(loaded):,} rows, fresh process)"
    )
    print(
        f"  nashra peak = {ours / float(baseline):.2f}x the baseline; target < 300 MB: "
        f"{'met' if ours < 300 else 'NOT met'}"
    )


if __name__ == "__main__":
    sys.exit(main())
