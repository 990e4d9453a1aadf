"""The distributed mode under fire (issue #14), with real processes on PostgreSQL: two schedulers
and three workers run a full cycle over the demo content plus 5,000 readers, sending to a sink
that keeps messages the way Postfix does. Mid-send one worker is killed with SIGKILL and so is
the active scheduler. What must hold:
- nobody gets the digest twice, and nobody misses it: every reader's message reached the sink,
  except that a row may be "unknown" — a "." the killed worker wrote and whose reply it never
  read — and then it is reported as such, and there are at most as many as the killed worker had
  connections open;
- the issue ends "sent", its batches each finished once, the killed worker's by another worker;
- every demo article posted once to the channel, the feeds built;
- the standby scheduler took over.
"""

from __future__ import annotations

import logging
import re
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest
from postfix_sink import PostfixSink
from sqlalchemy import select, text

from loopback import wait_until
from nashra.config import load_settings
from nashra.jobs import Unit
from nashra.queue.app import open_app
from nashra.queue.task import defer
from nashra.store import Store
from nashra.store.deliveries import deliveries
from nashra.store.digests import digest_issues
from nashra.store.queue_state import scheduler_sessions
from nashra.store.subscribers import subscribers
from queuekit import SLOW, processes, queue_config, succeeded

pytestmark = pytest.mark.postgres_only

DEMO = Path(__file__).parents[2] / "src" / "nashra" / "demo"
READERS = 5_000
CONNECTIONS = 2
RATE = 500
"""Messages per second for the whole issue, across workers: the send lasts ~10 s, so the kills
land in the middle of it on any machine."""


@pytest.fixture
def sink() -> Iterator[PostfixSink]:
    server = PostfixSink()
    server.start()
    yield server
    server.stop()


def _active(store: Store) -> str | None:
    with store.connect() as conn:
        return next((s.name for s in scheduler_sessions(conn) if s.active), None)


def _issue(store: Store) -> tuple[int, str] | None:
    with store.connect() as conn:
        row = conn.execute(select(digest_issues.c.id, digest_issues.c.status)).one_or_none()
    return (row.id, row.status) if row else None


def test_a_killed_worker_and_a_killed_scheduler_lose_no_mail_and_send_none_twice(
    store: Store, database_url: str, tmp_path: Path, sink: PostfixSink
) -> None:
    config = queue_config(
        tmp_path,
        database_url,
        sink.toml(connections=CONNECTIONS) + f"rate_per_second = {RATE}\n\n"
        '[[digests]]\nname = "daily"\nschedule = "0 7 * * *"\n',
    )
    readers = tmp_path / "readers.csv"
    readers.write_text(
        "email,name\n" + "".join(f"reader{n:04d}@oasis.example,قارئ {n}\n" for n in range(READERS)), "utf-8"
    )
    with processes(config) as running:
        running.run("subscribers", "import", str(DEMO / "subscribers.csv"))
        running.run("subscribers", "import", str(readers))
        first = running.start("run")
        wait_until(
            lambda: (_active(store) or "").endswith(f":{first.pid}"), "the first scheduler active", SLOW
        )
        second = running.start("run")
        workers = [running.start("worker", "--concurrency", "2") for _ in range(3)]
        wait_until(lambda: succeeded(store, "ingest:demo", "feeds", "social:outbox"), "the cycle", SLOW)
        app = open_app(load_settings(config), role="test", pool_size=1).open()
        try:
            assert defer(app, Unit("digests", "daily")) is not None  # as its 07:00 trigger would
        finally:
            app.close()
        wait_until(lambda: sum(sink.copies().values()) >= READERS // 4, "the send to be under way", SLOW)
        victim = workers[0]
        victim.send_signal(signal.SIGKILL)
        first.send_signal(signal.SIGKILL)
        kept_at_kill = sum(sink.copies().values())
        wait_until(
            lambda: (_active(store) or "").endswith(f":{second.pid}"), "the standby to take over", SLOW
        )
        wait_until(lambda: (_issue(store) or (0, ""))[1] == "sent", "the issue to be sent", SLOW * 2)
        codes = running.stop_all()
        killed_log = running.output(victim)

    issue = _issue(store)
    assert issue is not None
    with store.connect() as conn:
        rows = dict(
            conn.execute(
                select(subscribers.c.email, deliveries.c.status)
                .join(subscribers, subscribers.c.id == deliveries.c.subscriber_id)
                .where(deliveries.c.issue_id == issue[0])
            ).all()
        )
        batches = dict(
            conn.execute(
                text(
                    "SELECT j.lock, count(*) FILTER (WHERE e.type = 'started') FROM procrastinate_jobs j"
                    " JOIN procrastinate_events e ON e.job_id = j.id WHERE j.lock LIKE 'digests:daily/%'"
                    " GROUP BY j.lock"
                )
            ).all()
        )
        states = conn.execute(
            text("SELECT DISTINCT status::text FROM procrastinate_jobs WHERE lock LIKE 'digests:daily/%'")
        ).scalars()
        finished_batches = set(states)
    copies = sink.copies()
    unknown = sorted(a for a, s in rows.items() if s == "unknown")
    campaign = (
        f"{len(rows)} rows, {sum(copies.values())} messages kept ({kept_at_kill} at the kill), "
        f"{len(unknown)} unknown ({sum(1 for a in unknown if copies[a])} of them kept), batches {batches}"
    )
    logging.getLogger(__name__).warning("scale-out campaign: %s", campaign)
    assert len(rows) == READERS + 3, campaign
    assert {a: n for a, n in copies.items() if n > 1} == {}, campaign  # nobody twice
    assert set(rows.values()) <= {"sent", "unknown"}, campaign
    assert [a for a, s in rows.items() if s == "sent" and not copies[a]] == [], campaign
    assert [a for a in rows if not copies[a] and rows[a] != "unknown"] == [], (
        campaign
    )  # nobody missed silently
    # Only the killed worker leaves "unknown": a "." per open connection of each batch it held.
    started = set(re.findall(r"event=send\.start .*?rows=(\d+-\d*)", killed_log))
    finished = set(re.findall(r"event=send\.done .*?rows=(\d+-\d*)", killed_log))
    interrupted = started - finished
    assert interrupted, "the worker was killed between batches, not mid-send: " + killed_log[-2000:]
    assert len(unknown) <= CONNECTIONS * len(interrupted), campaign
    # Each batch finished once; the killed worker's ones were run again by another worker.
    assert finished_batches == {"succeeded"}, campaign
    assert len(batches) == -(-(READERS + 3) // 1000), campaign
    assert all(batches[f"digests:daily/{issue[0]}/{span}"] >= 2 for span in interrupted), campaign
    posts = (tmp_path / "outbox" / "social" / "outbox.jsonl").read_text("utf-8").splitlines()
    assert len(posts) == 10 and (tmp_path / "public" / "feeds" / "rss.xml").is_file()
    assert codes[victim.pid] == -signal.SIGKILL and codes[first.pid] == -signal.SIGKILL
    assert {codes[p.pid] for p in (second, *workers[1:])} == {0}, campaign
