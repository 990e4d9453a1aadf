"""The distributed mode with real processes on PostgreSQL: `nashra run` as the scheduler and
`nashra worker` processes run a cycle over the demo content; a worker killed with SIGKILL in the
middle of a job has that job finished by another; a standby scheduler takes over from a killed
active one within seconds.

Heartbeats are shortened (`stalled_after_seconds = 6`: workers beat every 2 s) so a dead worker
is noticed in seconds; everything else is the shipped code and configuration.
"""

from __future__ import annotations

import json
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from feedmaker import rss, rss_item
from sqlalchemy import text

from loopback import wait_until
from nashra.config import load_settings
from nashra.jobs import Unit
from nashra.queue.app import open_app
from nashra.queue.task import defer
from nashra.store import Store
from nashra.store.queue_state import SCHEDULER_LOCK_KEY, SchedulerSession, scheduler_sessions
from queuekit import SLOW, Processes, jobs_by_lock, processes, queue_config, succeeded

pytestmark = pytest.mark.postgres_only

DEMO = Path(__file__).parents[2] / "src" / "nashra" / "demo"


def test_a_scheduler_and_two_workers_run_the_demo_cycle(
    store: Store, database_url: str, tmp_path: Path
) -> None:
    """Ingest, feeds and social through the queue as the scheduler queues them; then a digest job
    (queued here, as its 07:00 trigger would) sent by a worker to the demo subscribers."""
    config = queue_config(tmp_path, database_url)
    with processes(config) as running:
        running.run("subscribers", "import", str(DEMO / "subscribers.csv"))
        scheduler = running.start("run")
        workers = [running.start("worker", "--concurrency", "2") for _ in range(2)]
        wait_until(lambda: succeeded(store, "ingest:demo", "feeds", "social:outbox"), "the cycle", SLOW)
        app = open_app(load_settings(config), role="test", pool_size=1).open()
        try:
            assert defer(app, Unit("digests", "daily")) is not None
        finally:
            app.close()
        # The digest's job opens the issue and queues its one batch (3 readers), which a worker sends.
        wait_until(
            lambda: _digest_jobs(store) == ["succeeded", "succeeded"], "the digest and its batch", SLOW
        )
        wait_until(lambda: len(running.status()["queue"]["workers"]) == 2, "both workers registered", SLOW)  # type: ignore[index]
        status = running.status()
        codes = running.stop_all()

    queue = status["queue"]
    assert isinstance(queue, dict)
    assert queue["jobs"] == {
        "ingest": {"succeeded": 1},
        "feeds": {"succeeded": 1},
        "social": {"succeeded": 1},
        "digests": {"succeeded": 2},
    }
    assert [w["alive"] for w in queue["workers"]] == [True, True]
    (active,) = [s for s in queue["schedulers"] if s["active"]]
    assert active["name"].endswith(f":{scheduler.pid}")
    assert status["attention"] == []
    assert (tmp_path / "public" / "feeds" / "rss.xml").is_file()
    posts = [
        json.loads(line)
        for line in (tmp_path / "outbox" / "social" / "outbox.jsonl").read_text("utf-8").splitlines()
    ]
    assert len(posts) == len({p["article_id"] for p in posts}) == 10  # the demo's 10 articles, each once
    assert len(list((tmp_path / "outbox" / "mail").glob("*.eml"))) == 3  # the demo's 3 subscribers
    assert set(codes.values()) == {0}, [running.output(p) for p in (scheduler, *workers)]


def _digest_jobs(store: Store) -> list[str]:
    """States of the digest's job and of its batches' ("digests:daily/<issue>/<rows>")."""
    return [
        state
        for lock, states in jobs_by_lock(store).items()
        if lock == "digests:daily" or lock.startswith("digests:daily/")
        for state in states
    ]


class _HangingFeed(BaseHTTPRequestHandler):
    """A feed whose first request hangs (the worker reading it is killed meanwhile); later ones
    are answered at once."""

    arrived = threading.Event()
    requests = 0

    def do_GET(self) -> None:
        type(self).requests += 1
        if type(self).requests == 1:
            type(self).arrived.set()
            time.sleep(SLOW)  # the client is gone long before
            return
        body = rss([rss_item(n) for n in range(3)]).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/rss+xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_: object) -> None:
        pass


@pytest.fixture
def hanging_feed() -> Iterator[str]:
    _HangingFeed.arrived = threading.Event()
    _HangingFeed.requests = 0
    server = ThreadingHTTPServer(("127.0.0.1", 0), _HangingFeed)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/feed.xml"
    server.shutdown()
    server.server_close()


