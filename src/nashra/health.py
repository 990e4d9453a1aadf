"""What Nashra is doing and what needs a human, as one plain data structure.

`nashra status` prints it as tables or as JSON (for scripts and monitoring), and the console can
show the same. Everything comes from the store, so it works from any process and machine: the
worker's heartbeat and its own schedule (nashra.store.workers), each digest's issues (with their
clicks, for a digest that counts them: nashra.store.clicks), each channel's posts, each source's
last fetch, pauses, the secrets that would stop a command and, in the distributed mode, the queue
(nashra.store.queue_state). There the "worker" of the inline mode is the active scheduler: it
beats and records each job's last and next run the same way.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Connection

from nashra.config import Settings
from nashra.config.digests import DigestSettings
from nashra.digest import configured_digests
from nashra.digest.alert import alert_digest
from nashra.pipeline import all_jobs
from nashra.preflight import Uses, missing_secrets
from nashra.runtime import Runtime
from nashra.social.open_posts import open_posts
from nashra.social.registry import configured_channels
from nashra.sources.registry import configured_sources
from nashra.store import feedback, inbound, queue_state, workers
from nashra.store import posts as records
from nashra.store.articles import count_articles
from nashra.store.clicks import IssueClicks, issue_clicks
from nashra.store.deliveries import DeliveryStatus, IssueProgress, recent_issues
from nashra.store.feedback import Kind
from nashra.store.pauses import Pause, Paused, all_pauses
from nashra.store.sources import all_states
from nashra.text.urls import redact_credentials
from nashra.worker import next_run

COMPLAINT_RATE_LIMIT = 0.001
"""Spam complaints per message sent above which an issue needs attention (Gmail's bulk-sender
guideline: under 0.1%, never 0.3%)."""


@dataclass(frozen=True, slots=True)
class WorkerHealth:
    id: str
    alive: bool
    started_at: datetime
    heartbeat_at: datetime
    stopped_at: datetime | None


@dataclass(frozen=True, slots=True)
class JobHealth:
    id: str
    next_run: datetime | None
    scheduled_by: str
    """"worker" (as the running worker has it) or "config" (when one would start now)."""
    last_started: datetime | None = None
    last_finished: datetime | None = None
    last_result: str | None = None
    last_summary: str | None = None


@dataclass(frozen=True, slots=True)
class PauseHealth:
    since: datetime
    reason: str


@dataclass(frozen=True, slots=True)
class IssueHealth:
    id: int
    status: str
    created_at: datetime
    counts: dict[str, int]
    """Deliveries by outcome: sent, failed (of which bounced), skipped, unknown, and still to go."""
    progress_percent: int
    reports: dict[str, int] = field(default_factory=dict)
    """Reports received after the send, by kind (nashra.feedback): hard_bounce, complaint, …"""

    @property
    def complaint_rate(self) -> float:
        """Complaints per message sent: what mailbox providers judge a sender by (Gmail asks for
        under 0.1%, and refuses bulk mail above 0.3%)."""
        sent = self.counts.get(DeliveryStatus.SENT, 0)
        return self.reports.get(Kind.COMPLAINT, 0) / sent if sent else 0.0

    clicks: IssueClicks | None = None
    """Clicks on its story links and the most followed stories; None unless its digest counts them."""


@dataclass(frozen=True, slots=True)
class DigestHealth:
    name: str
    enabled: bool
    paused: PauseHealth | None
    issues: list[IssueHealth]


@dataclass(frozen=True, slots=True)
class OpenPostHealth:
    id: int
    title: str
    status: str
    state: str
    action: str


@dataclass(frozen=True, slots=True)
class ChannelHealth:
    name: str
    type: str
    enabled: bool
    paused: PauseHealth | None
    counts: dict[str, int]
    open: list[OpenPostHealth]


@dataclass(frozen=True, slots=True)
class SourceHealth:
    name: str
    type: str
    articles: int
    last_success: datetime | None
    last_error: str | None
    consecutive_failures: int


@dataclass(frozen=True, slots=True)
class QueueWorkerHealth:
    id: int
    heartbeat_at: datetime
    alive: bool
    running: int


@dataclass(frozen=True, slots=True)
class SchedulerHealth:
    name: str
    since: datetime
    active: bool


@dataclass(frozen=True, slots=True)
class QueueHealth:
    """The distributed mode's queue: jobs per queue (a stage) by state, procrastinate's workers,
    and the schedulers connected (the active one holds the lock)."""

    jobs: dict[str, dict[str, int]]
    workers: list[QueueWorkerHealth]
    schedulers: list[SchedulerHealth]

    @property
    def active_scheduler(self) -> SchedulerHealth | None:
        return next((s for s in self.schedulers if s.active), None)

    @property
    def live_workers(self) -> list[QueueWorkerHealth]:
        return [w for w in self.workers if w.alive]

    def in_state(self, state: str) -> int:
        """Jobs in `state` ("todo" waiting, "doing" running, "failed", …) over every queue."""
        return sum(states.get(state, 0) for states in self.jobs.values())

    @property
    def failed(self) -> dict[str, int]:
        """Failed jobs by queue: they stay until an operator deletes them, so each is worth a look."""
        return {queue: states["failed"] for queue, states in self.jobs.items() if states.get("failed")}

    def attention(self) -> list[str]:
        lines = []
        if self.active_scheduler is None:
            lines.append("no active scheduler (`nashra run`): nothing is queued on schedule")
        if not self.live_workers:
            lines.append(f"no queue worker alive (`nashra worker`): {self.in_state('todo')} jobs waiting")
        lines += [
            f"queue {queue}: {count} failed jobs (see the workers' logs)"
            for queue, count in self.failed.items()
        ]
        return lines


@dataclass(frozen=True, slots=True)
class Health:
    generated_at: datetime
    timezone: str
    worker: WorkerHealth | None
    jobs: list[JobHealth]
    digests: list[DigestHealth]
    channels: list[ChannelHealth]
    sources: list[SourceHealth]
    articles: int
    missing_secrets: list[str] = field(default_factory=list)
    queue: QueueHealth | None = None
    """Only with `[queue] backend = "procrastinate"`."""
    unmatched_reports: int = 0
    """Reports received after sending that named no subscriber Nashra could trust them about."""
    inbound_kept: int = 0
    """Mail that came back and acted on nobody (unreadable, unrecognised, unmatched): `nashra inbound list`."""

    @property
    def attention(self) -> list[str]:
        """What needs a human, most urgent first, one line each."""
        lines = [*self.missing_secrets, *(self.queue.attention() if self.queue else [])]
        if self.worker is not None and not self.worker.alive:
            how = "stopped" if self.worker.stopped_at else "stopped sending heartbeats (killed or frozen?)"
            lines.append(f"the worker {self.worker.id} {how}: nothing runs on schedule until one starts")
        for digest in self.digests:
            unknown = sum(i.counts.get(DeliveryStatus.UNKNOWN, 0) for i in digest.issues)
            if unknown:
                lines.append(f"digest {digest.name}: {unknown} deliveries of unknown fate in its last issues")
            lines += [
                f"digest {digest.name}, issue {i.id}: {i.reports[Kind.COMPLAINT]} spam complaints, "
                f"{i.complaint_rate:.2%} of sent (keep it under {COMPLAINT_RATE_LIMIT:.1%})"
                for i in digest.issues
                if i.complaint_rate > COMPLAINT_RATE_LIMIT
            ]
            if digest.paused:
                lines.append(f"digest {digest.name} is paused ({digest.paused.reason})")
        for channel in self.channels:
            unknown = channel.counts.get("unknown", 0)
            if unknown:
                lines.append(f"channel {channel.name}: {unknown} posts of unknown outcome (see below)")
            if channel.paused:
                lines.append(f"channel {channel.name} is paused ({channel.paused.reason})")
        lines += [
            f"source {s.name}: failing {s.consecutive_failures}× ({s.last_error})"
            for s in self.sources
            if s.last_error
        ]
        if self.unmatched_reports:
            lines.append(
                f"{self.unmatched_reports} bounce or complaint reports matched no subscriber "
                "(kept; see `nashra subscribers reports --unmatched`)"
            )
        return lines


def _pause(pauses: dict[tuple[Paused, str], Pause], kind: Paused, name: str) -> PauseHealth | None:
    found = pauses.get((kind, name))
    return PauseHealth(found.paused_at, found.reason) if found else None


def issue_health(
    issue: IssueProgress, reports: Mapping[Kind, int] | None = None, clicks: IssueClicks | None = None
) -> IssueHealth:
    """An issue's counts with how many are still to go and the percent done (status, console)."""
    counts = dict(issue.counts)
    total = sum(n for status, n in counts.items() if status in DeliveryStatus.__members__.values())
    to_go = sum(
        counts.get(s, 0)
        for s in (
            DeliveryStatus.QUEUED,
            DeliveryStatus.SENDING,
            DeliveryStatus.SUBMITTING,
            DeliveryStatus.DEFERRED,
        )
    )
    percent = 100 if total == 0 else round(100 * (total - to_go) / total)
    return IssueHealth(
        issue.issue_id,
        issue.status,
        issue.created_at,
        counts,
        percent,
        {k.value: n for k, n in (reports or {}).items()},
        clicks,
    )


