"""Ingest of a 1,000-item RSS feed (fetch over loopback HTTP + parse + upsert), SQLite and PostgreSQL.

Printed beside it, measured in the same run:
- feedparser alone parsing the same bytes (the floor: what parsing costs before any storage);
- a naive upsert (one SELECT then one INSERT per item, the usual first implementation).

Usage: .venv/bin/python bench/ingest_feed.py [--items 1000] [--repeat 5] [--postgres URL]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import feedparser
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).parents[1] / "tests" / "core"))
from feedmaker import rss, rss_item

from nashra.config.loader import parse_settings
from nashra.ingest import ingest
from nashra.runtime import Runtime
from nashra.sources.base import SourceContext
from nashra.sources.rss import RssOptions, RssSource
from nashra.store.schema import articles
from nashra.store.sources import SourceState


def serve(body: bytes) -> tuple[ThreadingHTTPServer, str]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/feed.xml"


def fresh_database(kind: str, postgres: str, workdir: Path) -> tuple[str, callable]:
    if kind == "sqlite":
        path = workdir / f"{uuid.uuid4().hex}.db"
        return f"sqlite:///{path}", lambda: path.unlink(missing_ok=True)
    name = f"nashra_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(
        make_url(postgres).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return make_url(postgres).set(database=name).render_as_string(hide_password=False), drop


def naive_upsert(runtime: Runtime, url: str) -> None:
    """The baseline: same fetch and parse, then one SELECT + one INSERT/UPDATE per item."""
    source = RssSource(
        runtime.settings.sources[0], RssOptions(url=url), SourceContext(runtime.settings, runtime.http)
    )
    fetched = source.fetch(SourceState(name="wire", type="rss"))
    now = datetime.now(UTC)
    from nashra.forms import teaser_lengths
    from nashra.store.articles import _row_values

    lengths = teaser_lengths(runtime.settings)  # the same text work per row as Nashra's ingest

    with runtime.store.begin() as conn:
        for article in fetched.articles:
            row = conn.execute(select(articles.c.content_hash).where(articles.c.id == article.id)).first()
            if row is None:
                conn.execute(
                    articles.insert().values(
                        id=article.id,
                        **_row_values(article, lengths),
                        first_seen_at=now,
                        last_changed_at=now,
                        version=1,
                    )
                )
            elif row.content_hash != article.content_hash:
                conn.execute(
                    articles.update()
                    .where(articles.c.id == article.id)
                    .values(**_row_values(article, lengths))
                )


def timed(fn: callable, repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--items", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--postgres", default="postgresql://postgres@localhost:5432/test")
    args = parser.parse_args()

    body = rss([rss_item(n) for n in range(args.items)]).encode("utf-8")
    server, url = serve(body)
    parse_only = timed(lambda: feedparser.parse(body), args.repeat)
    print(f"feed: {args.items} items, {len(body) / 1024:.0f} KiB; median of {args.repeat} runs each")
    print(f"{'feedparser.parse alone (floor)':<44} {parse_only * 1000:8.1f} ms")

    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        for kind in ("sqlite", "postgresql"):
            results = {}
            for label, fn_name in (
                ("nashra ingest, first poll (all new)", "first"),
                ("nashra ingest, unchanged poll", "again"),
                ("naive per-row upsert, first poll", "naive"),
            ):
                samples = []
                for _ in range(args.repeat):
                    db, drop = fresh_database(kind, args.postgres, workdir)
                    toml = (
                        f'[database]\nurl = "{db}"\n[[sources]]\ntype = "rss"\nname = "wire"\nurl = "{url}"\n'
                    )
                    runtime = Runtime.open(parse_settings(toml, origin="bench", base_dir=workdir))
                    try:
                        if fn_name == "again":
                            ingest(runtime)
                        start = time.perf_counter()
                        if fn_name == "naive":
                            naive_upsert(runtime, url)
                        else:
                            report = ingest(runtime)
                            expected = "new" if fn_name == "first" else "unchanged"
                            assert report.counts[expected] == args.items, report.counts
                        samples.append(time.perf_counter() - start)
                    finally:
                        runtime.close()
                        drop()
                results[label] = statistics.median(samples)
            base = results["naive per-row upsert, first poll"]
            print(f"\n[{kind}]")
            for label, seconds in results.items():
                rate = args.items / seconds
                print(
                    f"{label:<44} {seconds * 1000:8.1f} ms  {rate:9.0f} items/s  "
                    f"({base / seconds:4.1f}x naive, {seconds / parse_only:4.1f}x parse-only time)"
                )
    server.shutdown()


if __name__ == "__main__":
    main()
