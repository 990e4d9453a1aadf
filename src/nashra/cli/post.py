"""`nashra post`: post pending articles to the social channels, or show exactly what would go out."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from nashra.cli.app import STATE, app, console
from nashra.preflight import Uses
from nashra.runtime import Runtime
from nashra.social.open_posts import open_posts
from nashra.social.post import PostResult, post_pending
from nashra.store import posts as records
from nashra.store.posts import PostStatus


class Format(StrEnum):
    table = "table"
    json = "json"


def _print_table(results: list[PostResult], *, dry_run: bool) -> None:
    table = Table(title="Social posts — what would be sent" if dry_run else "Social posts", show_lines=True)
    for column in ("channel", "article", "status", "length / limit", "text" if dry_run else "result"):
        table.add_column(column, overflow="fold")
    for result in results:
        post = result.post
        size = f"{post.length} / {post.limit}" if post else ""
        detail = (
            (post.text if post else result.error or "")
            if dry_run
            else (result.remote_url or result.remote_id or result.held or result.error or "")
        )
        table.add_row(
            escape(result.channel),
            escape(result.title),
            escape((result.held and f"held: {result.held}") or result.status),
            size,
            escape(detail),
        )
    console.print(table if results else "[dim]nothing pending[/]")


def print_open_posts(runtime: Runtime, *, channel: str | None = None) -> None:
    """Every post that is not final, with what is happening and what the operator can do."""
    with runtime.store.connect() as conn:
        waiting = open_posts(conn, datetime.now(UTC), channel=channel)
    if not waiting:
        return
    table = Table(title="Posts not final", show_lines=True)
    for column in ("id", "channel", "article", "status", "what is happening", "what you can do"):
        table.add_column(column, overflow="fold")
    for item in waiting:
        record = item.record
        table.add_row(
            str(record.id),
            escape(record.channel),
            escape(item.title),
            record.status,
            escape(item.state),
            escape(item.action),
        )
    console.print(table)


@app.command("post")
def post_command(
    channel: Annotated[str | None, typer.Option("--channel", help="Only this channel (its `name`).")] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Render what is pending; send and record nothing.")
    ] = False,
    output: Annotated[
        Format, typer.Option("--format", help="table, or json: exact text, length, limit, attachments.")
    ] = Format.table,
    mark_posted: Annotated[
        int | None,
        typer.Option(
            "--mark-posted", metavar="ID", help="An 'unknown' post is on the platform: record it as posted."
        ),
    ] = None,
    send_again: Annotated[
        int | None,
        typer.Option(
            "--send-again",
            metavar="ID",
            help="Post an 'unknown' (not on the platform) or 'failed' (cause fixed) post again.",
        ),
    ] = None,
) -> None:
    """Post new articles to every channel once (or just --channel); --dry-run shows the exact posts."""
    record_id = mark_posted if mark_posted is not None else send_again
    posts = record_id is None and not dry_run
    with STATE.runtime(uses=Uses(channels=posts, channel=channel)) as runtime:
        if record_id is not None:
            with runtime.store.begin() as conn:
                done = records.resolve(conn, record_id, posted=mark_posted is not None, now=datetime.now(UTC))
            if not done:
                wanted = "'unknown'" if mark_posted is not None else "'unknown' or 'failed'"
                console.print(f"[red]no post with id {record_id} in status {wanted}[/]")
                raise typer.Exit(1)
            console.print(
                f"post {record_id}: {'posted' if mark_posted is not None else 'will be sent again'}"
            )
            return
        run = post_pending(runtime, channel=channel, dry_run=dry_run)
        if output is Format.json:
            typer.echo(json.dumps([r.as_json() for r in run.results], ensure_ascii=False, indent=2))
        else:
            _print_table(run.results, dry_run=dry_run)
            print_open_posts(runtime, channel=channel)
        for problem in run.problems:
            console.print(f"[yellow]•[/] {escape(problem)}", highlight=False, soft_wrap=True)
        with runtime.store.connect() as conn:
            left_unknown = not dry_run and any(
                r.status is PostStatus.UNKNOWN for r in records.open_records(conn, channel=channel)
            )
        if left_unknown or any(r.status in (PostStatus.FAILED, PostStatus.UNKNOWN) for r in run.results):
            raise typer.Exit(1)  # something failed now, or an outcome waits for the operator
