"""`subscribers import` throughput, on SQLite and PostgreSQL: Nashra's bulk import (one streaming
pass into a staging table, then a few statements per chunk) against the row-by-row import it
replaced (BASELINE below: a copy of the previous code, the whole file in memory, `add_subscriber`
for every row), interleaved at the sizes where the baseline finishes in reasonable time.

    .venv/bin/python bench/csv_import.py [--sizes 20000 200000 1000000] [--rounds 3]
        [--rounds-largest 1] [--baseline-up-to 20000] [--postgres URL]

Each import runs in a child process on a fresh database (a new SQLite file; a scratch PostgreSQL
database created on the server and dropped after), so its peak RSS (ru_maxrss) is its own. The
file: 70% of rows with an Arabic name, digests, a third with consent dates: what a newsroom's
spreadsheet export looks like. Medians of the rounds; rows/s is rows in the file / wall time of
the import call.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

NOW = datetime(2026, 12, 1, tzinfo=UTC)


def write_file(path: Path, rows: int) -> None:
    rng = random.Random(13)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["email", "name", "digests", "consent_at"])
        for n in range(rows):
            writer.writerow(
                [
                    f"reader{n}@{rng.choice(['gmail.com', 'yahoo.fr', 'hotmail.com', 'news.example.dz'])}",
                    f"قارئ رقم {n} من الجزائر" if rng.random() < 0.7 else "",
                    rng.choice(["", "daily", "daily;weekly"]),
                    "2026-10-01T09:00:00+01:00" if rng.random() < 0.3 else "",
                ]
            )


# -- BASELINE: the previous row-by-row import, kept verbatim in substance ------------------------


def baseline_import(conn_factory, path: Path, *, now: datetime) -> int:  # type: ignore[no-untyped-def]
    """The import as it was before the bulk path: read and decode the whole file, check every
    record (the full email-validator check per address), then `add_subscriber` per row (~6
    statements each)."""
    from nashra.subscribers import addresses
    from nashra.subscribers.csvcells import restore
    from nashra.subscribers.csvio import IMPORTABLE_STATUSES, _field_problem
    from nashra.subscribers.manage import add_subscriber

    data = path.read_bytes()
    text_ = data.decode("utf-8", errors="replace").removeprefix("\ufeff")
    reader = csv.reader(io.StringIO(text_, newline=""))
    records = []
    start = 1
    for fields in reader:
        if fields:
            records.append((start, reader.line_num, fields))
        start = reader.line_num + 1
    columns = [c.strip().lower() for c in records[0][2]]
    rows = []
    seen: dict[str, int] = {}
    for first, last, fields in records[1:]:
        if _field_problem(first, last, fields, columns, "utf-8"):
            continue
        row = dict(zip(columns, (restore(f.strip()) for f in fields), strict=False))
        address = addresses._checked(row.get("email", "").strip())  # the full check, as before
        if address in seen:
            continue
        seen[address] = first
        status = (row.get("status") or "active").lower()
        assert status in IMPORTABLE_STATUSES
        consent = row.get("consent_at") or ""
        consent_at = datetime.fromisoformat(consent) if consent else None
        if consent_at is not None and consent_at.tzinfo is None:
            consent_at = consent_at.replace(tzinfo=UTC)
        digests = [d for d in (row.get("digests") or "").replace(",", ";").split(";") if d.strip()]
        rows.append((address, row.get("name", ""), status, digests, consent_at, row.get("consent_source")))
    added = 0
    with conn_factory() as conn:
        for address, name, status, digests, consent_at, source in rows:
            result = add_subscriber(
                conn,
                address,
                now=now,
                name=name,
                digests=digests,
                status=status,
                consent_source=source or f"import:{path.name}",
                consent_at=consent_at,
            )
            added += result.created
    return added


# -- one measured import, in a child process -----------------------------------------------------


def child(which: str, url: str, path: Path) -> None:
    from nashra.store import open_store
    from nashra.subscribers.csvio import import_csv

    store = open_store(url)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    if which == "nashra":
        report = import_csv(store.begin, path, now=NOW)
        added = report.added
        assert not report.errors, report.errors[:3]
    else:
        added = baseline_import(store.begin, path, now=NOW)
    seconds = time.perf_counter() - start
    store.close()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"seconds": seconds, "added": added, "peak_mb": peak / 1024, "start_mb": before / 1024}))


def fresh_database(kind: str, server: str, workdir: Path) -> tuple[str, callable]:  # type: ignore[valid-type]
    if kind == "sqlite":
        path = workdir / f"{uuid.uuid4().hex}.db"
        return f"sqlite:///{path}", lambda: [p.unlink(missing_ok=True) for p in workdir.glob(f"{path.name}*")]
    name = f"nashra_bench_csv_{uuid.uuid4().hex[:10]}"
    admin = create_engine(make_url(server).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return make_url(server).set(database=name).render_as_string(hide_password=False), drop


def measure(which: str, kind: str, server: str, workdir: Path, path: Path) -> dict[str, float]:
    url, drop = fresh_database(kind, server, workdir)
    try:
        from nashra.store import open_store

        open_store(url).close()  # migrate outside the timed child
        out = subprocess.run(
            [sys.executable, __file__, "--child", which, url, str(path)],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        return json.loads(out.strip().splitlines()[-1])
    finally:
        drop()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[20_000, 200_000, 1_000_000])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--rounds-largest", type=int, default=3, help="rounds at the largest size")
    parser.add_argument("--baseline-up-to", type=int, default=20_000)
    parser.add_argument("--backends", nargs="+", default=["sqlite", "postgresql"])
    parser.add_argument("--postgres", default="postgresql://postgres@localhost:5432/test")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        which, url, path = args.child
        child(which, url, Path(path))
        return
    print(f"{'backend':<11}{'rows':>10}  {'import':<9}{'rows/s (median)':>16}{'runs':>6}{'peak RSS MB':>13}")
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        for size in args.sizes:
            path = workdir / f"readers-{size}.csv"
            write_file(path, size)
            rounds = args.rounds_largest if size == max(args.sizes) else args.rounds
            for kind in args.backends:
                which = ["nashra", "baseline"] if size <= args.baseline_up_to else ["nashra"]
                samples: dict[str, list[dict[str, float]]] = {w: [] for w in which}
                for n in range(rounds):
                    for w in which if n % 2 == 0 else reversed(which):  # interleaved, alternating first
                        result = measure(w, kind, args.postgres, workdir, path)
                        assert result["added"] == size, result
                        samples[w].append(result)
                for w in which:
                    rate = statistics.median(size / r["seconds"] for r in samples[w])
                    peak = max(r["peak_mb"] for r in samples[w])
                    print(f"{kind:<11}{size:>10,}  {w:<9}{rate:>16,.0f}{rounds:>6}{peak:>13.0f}", flush=True)
                if len(which) == 2:
                    ratio = statistics.median(
                        b["seconds"] / a["seconds"]
                        for a, b in zip(samples["nashra"], samples["baseline"], strict=True)
                    )
                    print(f"{'':<23}nashra/baseline speed: {ratio:.1f}x", flush=True)


if __name__ == "__main__":
    main()
