"""`nashra subscribers import|export|add|remove|reactivate|count|show|reports`."""

from __future__ import annotations

import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from nashra.cli.app import STATE, app, console
from nashra.subscribers.manage import DEFAULT_LIST

if TYPE_CHECKING:
    from nashra.store.feedback import ListedReport

subscribers_app = typer.Typer(
    name="subscribers",
    help="Subscribers: import, export, add, remove, reactivate, count, show, and reports received after sending.",
    no_args_is_help=True,
)
app.add_typer(subscribers_app, name="subscribers")

ListOption = Annotated[str, typer.Option("--list", "-l", help="Subscriber list.")]


@subscribers_app.command("import")
def import_command(
    file: Annotated[
        Path,
        typer.Argument(
            help="CSV with a header row: email[,name,status,digests,consent_at,consent_source].",
            exists=True,
            dir_okay=False,
        ),
    ],
    list_name: ListOption = DEFAULT_LIST,
    encoding: Annotated[
        str | None,
        typer.Option(
            "--encoding",
            help="The file's text encoding, e.g. cp1256 (default: from its BOM, else detected).",
            show_default=False,
        ),
    ] = None,
    skip_bad: Annotated[
        bool,
        typer.Option("--skip-bad", help="Import the good rows even when some lines are bad."),
    ] = False,
) -> None:
    """Import a CSV, all or nothing: any bad line (listed by number) and nothing is imported, unless
    --skip-bad. Exits 1 when a line was bad. Re-importing is harmless."""
    from nashra.subscribers.csvio import UnreadableCsv, import_csv

    with STATE.runtime() as runtime:
        try:
            report = import_csv(
                runtime.store.begin,
                file,
                list_name=list_name,
                now=datetime.now(UTC),
                encoding=encoding,
                skip_bad=skip_bad,
            )
        except UnreadableCsv as exc:
            console.print(f"[red]{escape(str(exc))}[/]", highlight=False, soft_wrap=True)
            raise typer.Exit(1) from None
    console.print(f"{file}: read as encoding {report.encoding}", highlight=False, soft_wrap=True)
    for line, reason in report.errors:
        console.print(
            f"  [yellow]{escape(f'{file}:{line}:')}[/] {escape(reason)}", highlight=False, soft_wrap=True
        )
    if report.errors and not skip_bad:
        console.print(
            f"[red]{file}: nothing imported[/]: {len(report.errors)} bad line(s); fix them, "
            "or pass --skip-bad to import the other rows",
            highlight=False,
            soft_wrap=True,
        )
        raise typer.Exit(1)
    console.print(
        f"{file}: added {report.added}, updated {report.updated}, unchanged {report.unchanged}, "
        f"kept unsubscribed/bounced/complained {report.kept}, rejected {len(report.errors)} (list {list_name})",
        highlight=False,
        soft_wrap=True,
    )
    if report.errors:
        raise typer.Exit(1)


@subscribers_app.command("export")
def export_command(
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Write here instead of standard output.", show_default=False),
    ] = None,
    list_name: Annotated[
        str | None,
        typer.Option("--list", "-l", help="Only this list (default: everyone).", show_default=False),
    ] = None,
) -> None:
    """Write subscribers as CSV (the import format plus their lists).

    A cell a spreadsheet would run as a formula (starting with = + - @, tab or CR) is written with
    a leading ' ; `subscribers import` removes it again. The file is created owner-only (0600).
    """
    from nashra.private import open_private
    from nashra.subscribers.csvio import export_csv

    with STATE.runtime() as runtime, runtime.store.connect() as conn:
        if out is None:
            export_csv(conn, sys.stdout, list_name=list_name)
            return
        with os.fdopen(open_private(out), "w", encoding="utf-8", newline="") as handle:
            count = export_csv(conn, handle, list_name=list_name)
    console.print(f"wrote {count} subscriber(s) to {out}", highlight=False)


@subscribers_app.command("add")
def add_command(
    email: Annotated[str, typer.Argument(help="Address to add (active: you vouch for their consent).")],
    name: Annotated[str, typer.Option("--name", help="Display name.")] = "",
    list_name: ListOption = DEFAULT_LIST,
    digest: Annotated[
        list[str] | None,
        typer.Option("--digest", help="Only these digests (repeatable; default all).", show_default=False),
    ] = None,
) -> None:
    """Add one subscriber (or add an existing one to another list)."""
    from nashra.subscribers.addresses import InvalidAddress
    from nashra.subscribers.manage import add_subscriber

    with STATE.runtime() as runtime, runtime.store.begin() as conn:
        try:
            result = add_subscriber(
                conn,
                email,
                now=datetime.now(UTC),
                name=name,
                list_name=list_name,
                digests=digest or (),
                consent_source="cli",
            )
        except InvalidAddress as exc:
            console.print(f"[red]{escape(str(exc))}[/]", highlight=False)
            raise typer.Exit(1) from None
    verb = "added" if result.created else "updated" if result.changed else "already there:"
    console.print(f"{verb} {result.email} (list {list_name})", highlight=False)


@subscribers_app.command("remove")
def remove_command(
    email: Annotated[str, typer.Argument(help="Address to unsubscribe.")],
    forget: Annotated[
        bool,
        typer.Option(
            "--forget",
            help="Erase the address and its history instead of keeping "
            "it as unsubscribed (a later import could then add it again).",
        ),
    ] = False,
) -> None:
    """Unsubscribe an address (kept as unsubscribed so no import brings it back), or erase it."""
    from nashra.subscribers.addresses import InvalidAddress
    from nashra.subscribers.manage import remove_subscriber

    with STATE.runtime() as runtime, runtime.store.begin() as conn:
        try:
            done = remove_subscriber(conn, email, now=datetime.now(UTC), forget=forget)
        except InvalidAddress as exc:
            console.print(f"[red]{escape(str(exc))}[/]", highlight=False)
            raise typer.Exit(1) from None
    if not done:
        console.print(f"{email}: not subscribed (nothing changed)", highlight=False)
        raise typer.Exit(1)
    console.print(f"{'erased' if forget else 'unsubscribed'} {email}", highlight=False)