def counted_clicks(
    conn: Connection, settings: Settings, issues: Sequence[IssueProgress]
) -> dict[int, IssueClicks | None]:
    """Each issue's clicks (none yet: zero); None for an issue of a digest that does not count them."""
    counting = {d.name for d in settings.digests if d.count_clicks}
    found = issue_clicks(conn, [i.issue_id for i in issues if i.digest in counting])
    return {
        i.issue_id: found.get(i.issue_id, IssueClicks(0, ())) if i.digest in counting else None
        for i in issues
    }


def _jobs(
    runtime: Runtime, worker: WorkerHealth | None, runs: dict[str, workers.JobRun], now: datetime
) -> list[JobHealth]:
    settings = runtime.settings
    live = worker is not None and worker.alive
    jobs = []
    for job in all_jobs(settings):
        run = runs.get(job.id)
        if live and run is not None:
            upcoming, source = run.next_run_at, "worker"
        else:
            upcoming, source = next_run(job.when, settings.site.zone, now), "config"
        jobs.append(
            JobHealth(
                job.id,
                upcoming,
                source,
                run.started_at if run else None,
                run.finished_at if run else None,
                run.result if run else None,
                run.summary if run else None,
            )
        )
    return jobs


def _channels(
    runtime: Runtime, conn: Connection, pauses: dict[tuple[Paused, str], Pause], now: datetime
) -> list[ChannelHealth]:
    by_status = records.count_by_status(conn)
    pending = open_posts(conn, now)
    channels = []
    for _, config in configured_channels(runtime.settings):
        counts = {status.value: n for (name, status), n in by_status.items() if name == config.name}
        mine = [
            OpenPostHealth(p.record.id, p.title, p.record.status.value, p.state, p.action)
            for p in pending
            if p.record.channel == config.name
        ]
        channels.append(
            ChannelHealth(
                config.name,
                config.type,
                config.enabled,
                _pause(pauses, Paused.CHANNEL, config.name),
                counts,
                mine,
            )
        )
    return channels