def test_a_job_of_a_worker_killed_with_sigkill_is_finished_by_another(
    store: Store, database_url: str, tmp_path: Path, hanging_feed: str
) -> None:
    config = queue_config(
        tmp_path,
        database_url,
        f'[[sources]]\ntype = "rss"\nname = "wire"\nurl = "{hanging_feed}"\n\n[feeds]\nper_tag = false\n'
        # The first worker must still be waiting for the feed when it is killed, however long the
        # second one takes to start on a loaded machine.
        f"[ingest]\ntimeout_seconds = {SLOW * 2}\ndeadline_seconds = {SLOW * 2}\n",
    )
    with processes(config) as running:
        running.start("run")
        first = running.start("worker")
        wait_until(_HangingFeed.arrived.is_set, "the first worker to be reading the feed", SLOW)
        assert jobs_by_lock(store)["ingest:wire"] == ["doing"]
        second = running.start("worker")
        wait_until(lambda: len(running.status()["queue"]["workers"]) == 2, "the second worker", SLOW)  # type: ignore[index]
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        wait_until(lambda: succeeded(store, "ingest:wire"), "the job to be run again and finish", SLOW)
        wait_until(lambda: succeeded(store, "feeds", "social:outbox"), "what follows the ingest", SLOW)
        status = running.status()
        codes = running.stop_all()

    assert _HangingFeed.requests == 2
    assert jobs_by_lock(store)["ingest:wire"] == ["succeeded"]  # the same job, run again: not a second one
    with store.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM articles WHERE source = 'wire'")).scalar() == 3
        started = conn.execute(
            text(
                "SELECT count(*) FROM procrastinate_events e JOIN procrastinate_jobs j ON j.id = e.job_id"
                " WHERE j.lock = 'ingest:wire' AND e.type = 'started'"
            )
        ).scalar()
    assert started == 2
    assert "job.done job=ingest:wire" in running.output(second)
    workers = status["queue"]["workers"]  # type: ignore[index]
    assert [w["alive"] for w in workers] == [True], "the dead worker is dropped once its jobs are back"
    assert codes[first.pid] == -signal.SIGKILL and codes[second.pid] == 0


def _active(store: Store) -> str | None:
    with store.connect() as conn:
        return next((s.name for s in scheduler_sessions(conn) if s.active), None)


def _active_and_standby(
    running: Processes, store: Store
) -> tuple[subprocess.Popen[bytes], subprocess.Popen[bytes]]:
    """Two schedulers: the first started is the active one, the second stands by."""
    first = running.start("run")
    wait_until(lambda: (_active(store) or "").endswith(f":{first.pid}"), "the first scheduler active", SLOW)
    second = running.start("run")
    wait_until(lambda: any(s.name.endswith(f":{second.pid}") for s in _sessions(store)), "the standby", SLOW)
    return first, second


def test_a_standby_scheduler_takes_over_within_seconds(
    store: Store, database_url: str, tmp_path: Path
) -> None:
    config = queue_config(tmp_path, database_url)
    with processes(config) as running:
        first, second = _active_and_standby(running, store)
        assert (_active(store) or "").endswith(f":{first.pid}")
        assert jobs_by_lock(store) == {
            "ingest:demo": ["todo"]
        }  # no worker: it waits; the standby queued nothing
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        killed = time.monotonic()
        wait_until(lambda: (_active(store) or "").endswith(f":{second.pid}"), "the standby to take over", 10)
        took_over = time.monotonic() - killed
        wait_until(
            lambda: "queue.already_waiting unit=ingest:demo" in running.output(second), "its ingest", 10
        )
        codes = running.stop_all()

    assert took_over < 5
    assert jobs_by_lock(store) == {"ingest:demo": ["todo"]}, "its catch-up ingest met the one still waiting"
    assert codes[second.pid] == 0, running.output(second)


def test_a_scheduler_whose_lock_session_is_ended_steps_down_and_stands_by(
    store: Store, database_url: str, tmp_path: Path
) -> None:
    """A session terminated under a live scheduler (an administrator, a pooler, a timeout) takes
    its lock with it: that scheduler stops queueing within seconds, the standby becomes active,
    and the first one, still running, stands by."""
    config = queue_config(tmp_path, database_url)
    with processes(config) as running:
        first, second = _active_and_standby(running, store)
        with store.connect() as conn:
            ended = (
                conn.execute(
                    text(
                        "SELECT pg_terminate_backend(l.pid) FROM pg_locks l"
                        " JOIN pg_database d ON d.oid = l.database AND d.datname = current_database()"
                        " WHERE l.locktype = 'advisory' AND l.granted"
                        " AND l.classid::bigint = :high AND l.objid::bigint = :low AND l.objsubid = 1"
                    ),
                    {"high": (SCHEDULER_LOCK_KEY >> 32) & 0xFFFFFFFF, "low": SCHEDULER_LOCK_KEY & 0xFFFFFFFF},
                )
                .scalars()
                .all()
            )
        assert ended == [True]
        wait_until(lambda: (_active(store) or "").endswith(f":{second.pid}"), "the standby to take over", 10)
        wait_until(lambda: "event=scheduler.lock_lost" in running.output(first), "the first to step down", 10)
        wait_until(
            lambda: any(s.name.endswith(f":{first.pid}") and not s.active for s in _sessions(store)),
            "the first to stand by again",
            10,
        )
        assert first.poll() is None
        codes = running.stop_all()

    assert set(codes.values()) == {0}, [running.output(p) for p in (first, second)]


def _sessions(store: Store) -> list[SchedulerSession]:
    with store.connect() as conn:
        return list(scheduler_sessions(conn))