@subscribers_app.command("reactivate")
def reactivate_command(
    email: Annotated[str, typer.Argument(help="Unsubscribed, bounced or complained address to mail again.")],
    reason: Annotated[
        str,
        typer.Option("--reason", help="Why (kept with the subscriber and logged), e.g. who asked and how."),
    ],
) -> None:
    """Mail an unsubscribed, bounced or complained address again: only you, with a reason, may do it."""
    from nashra.subscribers.addresses import InvalidAddress
    from nashra.subscribers.manage import NotSuppressed, reactivate_subscriber

    if not reason.strip():
        console.print("[red]--reason must say why[/]", highlight=False)
        raise typer.Exit(1)
    with STATE.runtime() as runtime, runtime.store.begin() as conn:
        try:
            was = reactivate_subscriber(conn, email, reason=reason.strip(), now=datetime.now(UTC))
        except (InvalidAddress, NotSuppressed) as exc:
            console.print(f"[red]{escape(str(exc))}[/]", highlight=False)
            raise typer.Exit(1) from None
    console.print(f"reactivated {email} (was {was})", highlight=False)


@subscribers_app.command("count")
def count_command(
    list_name: Annotated[
        str | None,
        typer.Option("--list", "-l", help="Only this list (default: everyone).", show_default=False),
    ] = None,
) -> None:
    """Subscribers per status."""
    from nashra.store.subscribers import SubscriberStatus, count_by_status

    with STATE.runtime() as runtime, runtime.store.connect() as conn:
        counts = count_by_status(conn, list_name=list_name)
    table = Table(title=f"subscribers{f' on {list_name}' if list_name else ''}")
    table.add_column("status")
    table.add_column("count", justify="right")
    for status in SubscriberStatus:
        table.add_row(status, str(counts.get(status, 0)))
    table.add_row("[bold]total[/]", f"[bold]{sum(counts.values())}[/]")
    console.print(table)


@subscribers_app.command("show")
def show_command(
    email: Annotated[str, typer.Argument(help="The subscriber's address.")],
) -> None:
    """One subscriber: status and why, consent, lists, every status change, and the bounce,
    complaint and unsubscribe reports received about them."""
    from nashra.store import feedback
    from nashra.store import subscribers as db
    from nashra.subscribers.addresses import InvalidAddress, normalise_email

    with STATE.runtime() as runtime, runtime.store.connect() as conn:
        try:
            found = db.find_subscriber(conn, normalise_email(email))
        except InvalidAddress as exc:
            console.print(f"[red]{escape(str(exc))}[/]", highlight=False)
            raise typer.Exit(1) from None
        if found is None:
            console.print(f"[red]{escape(email)}: no such subscriber[/]", highlight=False)
            raise typer.Exit(1)
        history = db.status_history(conn, found.id, limit=20)
        reports = feedback.recent(conn, subscriber_id=found.id, limit=20)
    console.print(f"{escape(found.email)}{f' ({escape(found.name)})' if found.name else ''}", highlight=False)
    reason = f" — {found.status_reason}" if found.status_reason else ""
    console.print(f"status: {found.status}{escape(reason)}", highlight=False)
    console.print(f"status changed: {_moment(found.status_changed_at)}; created: {_moment(found.created_at)}")
    console.print(
        f"consent: {_moment(found.consent_at)} ({escape(found.consent_source or 'unknown')})", highlight=False
    )
    console.print(f"lists: {escape(', '.join(found.lists) or 'none')}", highlight=False)
    if history:
        changes = Table(title="status changes, newest first")
        for column in ("when", "from", "to", "reason"):
            changes.add_column(column, overflow="fold")
        for change in history:
            changes.add_row(
                _moment(change.changed_at), change.from_status, change.status, escape(change.reason or "")
            )
        console.print(changes)
    if reports:
        console.print(_reports_table(reports, address=False))


@subscribers_app.command("reports")
def reports_command(
    unmatched: Annotated[
        bool, typer.Option("--unmatched", help="Only reports that matched no subscriber.")
    ] = False,
    limit: Annotated[int, typer.Option("--limit", min=1, help="How many, newest first.")] = 50,
) -> None:
    """Bounces, complaints and unsubscribes received after sending (by mail or a service's webhook),
    and what each did."""
    from nashra.store import feedback

    with STATE.runtime() as runtime, runtime.store.connect() as conn:
        listed = feedback.recent(conn, unmatched=unmatched, limit=limit)
    if not listed:
        console.print("no reports" + (" without a subscriber" if unmatched else ""))
        return
    console.print(_reports_table(listed, address=True))


def _reports_table(reports: list[ListedReport], *, address: bool) -> Table:
    """Reports received after sending, newest first; `address` adds whom each one named."""
    table = Table(title="reports received after sending, newest first")
    for column in (
        "received",
        "source",
        "kind",
        "issue",
        *(["address"] if address else []),
        "outcome",
        "reason",
    ):
        table.add_column(column, overflow="fold")
    for report in reports:
        table.add_row(
            _moment(report.received_at),
            report.source,
            report.kind,
            str(report.issue_id or "—"),
            *([escape(report.email or "—")] if address else []),
            report.outcome,
            escape(report.reason),
        )
    return table


def _moment(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else "—"
