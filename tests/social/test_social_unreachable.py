"""Unreachable platforms cost one failed connection per run, and no post is ever invisible.

Real CLI in a subprocess; the platforms are a name that cannot resolve (`.invalid`), a port nothing
listens on, and a server that accepts connections and never answers.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from social_helpers import make_article

from loopback import drip_server, free_port
from nashra.runtime import Runtime
from nashra.social.post import post_pending
from nashra.store import open_store
from nashra.store import posts as records
from nashra.store.articles import list_articles, upsert_articles

EVERYTHING = "max_age_hours = 1000000\n"  # the demo articles are days old


def _cli(config: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], float]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NASHRA_")}
    env.update(COLUMNS="1000", TELEGRAM_BOT_TOKEN="123:secret", MASTODON_ACCESS_TOKEN="tok")
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "nashra", "--config", str(config), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=90,
        check=False,
    )
    return done, time.monotonic() - started


def _line(output: str, *parts: str) -> bool:
    return any(all(part in line for part in parts) for line in output.splitlines())


def test_run_once_with_unreachable_platforms_ends_in_seconds_and_every_post_stays_visible(
    tmp_path: Path,
) -> None:
    silent = socket.create_server(("127.0.0.1", 0))  # the kernel accepts; nobody ever answers
    config = tmp_path / "nashra.toml"
    config.write_text(
        f'[[channels]]\ntype = "telegram"\nname = "tg-dns"\nchat_id = "@news"\n'
        f'api_base_url = "http://api.nashra-platform.invalid"\n{EVERYTHING}'
        f'[[channels]]\ntype = "mastodon"\nname = "masto-dns"\napi_base_url = "https://masto.nashra.invalid"\n'
        f"{EVERYTHING}"
        f'[[channels]]\ntype = "webhook"\nname = "hook-refused"\nurl = "http://127.0.0.1:{free_port()}/hook"\n'
        f"{EVERYTHING}"
        f'[[channels]]\ntype = "webhook"\nname = "hook-silent"\n'
        f'url = "http://127.0.0.1:{silent.getsockname()[1]}/hook"\ntimeout_seconds = 1\n{EVERYTHING}',
        encoding="utf-8",
    )
    with silent:
        done, elapsed = _cli(config, "run", "--once")
    output = done.stdout + done.stderr
    # Before: every article was tried 4 times with 2 + 4 + 8 s of sleep between, per channel.
    assert elapsed < 30, (elapsed, output)  # generous for a loaded machine; it took minutes
    assert "Traceback" not in output, output

    store = open_store(f"sqlite:///{tmp_path / 'data' / 'nashra.db'}")
    try:
        with store.connect() as conn:
            rows = {r.channel: r for r in records.list_records(conn)}
            articles = list_articles(conn)
        assert {c: (r.status, r.attempts) for c, r in rows.items()} == {
            "tg-dns": (records.PostStatus.RETRY, 1),
            "masto-dns": (records.PostStatus.RETRY, 1),
            "hook-refused": (records.PostStatus.RETRY, 1),
            "hook-silent": (records.PostStatus.UNKNOWN, 1),
        }, output
        assert all(r.next_attempt_at is not None for c, r in rows.items() if c != "hook-silent")
        # A run that died during the platform call left this one "publishing" 20 minutes ago.
        other = next(a for a in articles if a.id != rows["hook-refused"].article_id)
        with store.begin() as conn:
            stuck = records.claim_new(
                conn,
                article_id=other.id,
                channel="hook-refused",
                channel_type="webhook",
                version=1,
                text="…",
                now=datetime.now(UTC) - timedelta(minutes=20),
            )
    finally:
        store.close()

    for args in (("post", "--dry-run"), ("status",)):
        shown, took = _cli(config, *args)
        text = shown.stdout + shown.stderr
        assert shown.returncode == 0 and took < 30, text
        assert "Posts not final" in text, text
        for channel in ("tg-dns", "masto-dns", "hook-refused"):
            record = rows[channel]
            assert _line(
                text,
                f" {record.id} ",
                channel,
                "retrying after attempt 1",
                "tried again by the first run after",
            ), (channel, text)
        assert _line(text, "tg-dns", "cannot connect", "nashra-platform.invalid"), text
        assert _line(
            text,
            f" {rows['hook-silent'].id} ",
            "hook-silent",
            "outcome unknown",
            f"--mark-posted {rows['hook-silent'].id}",
        ), text
        assert _line(
            text, f" {stuck} ", "hook-refused", "interrupted while publishing", f"--send-again {stuck}"
        ), text


def test_a_receiver_that_trickles_its_answer_is_cut_at_the_deadline(
    make_runtime: Callable[[str], Runtime],
) -> None:
    with drip_server(b"ok" * 1000, headers_too=False, interval=0.2) as port:
        runtime = make_runtime(
            "[ingest]\ndeadline_seconds = 1\n"
            f'[[channels]]\ntype = "webhook"\nname = "hook"\nurl = "http://127.0.0.1:{port}/hook"\n'
            "timeout_seconds = 5\n"
        )
        with runtime.store.begin() as conn:
            upsert_articles(
                conn, [make_article("slow", published_at=datetime.now(UTC)).article], now=datetime.now(UTC)
            )
        started = time.monotonic()
        run = post_pending(runtime)
        assert time.monotonic() - started < 5  # the answer would take minutes
    (result,) = run.results
    assert result.status == records.PostStatus.UNKNOWN  # it may have been delivered: the operator decides
    assert "no complete answer within 1 s" in (result.error or "")
