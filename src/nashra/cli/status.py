"""`nashra status`: what the sources last did, what is stored, and when each job runs next."""

from __future__ import annotations

from datetime import UTC, datetime

from rich.markup import escape
from rich.table import Table

from nashra.cli.app import STATE, app, console
from nashra.cli.post import print_open_posts
from nashra.pipeline import all_jobs
from nashra.preflight import Uses, missing_secrets
from nashra.sources.registry import configured_sources
from nashra.store import posts as records
from nashra.store.articles import count_articles
from nashra.store.deliveries import DeliveryStatus, IssueProgress, recent_issues
from nashra.store.posts import PostStatus
from nashra.store.sources import all_states
from nashra.text.urls import redact_credentials
from nashra.worker import next_run


def _ago(moment: datetime | None) -> str:
    if moment is None:
        return "never"
    seconds = int((datetime.now(UTC) - moment).total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit} ago"
    return f"{seconds}s ago"


def _print_issues(issues: list[IssueProgress]) -> None:
    """Every issue's deliveries by outcome; "unknown" ones (fate not seen) in the operator's face."""
    if not issues:
        return
    table = Table(title="Digest issues")
    columns = ("sent", "failed", "skipped", "unknown", "queued", "deferred")
    for column in ("digest", "issue", "status", *columns):
        table.add_column(column)
    for issue in issues:
        unknown = issue.counts.get(DeliveryStatus.UNKNOWN, 0)
        cells = [str(issue.counts.get(c, 0)) for c in columns]
        if unknown:
            cells[columns.index("unknown")] = f"[yellow]{unknown}[/]"
        table.add_row(issue.digest, str(issue.issue_id), issue.status, *cells)
    console.print(table)


@app.command()
def status() -> None:
    """Show sources (last success and error), article counts, the next scheduled runs and every
    social post that is not final."""
    with STATE.runtime() as runtime:
        settings = runtime.settings
        with runtime.store.connect() as conn:
            states = {s.name: s for s in all_states(conn)}
            counts = count_articles(conn)
            issues = recent_issues(conn)
        sources = Table(title="Sources")
        for column in ("name", "type", "articles", "last success", "last error"):
            sources.add_column(column)
        for _, config in configured_sources(settings):
            state = states.get(config.name)
            error = redact_credentials(state.last_error) if state and state.last_error else ""
            if error and state:
                error = f"[red]{escape(error)}[/] ({state.consecutive_failures}× since {_ago(state.last_success_at)})"
            sources.add_row(
                config.name,
                config.type,
                str(counts.get(config.name, 0)),
                _ago(state.last_success_at if state else None),
                error,
            )
        console.print(sources)
        _print_issues(issues)
        jobs = Table(title=f"Schedule ({settings.site.timezone})")
        jobs.add_column("job")
        jobs.add_column("next run")
        now = datetime.now(settings.site.zone)
        for job in all_jobs(settings):
            upcoming = next_run(job.when, settings.site.zone, now)
            jobs.add_row(job.id, upcoming.strftime("%Y-%m-%d %H:%M %Z") if upcoming else "never")
        console.print(jobs)
        console.print(f"articles stored: {sum(counts.values())}")
        missing = missing_secrets(settings, Uses(sources=True, channels=True, mail=True))
        if missing:
            console.print("[yellow]run, post and digest send would not start:[/]")
            for problem in missing:
                console.print(escape(problem), highlight=False, soft_wrap=True)
        with runtime.store.connect() as conn:
            by_status = records.count_by_status(conn)
        if by_status:
            posts = Table(title="Social posts")
            posts.add_column("channel")
            for post_status in PostStatus:
                posts.add_column(post_status.value)
            for name in sorted({channel for channel, _ in by_status}):
                posts.add_row(escape(name), *(str(by_status.get((name, s), 0)) for s in PostStatus))
            console.print(posts)
        print_open_posts(runtime)
