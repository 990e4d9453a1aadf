"""`nashra status --format json` through the real CLI: the worker (alive or not), jobs with their
last run and the worker's own next run, issues with sent/failed/bounced/unknown and progress,
pauses, channels with their posts, and what needs attention first."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from mail.mailkit import populate, record_test_issue
from nashra.config import Settings
from nashra.runtime import Runtime
from nashra.store import deliveries, workers
from nashra.store import subscribers as db
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
