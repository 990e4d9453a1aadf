"""The outcomes the store has recorded, read at scrape time: the same figures from the web app
and from every worker, whichever process did the work.

Each scrape runs a few aggregate queries: articles per source, each digest's newest issue's
deliveries by status over the (issue_id, status) index — the send in progress or the last one,
never the whole deliveries table, which grows by a list's size every issue — and the reports
received about that issue since, posts per channel and status over the (channel, status) index,
and the job_runs rows. A store that does not answer gives `nashra_store_up 0` and none of these,
never a figure it did not read.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import Connection
from sqlalchemy.exc import SQLAlchemyError

from nashra.logs import event
from nashra.runtime import Runtime
from nashra.store import feedback, posts
from nashra.store.articles import count_articles
from nashra.store.deliveries import DeliveryStatus, latest_issues
from nashra.store.workers import job_runs_by_name
from nashra.text.urls import redact_credentials

log = logging.getLogger(__name__)


def _gauge(name: str, documentation: str, labels: list[str] | None = None) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, labels=labels)


def _articles(conn: Connection, sources: Iterable[str]) -> GaugeMetricFamily:
    found = _gauge("nashra_articles", "Articles in the store, by source.", ["source"])
    counts = dict.fromkeys(sources, 0) | count_articles(conn)
    for source, n in sorted(counts.items()):
        found.add_metric([source], n)
    return found


def _digests(conn: Connection) -> Iterator[GaugeMetricFamily]:
    issue = _gauge(
        "nashra_digest_issue_id", "Id of each digest's newest issue (a new one: a new send).", ["digest"]
    )
    deliveries = _gauge(
        "nashra_digest_deliveries",
        "Deliveries of each digest's newest issue, by status (queued, sending, submitting, sent,"
        " unknown, failed, deferred, skipped).",
        ["digest", "status"],
    )
    bounced = _gauge(
        "nashra_digest_deliveries_bounced",
        "Failed deliveries of each digest's newest issue whose address is now suppressed as bounced.",
        ["digest"],
    )
    reports = _gauge(
        "nashra_digest_reports",
        "Reports received after sending about each digest's newest issue, by kind (hard_bounce,"
        " soft_bounce, complaint, unsubscribe): by mail or from an email service's webhook.",
        ["digest", "kind"],
    )
    newest = sorted(latest_issues(conn), key=lambda p: p.digest)
    received = feedback.counts_by_issue(conn, [p.issue_id for p in newest])
    for progress in newest:
        issue.add_metric([progress.digest], progress.issue_id)
        for status in DeliveryStatus:
            deliveries.add_metric([progress.digest, status.value], progress.counts.get(status, 0))
        bounced.add_metric([progress.digest], progress.counts.get("bounced", 0))
        kinds = received.get(progress.issue_id)
        for kind in feedback.Kind:
            reports.add_metric([progress.digest, kind.value], kinds[kind] if kinds else 0)
    unmatched = _gauge(
        "nashra_feedback_reports_unmatched",
        "Reports received after sending that named no subscriber Nashra could trust them about.",
    )
    unmatched.add_metric([], feedback.unmatched_count(conn))
    yield from (issue, deliveries, bounced, reports, unmatched)


def _posts(conn: Connection, channels: Iterable[str]) -> GaugeMetricFamily:
    found = _gauge(
        "nashra_social_posts",
        "Posts recorded per channel and status (publishing, posted, retry, failed, unknown, skipped).",
        ["channel", "status"],
    )
    counts = posts.count_by_status(conn)
    for channel in sorted({*channels, *(name for name, _ in counts)}):
        for status in posts.PostStatus:
            found.add_metric([channel, status.value], counts.get((channel, status), 0))
    return found


def _jobs(conn: Connection) -> Iterator[GaugeMetricFamily]:
    success = _gauge(
        "nashra_job_last_success_timestamp_seconds",
        "When each job last ended well (Unix time); kept through the failures after it.",
        ["job"],
    )
    finished = _gauge(
        "nashra_job_last_finished_timestamp_seconds",
        "When each job last ended, well or not (Unix time): later than its last success when it failed.",
        ["job"],
    )
    running = _gauge("nashra_job_running", "1 while a run of the job is in progress.", ["job"])
    for name, run in sorted(job_runs_by_name(conn).items()):
        if run.last_success_at is not None:
            success.add_metric([name], run.last_success_at.timestamp())
        if run.finished_at is not None:
            finished.add_metric([name], run.finished_at.timestamp())
        if run.result is not None:
            running.add_metric([name], int(run.result == "running"))
    yield from (success, finished, running)


class StoreCollector(Collector):
    """A prometheus_client collector over the runtime's store; its settings name the sources and
    channels that get a 0 before they have anything recorded."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    def _read(self) -> list[GaugeMetricFamily]:
        settings = self.runtime.settings
        with self.runtime.store.connect() as conn:
            return [
                _articles(conn, (s.name for s in settings.sources if s.enabled)),
                *_digests(conn),
                _posts(conn, (c.name for c in settings.channels if c.enabled)),
                *_jobs(conn),
            ]

    def collect(self) -> Iterator[GaugeMetricFamily]:
        up = _gauge("nashra_store_up", "1 when the store answered this scrape's queries, else 0.")
        try:
            families = self._read()
        except SQLAlchemyError as exc:
            event(
                log,
                "metrics.store_unreachable",
                level=logging.WARNING,
                error=redact_credentials(str(exc).splitlines()[0]),
            )
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from families
