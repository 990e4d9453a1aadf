"""What only the process that ran a job knows: how long it took and how it ended, and the
articles and feed files it stored or wrote. Counted here, in this process's default registry,
and lost when it exits (Prometheus's counters handle restarts); every other figure comes from
the store (nashra.metrics.store).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from prometheus_client import Counter, Histogram

from nashra.errors import NashraError
from nashra.model import StageReport

JOB_SECONDS = Histogram(
    "nashra_job_duration_seconds",
    "How long this process's jobs ran, by job and how they ended (ok, failed, crashed).",
    ["job", "result"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200),
)
FEEDS_WRITTEN = Counter("nashra_feeds_written", "Feed files this process wrote (changed feeds only).")
ARTICLES_INGESTED = Counter(
    "nashra_articles_ingested", "Articles this process's ingests stored, new or updated.", ["outcome"]
)
for _outcome in ("new", "updated"):
    ARTICLES_INGESTED.labels(_outcome)


def _count(report: StageReport) -> None:
    if report.stage == "feeds":
        FEEDS_WRITTEN.inc(report.counts.get("written", 0))
    elif report.stage == "ingest":
        for outcome in ("new", "updated"):
            ARTICLES_INGESTED.labels(outcome).inc(report.counts.get(outcome, 0))


def measured(job: str, run: Callable[[], StageReport]) -> StageReport:
    """`run()`'s report, its duration observed under `job` and the result the worker records
    (nashra.worker): "failed" for an error the operator can act on, "crashed" for any other. The
    error itself goes on to the caller."""
    started = time.perf_counter()
    result = "crashed"
    try:
        report = run()
        result = "ok"
    except NashraError:
        result = "failed"
        raise
    finally:
        JOB_SECONDS.labels(job, result).observe(time.perf_counter() - started)
    _count(report)
    return report