def queue_health(settings: Settings, conn: Connection, now: datetime) -> QueueHealth:
    """One reading of the queue for `nashra status` and `nashra check`, so both judge a worker alive
    and a scheduler active alike. PostgreSQL only: these are procrastinate's tables."""
    jobs: dict[str, dict[str, int]] = {}
    for count in queue_state.job_counts(conn):
        jobs.setdefault(count.queue, {})[count.status] = count.jobs
    alive_within = timedelta(seconds=settings.queue.stalled_after_seconds)
    return QueueHealth(
        jobs,
        [
            QueueWorkerHealth(w.id, w.last_heartbeat, now - w.last_heartbeat < alive_within, w.running)
            for w in queue_state.queue_workers(conn)
        ],
        [SchedulerHealth(s.name, s.since, s.active) for s in queue_state.scheduler_sessions(conn)],
    )


def _alert(settings: Settings) -> list[DigestSettings]:
    """The breaking-news alert's issues are shown as a digest's."""
    found = alert_digest(settings)
    return [found] if found else []


def gather(runtime: Runtime, now: datetime) -> Health:
    settings = runtime.settings
    with runtime.store.connect() as conn:
        newest = workers.newest_worker(conn)
        runs = workers.job_runs_by_name(conn)
        issues = recent_issues(conn, limit=30)
        reports = feedback.counts_by_issue(conn, [i.issue_id for i in issues])
        unmatched = feedback.unmatched_count(conn)
        clicked = counted_clicks(conn, settings, issues)
        pauses = {(p.kind, p.name): p for p in all_pauses(conn)}
        states = {s.name: s for s in all_states(conn)}
        articles = count_articles(conn)
        kept = inbound.kept_count(conn)
        channels = _channels(runtime, conn, pauses, now)
        queue = queue_health(settings, conn, now) if settings.queue.backend == "procrastinate" else None
    worker = (
        WorkerHealth(newest.id, newest.alive(now), newest.started_at, newest.heartbeat_at, newest.stopped_at)
        if newest
        else None
    )
    digests = [
        DigestHealth(
            digest.name,
            digest.enabled,
            _pause(pauses, Paused.DIGEST, digest.name),
            [
                issue_health(i, reports.get(i.issue_id), clicked[i.issue_id])
                for i in issues
                if i.digest == digest.name
            ][:5],
        )
        for digest in [*configured_digests(settings), *_alert(settings)]
    ]
    sources = []
    for _, config in configured_sources(settings):
        state = states.get(config.name)
        sources.append(
            SourceHealth(
                config.name,
                config.type,
                articles.get(config.name, 0),
                state.last_success_at if state else None,
                redact_credentials(state.last_error) if state and state.last_error else None,
                state.consecutive_failures if state else 0,
            )
        )
    return Health(
        generated_at=now,
        timezone=settings.site.timezone,
        worker=worker,
        jobs=_jobs(runtime, worker, runs, now),
        digests=digests,
        channels=channels,
        sources=sources,
        articles=sum(articles.values()),
        missing_secrets=missing_secrets(settings, Uses(sources=True, channels=True, mail=True)),
        queue=queue,
        unmatched_reports=unmatched,
        inbound_kept=kept,
    )
