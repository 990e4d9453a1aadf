"""The queue upkeep the active scheduler does: jobs of a silent worker go back to the queue (the
worker is dropped, a live one keeps its job), and finished jobs are deleted after
`keep_finished_hours` while failed ones stay."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from procrastinate import App
from sqlalchemy import text

from nashra.jobs import Unit
from nashra.model import StageReport
from nashra.queue import task
from nashra.queue.app import open_app
from nashra.queue.scheduler import delete_finished, retry_stalled
from nashra.queue.task import defer
from nashra.runtime import Runtime

pytestmark = pytest.mark.postgres_only

QUEUE = '[queue]\nbackend = "procrastinate"\nstalled_after_seconds = 6\n'


@pytest.fixture
def queue(make_runtime: Callable[[str], Runtime]) -> Iterator[tuple[Runtime, App]]:
    runtime = make_runtime(QUEUE)
    app = open_app(runtime.settings, role="test", pool_size=1).open()
    yield runtime, app
    app.close()


def _status(runtime: Runtime) -> dict[str, str]:
    with runtime.store.connect() as conn:
        return dict(conn.execute(text("SELECT lock, status::text FROM procrastinate_jobs")).all())


def test_jobs_of_a_silent_worker_go_back_and_a_live_workers_stay(queue: tuple[Runtime, App]) -> None:
    runtime, app = queue
    defer(app, Unit("ingest", "a"))
    defer(app, Unit("ingest", "b"))
    with runtime.store.begin() as conn:
        silent, live = (
            conn.execute(
                text("INSERT INTO procrastinate_workers (last_heartbeat) VALUES (:at) RETURNING id"),
                {"at": at},
            ).scalar_one()
            for at in ("2020-01-01T00:00:00Z", "now")
        )
        for lock, worker in (("ingest:a", silent), ("ingest:b", live)):
            conn.execute(
                text(
                    "UPDATE procrastinate_jobs SET status = 'doing', worker_id = :worker WHERE lock = :lock"
                ),
                {"worker": worker, "lock": lock},
            )
    retry_stalled(app, runtime.settings.queue.stalled_after_seconds)
    assert _status(runtime) == {"ingest:a": "todo", "ingest:b": "doing"}
    with runtime.store.connect() as conn:
        assert conn.execute(text("SELECT id FROM procrastinate_workers")).scalars().all() == [live]


def test_finished_jobs_are_deleted_after_their_retention_failed_ones_are_kept(
    queue: tuple[Runtime, App],
) -> None:
    runtime, app = queue
    for unit, status in (
        (Unit("feeds"), "succeeded"),
        (Unit("social", "x"), "failed"),
        (Unit("social", "y"), "succeeded"),
    ):
        defer(app, unit)
        with runtime.store.begin() as conn:
            conn.execute(
                text("UPDATE procrastinate_jobs SET status = 'doing' WHERE lock = :lock"), {"lock": unit.key}
            )
            conn.execute(
                text("UPDATE procrastinate_jobs SET status = :s WHERE lock = :lock"),
                {"s": status, "lock": unit.key},
            )
    with runtime.store.begin() as conn:  # feeds and social:x finished 200 hours ago
        conn.execute(
            text(
                "UPDATE procrastinate_events SET at = now() - interval '200 hours' WHERE job_id IN"
                " (SELECT id FROM procrastinate_jobs WHERE lock IN ('feeds', 'social:x'))"
            )
        )
    delete_finished(app, runtime.settings.queue.keep_finished_hours)
    assert _status(runtime) == {"social:x": "failed", "social:y": "succeeded"}


def test_a_job_that_crashed_runs_again_later_not_left_failed(
    queue: tuple[Runtime, App], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A batch that crashed (its archive write failed) kept its 1,000 rows waiting for the next
    day's digest job: a crashed job is tried again, and only fails for good after RETRY."""
    runtime, app = queue
    crashes = [OSError("No space left on device")]

    def run_unit(_runtime: Runtime, unit: Unit) -> StageReport:
        if crashes:
            raise crashes.pop()
        return StageReport(unit.stage, counts={"sources_ok": 1})

    monkeypatch.setattr(task, "run_unit", run_unit)
    defer(app, Unit("ingest", "a"))
    app.run_worker(wait=False, additional_context={"runtime": runtime}, install_signal_handlers=False)
    with runtime.store.connect() as conn:
        status, attempts, later = conn.execute(
            text(
                "SELECT status::text, attempts, scheduled_at > now() + interval '10 seconds' FROM procrastinate_jobs"
            )
        ).one()
    assert (status, attempts, later) == ("todo", 1, True)
    with runtime.store.begin() as conn:
        conn.execute(text("UPDATE procrastinate_jobs SET scheduled_at = now()"))
    app.run_worker(wait=False, additional_context={"runtime": runtime}, install_signal_handlers=False)
    assert _status(runtime) == {"ingest:a": "succeeded"}
