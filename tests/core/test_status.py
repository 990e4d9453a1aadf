"""`nashra status --format json` through the real CLI: the worker (alive or not), jobs with their
last run and the worker's own next run, issues with sent/failed/bounced/unknown and progress,
pauses, channels with their posts, and what needs attention first."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import time_machine
from sqlalchemy import select

from digest.digest_helpers import DEMO_NOW, DIGEST_TOML
from mail.mailkit import populate, record_test_issue
from nashra.config import Settings
from nashra.digest import find_digest, prepare_digest, record_issue
from nashra.ingest import ingest
from nashra.runtime import Runtime
from nashra.store import clicks, deliveries, workers
from nashra.store import subscribers as db
from nashra.store.articles import get_articles
from nashra.store.pauses import Paused, pause

TOML = '[site]\ntimezone = "Africa/Algiers"\n\n[[digests]]\nname = "daily"\nschedule = "0 7 * * *"\n'


def _status(settings: Settings) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "nashra", "--config", str(settings.origin), "status", "--format", "json"],
        capture_output=True,
        text=True,
        env={**os.environ, "NASHRA_SECRET": "test-secret"},
        check=False,
    )
    assert done.returncode == 0, done.stderr
    document: dict[str, Any] = json.loads(done.stdout)
    return document


def test_status_json_says_what_is_going_on(make_settings: Callable[[str], Settings]) -> None:
    settings = make_settings(TOML)
    now = datetime.now(UTC)
    with Runtime.open(settings) as runtime:
        populate(runtime, [f"r{n}@oasis.example" for n in range(6)])
        issue_id = record_test_issue(runtime)
        with runtime.store.begin() as conn:
            deliveries.create_deliveries(conn, issue_id, ["default"], "daily", now=now)
            ids = list(
                conn.execute(
                    select(deliveries.deliveries.c.id).order_by(deliveries.deliveries.c.id)
                ).scalars()
            )
            for n, delivery in enumerate(ids[:5]):  # 3 sent, 1 unknown, 1 bounced; 1 still queued
                status = ("sent", "sent", "sent", "unknown", "failed")[n]
                conn.execute(
                    deliveries.deliveries.update()
                    .where(deliveries.deliveries.c.id == delivery)
                    .values(status=status)
                )
            bounced = db.find_subscriber(conn, "r4@oasis.example")
            assert bounced is not None
            db.set_status(conn, bounced.id, "bounced", now=now, reason="550 5.1.1 no such user")
            pause(conn, Paused.DIGEST, "daily", now=now, reason="مراجعة التحرير")
            pause(conn, Paused.CHANNEL, "outbox", now=now, reason="حملة متوقفة")
            # A worker that last beat ten minutes ago: it died without saying so.
            workers.beat(
                conn, "newsroom-1:4242", now=now - timedelta(minutes=10), started_at=now - timedelta(hours=2)
            )
            workers.job_started(conn, "ingest", "newsroom-1:4242", now=now - timedelta(minutes=11))
            workers.job_finished(
                conn, "ingest", now=now - timedelta(minutes=11), result="ok", summary="new=3"
            )

    report = _status(settings)

    assert report["worker"]["id"] == "newsroom-1:4242" and report["worker"]["alive"] is False
    jobs = {job["id"]: job for job in report["jobs"]}
    assert jobs["ingest"]["last_result"] == "ok" and jobs["ingest"]["last_summary"] == "new=3"
    assert jobs["digest:daily"]["scheduled_by"] == "config"  # no live worker to ask
    [digest] = report["digests"]
    assert digest["paused"]["reason"] == "مراجعة التحرير"
    [issue] = digest["issues"]
    assert issue["id"] == issue_id and issue["progress_percent"] == 83
    assert issue["counts"] == {"sent": 3, "unknown": 1, "failed": 1, "bounced": 1, "queued": 1}
    [channel] = report["channels"]
    assert channel["name"] == "outbox" and channel["paused"]["reason"] == "حملة متوقفة"
    assert report["attention"] == [
        (
            "the worker newsroom-1:4242 stopped sending heartbeats (killed or frozen?): nothing runs on "
            "schedule until one starts"
        ),
        "digest daily: 1 deliveries of unknown fate in its last issues",
        "digest daily is paused (مراجعة التحرير)",
        "channel outbox is paused (حملة متوقفة)",
    ]
    assert report["generated_at"].endswith("Z")


def test_status_shows_each_issue_clicks_when_the_digest_counts_them(
    make_settings: Callable[[str], Settings],
) -> None:
    settings = make_settings(DIGEST_TOML + "count_clicks = true\n")
    with Runtime.open(settings) as runtime:
        with time_machine.travel(DEMO_NOW - timedelta(hours=1), tick=False):
            ingest(runtime)
        rendered = prepare_digest(runtime, find_digest(settings, "daily"), now=DEMO_NOW)
        assert rendered is not None
        first, second, third = rendered.article_ids[:3]
        with runtime.store.begin() as conn:
            issue_id = record_issue(conn, rendered, now=DEMO_NOW)
            for article_id, n in ((first, 1), (second, 4), (third, 2)):
                for _ in range(n):
                    clicks.count_click(conn, issue_id, article_id)
            titles = {a.id: a.article.title for a in get_articles(conn, [first, second, third])}

    report = _status(settings)
    [digest] = report["digests"]
    [issue] = digest["issues"]
    assert issue["clicks"]["total"] == 7
    assert issue["clicks"]["top"] == [
        {"article_id": second, "title": titles[second], "clicks": 4},
        {"article_id": third, "title": titles[third], "clicks": 2},
        {"article_id": first, "title": titles[first], "clicks": 1},
    ]
    table = subprocess.run(
        [sys.executable, "-m", "nashra", "--config", str(settings.origin), "status"],
        capture_output=True,
        text=True,
        env={**os.environ, "NASHRA_SECRET": "test-secret", "COLUMNS": "200"},
        check=False,
    )
    assert table.returncode == 0, table.stderr
    assert "clicks" in table.stdout and "Clicks: most followed stories" in table.stdout
    assert re.search(rf"daily\s.*\s{issue_id}\s.*\s7\s", table.stdout), table.stdout


def test_status_leaves_clicks_out_for_a_digest_that_does_not_count_them(
    make_settings: Callable[[str], Settings],
) -> None:
    settings = make_settings(TOML)
    with Runtime.open(settings) as runtime:
        record_test_issue(runtime)
    [digest] = _status(settings)["digests"]
    [issue] = digest["issues"]
    assert issue["clicks"] is None
