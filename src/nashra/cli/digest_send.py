"""`nashra digest send [NAME] [--dry-run] [--to ADDRESS]`: mail a digest to its subscribers."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from nashra.cli.app import STATE, console
from nashra.cli.digest import digest_app
from nashra.mail.send import SendStatus, SendSummary, unknown_line
from nashra.preflight import Uses
from nashra.shutdown import stop_on_signals

EXIT_INCOMPLETE = 3
"""The send finished, but some deliveries failed or their fate is unknown (see the summary)."""


def _rate_column() -> TextColumn:
    return TextColumn("{task.fields[rate]}", style="cyan")


def _print_summary(summary: SendSummary) -> None:
    table = Table(title=f"digest {summary.digest} — issue {summary.issue_id}")
    for column in (
        "status",
        "recipients",
        "sent",
        "retried",
        "failed",
        "bounced",
        "skipped",
        "unknown",
        "pauses",
        "time",
    ):
        table.add_column(column)
    table.add_row(
        summary.status,
        str(summary.total),
        str(summary.sent),
        str(summary.retried),
        str(summary.failed),
        str(summary.bounced),
        str(summary.skipped),
        str(summary.unknown),
        str(summary.pauses),
        f"{summary.seconds:.1f} s",
    )
    console.print(table)
    if summary.unknown:
        console.print(
            f"[yellow]{unknown_line(summary)}[/]",
            highlight=False,
            soft_wrap=True,
        )
    for error in summary.errors[-5:]:
        console.print(f"  [yellow]•[/] {escape(error)}", highlight=False, soft_wrap=True)


@digest_app.command("send")
def send_command(
    name: Annotated[
        str | None,
        typer.Argument(help="Digest name (default: the first digest in the config).", show_default=False),
    ] = None,
    dry_run: Annotated[
        bool,
        typer.Option("--dry-run", help="Show what would be sent and to how many; record and send nothing."),
    ] = False,
    to: Annotated[
        str | None,
        typer.Option(
            "--to",
            metavar="ADDRESS",
            help="Test send to this one address only, subject prefixed; records nothing.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Send the digest's open issue, or a new one when there is something new. Safe to re-run:
    nobody gets a copy twice, and an interrupted send resumes where it stopped.

    Exit status: 0 every recipient served; 1 not finished (server unreachable, stopped, another
    sender busy, an error); 2 bad configuration; 3 finished, but some deliveries failed or are unknown.
    """
    from nashra.digest import find_digest, open_issue, prepare_digest
    from nashra.mail.send import send_digest, send_test
    from nashra.store.deliveries import count_eligible

    with STATE.runtime(uses=Uses(mail=not dry_run)) as runtime:
        stop_on_signals(runtime.stopping)
        digest = find_digest(runtime.settings, name)
        if to is not None:
            summary = send_test(runtime, digest, to)
            if summary.status is SendStatus.NOTHING_NEW:
                console.print(f"digest {digest.name}: nothing new to send.")
                return
            if summary.sent:
                console.print(
                    f"[green]test copy sent[/] to {to} via {runtime.settings.mail.transport}", highlight=False
                )
                return
            console.print(f"[red]test copy refused:[/] {escape('; '.join(summary.errors))}", highlight=False)
            raise typer.Exit(1)
        if dry_run:
            with runtime.store.connect() as conn:
                issue = open_issue(conn, digest.name)
                recipients = count_eligible(conn, digest.recipients, digest.name)
            content = issue or prepare_digest(runtime, digest)
            if content is None:
                console.print(f"digest {digest.name}: nothing new; nothing would be sent.")
                return
            state = f"resumes issue {issue.id}" if issue else "a new issue"
            console.print(
                f"digest {digest.name}: {state}, subject [bold]{content.subject}[/], "
                f"{recipients} active recipient(s) on {', '.join(digest.recipients)}; "
                f"transport {runtime.settings.mail.transport}. Nothing sent (dry run).",
                highlight=False,
            )
            return
        with Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            _rate_column(),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=console,
            transient=False,
        ) as bar:
            task = bar.add_task(f"sending {digest.name}", total=None, rate="")

            def progress(summary: SendSummary) -> None:
                speed = bar.tasks[task].speed
                bar.update(
                    task,
                    total=summary.total or None,
                    completed=summary.done,
                    rate=f"{speed:,.0f} msg/s" if speed else "",
                )

            summary = send_digest(runtime, digest, progress=progress)
            progress(summary)
        if summary.status is SendStatus.NOTHING_NEW:
            console.print(f"digest {digest.name}: nothing new since the last issue; nothing sent.")
            return
        if summary.status is SendStatus.BUSY:
            console.print(
                f"[yellow]digest {digest.name}: another nashra process is sending it right now; "
                "nothing done (run again once it has finished).[/]",
                highlight=False,
            )
            raise typer.Exit(1)
        if summary.status is SendStatus.ON_HOLD and summary.issue_id is None:
            console.print(
                f"[yellow]digest {digest.name} is paused ({escape('; '.join(summary.errors))}); nothing sent. "
                f"`nashra digest resume {digest.name}` lets it send again.[/]",
                highlight=False,
            )
            raise typer.Exit(1)
        if summary.status is SendStatus.NO_RECIPIENTS:
            console.print(
                f"digest {digest.name}: no active subscriber on {', '.join(digest.recipients)}; "
                "nothing recorded or sent (add some with `nashra subscribers add`).",
                highlight=False,
            )
            return
        _print_summary(summary)
        if summary.status is SendStatus.PAUSED:
            console.print(
                "[yellow]the mail server stayed unreachable; the rest is kept and resumes on the next run[/]"
            )
            raise typer.Exit(1)
        if summary.status is SendStatus.STOPPED:
            console.print("[yellow]stopped on request; the rest is kept and resumes on the next run[/]")
            raise typer.Exit(1)
        if summary.status is SendStatus.ON_HOLD:
            console.print(
                f"[yellow]digest {digest.name} was paused during the send; the rest waits for "
                f"`nashra digest resume {digest.name}`[/]",
                highlight=False,
            )
            raise typer.Exit(1)
        if summary.failed or summary.unknown:
            raise typer.Exit(EXIT_INCOMPLETE)
