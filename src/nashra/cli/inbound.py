"""`nashra inbound list|show`: the mail that came back to the bounce mailbox or the inbound
endpoint and acted on nobody — unreadable, unrecognised, or a report naming no subscriber through
anything Nashra signed — kept so a person can see what arrives and why nothing was done."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from nashra.cli.app import STATE, app, console
from nashra.errors import NashraError
from nashra.store import inbound

inbound_app = typer.Typer(
    name="inbound", help="Mail that came back and acted on nobody: list, show.", no_args_is_help=True
)
app.add_typer(inbound_app, name="inbound")


@inbound_app.command("list")
def list_kept(
    limit: Annotated[int, typer.Option("--limit", min=1, help="How many, newest first.")] = 20,
) -> None:
    """The kept messages, newest first: when, from where, how big, and why nothing was done."""
    with STATE.runtime() as runtime, runtime.store.connect() as conn:
        found = inbound.newest(conn, limit=limit)
        total = inbound.kept_count(conn)
        zone = runtime.settings.site.zone
    table = Table("id", "received", "source", "bytes", "why", title=f"Kept inbound mail ({total})")
    for kept in found:
        when = kept.received_at.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")
        table.add_row(str(kept.id), when, kept.source, str(kept.size), escape(kept.why))
    console.print(table)


@inbound_app.command("show")
def show(message_id: int) -> None:
    """Write a kept message's bytes (its first 256 KB) to standard output, e.g. `> bounce.eml`."""
    with STATE.runtime() as runtime, runtime.store.connect() as conn:
        raw = inbound.raw_message(conn, message_id)
    if raw is None:
        raise NashraError(f"no kept message {message_id}", hint="`nashra inbound list` shows their ids")
    sys.stdout.buffer.write(raw)
    sys.stdout.buffer.flush()
