"""`nashra status [--format json]`: whether Nashra is healthy and what it will do next, in one command.

The data is nashra.health's; this only lays it out: what needs a human first, then the worker (in
the distributed mode: the scheduler, then the queue's jobs and workers) and its jobs, digests and
their issues (with their clicks and most followed stories, for a digest that counts clicks),
channels and their posts not yet final, and sources. Times are shown in the site's zone (named);
the JSON gives them in UTC.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from nashra.cli.app import STATE, app, console
from nashra.health import COMPLAINT_RATE_LIMIT, Health, IssueHealth, QueueHealth, gather
from nashra.store.feedback import Kind

STATES = ("todo", "doing", "succeeded", "failed", "cancelled", "aborted")
"""procrastinate's job states, in the order a job goes through them."""


class Format(StrEnum):
    TABLE = "table"
    JSON = "json"


def ago(moment: datetime | None, now: datetime) -> str:
    if moment is None:
        return "never"
    seconds = int((now - moment).total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit} ago"
    return f"{seconds}s ago"


def _json(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    raise TypeError(f"not serialisable: {value!r}")


REPORT_WORDS = {
    Kind.HARD_BOUNCE: "hard bounced",
    Kind.SOFT_BOUNCE: "soft bounced",
    Kind.COMPLAINT: "complained",
    Kind.UNSUBSCRIBE: "unsubscribed later",
}


def _reported(issue: IssueHealth) -> str:
    """What came back after the send (nashra.feedback), complaints in red above the guideline."""
    parts = [f"{issue.reports[k]} {words}" for k, words in REPORT_WORDS.items() if issue.reports.get(k)]
    if issue.complaint_rate > COMPLAINT_RATE_LIMIT:
        parts = [f"[red]{p}[/]" if p.endswith("complained") else p for p in parts]
    return ", ".join(parts)


def _print(health: Health) -> None:
    now, zone = health.generated_at, health.generated_at.tzinfo

    def local(moment: datetime | None) -> str:
        return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z") if moment else "—"

    attention = health.attention
    if attention:
        console.print(f"[bold yellow]needs attention ({len(attention)}):[/]")
        for line in attention:
            console.print(f"  [yellow]•[/] {escape(line)}", highlight=False, soft_wrap=True)
    else:
        console.print("[green]nothing needs attention[/]")
    worker = health.worker
    role = "worker" if health.queue is None else "scheduler"
    if worker is None:
        console.print(f"{role}: none has run against this database")
    elif worker.alive:
        console.print(
            f"{role}: [green]running[/] {escape(worker.id)} since {local(worker.started_at)} "
            f"(heartbeat {ago(worker.heartbeat_at, now)})",
            highlight=False,
        )
    else:
        how = "stopped" if worker.stopped_at else "heartbeat lost"
        console.print(
            f"{role}: [red]not running[/] — last {escape(worker.id)}, {how} {ago(worker.heartbeat_at, now)}",
            highlight=False,
        )
    if health.queue is not None:
        _print_queue(health.queue, now, local)

    jobs = Table(title=f"Jobs ({health.timezone})")
    for column in ("job", "last run", "result", "next run"):
        jobs.add_column(column, overflow="fold")
    for job in health.jobs:
        result = job.last_result or ""
        if job.last_summary:
            result += f": {job.last_summary}"
        colour = "red" if job.last_result in ("failed", "crashed") else "default"
        planned = local(job.next_run) + ("" if job.scheduled_by == "worker" else " (if a worker started now)")
        jobs.add_row(job.id, ago(job.last_started, now), f"[{colour}]{escape(result)}[/]", planned)
    console.print(jobs)

    _print_digests(health)

    channels = Table(title="Channels")
    for column in ("channel", "state", "posted", "retry", "failed", "unknown"):
        channels.add_column(column)
    for channel in health.channels:
        state = (
            "paused: " + channel.paused.reason if channel.paused else "on" if channel.enabled else "disabled"
        )
        channels.add_row(
            channel.name,
            escape(state),
            *(str(channel.counts.get(s, 0)) for s in ("posted", "retry", "failed", "unknown")),
        )
    console.print(channels)
    waiting = [(c.name, p) for c in health.channels for p in c.open]
    if waiting:
        table = Table(title="Posts not final")
        for column in ("id", "channel", "article", "status", "what is happening", "what you can do"):
            table.add_column(column, overflow="fold")
        for name, post in waiting:
            table.add_row(
                str(post.id), name, escape(post.title), post.status, escape(post.state), escape(post.action)
            )
        console.print(table)

    sources = Table(title="Sources")
    for column in ("name", "type", "articles", "last success", "last error"):
        sources.add_column(column, overflow="fold")
    for source in health.sources:
        error = ""
        if source.last_error:
            error = f"[red]{escape(source.last_error)}[/] ({source.consecutive_failures}×)"
        sources.add_row(source.name, source.type, str(source.articles), ago(source.last_success, now), error)
    console.print(sources)
    console.print(f"articles stored: {health.articles}")
    if health.inbound_kept:
        console.print(
            f"inbound mail that acted on nobody: {health.inbound_kept} kept (`nashra inbound list`)",
            highlight=False,
        )


def _print_digests(health: Health) -> None:
    """Each digest's last issues; with a digest that counts clicks, a clicks column and each
    issue's most followed stories."""
    clicks = any(issue.clicks is not None for digest in health.digests for issue in digest.issues)
    issues = Table(title="Digests: last issues")
    columns = ("sent", "failed", "bounced", "skipped", "unknown")
    for column in (
        "digest",
        "issue",
        "status",
        *columns,
        "progress",
        "reported later",
        *(["clicks"] if clicks else []),
    ):
        issues.add_column(column)
    stories = Table(title="Clicks: most followed stories")
    for column in ("digest", "issue", "story", "clicks"):
        stories.add_column(column, overflow="fold")
    for digest in health.digests:
        state = (
            "disabled" if not digest.enabled else f"paused: {digest.paused.reason}" if digest.paused else ""
        )
        if not digest.issues:
            issues.add_row(digest.name, "—", state or "no issue yet", *[""] * (len(columns) + 2 + clicks))
        for issue in digest.issues:
            cells = [str(issue.counts.get(c, 0)) for c in columns]
            if issue.counts.get("unknown"):
                cells[-1] = f"[yellow]{cells[-1]}[/]"
            issues.add_row(
                digest.name,
                str(issue.id),
                escape(state or issue.status),
                *cells,
                f"{issue.progress_percent}%",
                _reported(issue),
                *([str(issue.clicks.total) if issue.clicks else ""] if clicks else []),
            )
            for story in issue.clicks.top if issue.clicks else ():
                stories.add_row(
                    digest.name, str(issue.id), escape(story.title or story.article_id), str(story.clicks)
                )
    console.print(issues)
    if stories.row_count:
        console.print(stories)


def _print_queue(queue: QueueHealth, now: datetime, local: Callable[[datetime | None], str]) -> None:
    """The distributed mode: schedulers, queue workers, and jobs per queue by state."""
    for scheduler in queue.schedulers:
        state = "[green]active[/]" if scheduler.active else "standby"
        console.print(
            f"  {escape(scheduler.name)}: {state}, connected since {local(scheduler.since)}", highlight=False
        )
    table = Table(title="Queue: jobs")
    for column in ("queue", *STATES):
        table.add_column(column)
    for name, states in sorted(queue.jobs.items()):
        cells = [str(states.get(state, 0)) for state in STATES]
        if states.get("failed"):
            cells[STATES.index("failed")] = f"[red]{cells[STATES.index('failed')]}[/]"
        table.add_row(name, *cells)
    console.print(table)
    workers = Table(title="Queue: workers")
    for column in ("worker", "state", "last heartbeat", "running jobs"):
        workers.add_column(column)
    for worker in queue.workers:
        state = "[green]alive[/]" if worker.alive else "[red]silent[/] (its jobs go back to the queue)"
        workers.add_row(f"#{worker.id}", state, ago(worker.heartbeat_at, now), str(worker.running))
    console.print(workers)


@app.command()
def status(
    format: Annotated[
        Format, typer.Option("--format", help="table for people, json for scripts and monitoring.")
    ] = Format.TABLE,
) -> None:
    """Whether Nashra is healthy and what it will do next: what needs attention, the worker and its
    jobs (last run, next run as the running worker has it), digests and their last issues (and
    their clicks, for a digest that counts them), channels and their posts not yet final, sources.
    In JSON, `attention` is empty when all is well."""
    with STATE.runtime() as runtime:
        health = gather(runtime, datetime.now(runtime.settings.site.zone))
    if format is Format.JSON:
        document = dataclasses.asdict(health) | {"attention": health.attention}
        typer.echo(json.dumps(document, default=_json, ensure_ascii=False, indent=2))
    else:
        _print(health)
