"""`nashra feeds build`: write every feed now, without waiting for the worker."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from nashra.cli.app import STATE, app, console
from nashra.feeds import run_feeds

feeds_app = typer.Typer(
    help="RSS, Atom and JSON Feed files for the site, each section and each tag.", no_args_is_help=True
)
app.add_typer(feeds_app, name="feeds")


@feeds_app.command("build")
def build(
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Folder to write into (feeds go in <out>/feeds/). Default: paths.public.",
            file_okay=False,
            show_default=False,
        ),
    ] = None,
) -> None:
    """Build every feed; only files whose content changed are rewritten (the hub is pinged for those)."""
    with STATE.runtime() as runtime:
        report = run_feeds(runtime, out)
        out_dir = out if out is not None else runtime.settings.public_dir
        counts = report.counts
        if not counts.get("feeds"):
            console.print("[yellow]no articles stored yet: nothing built[/] (run `nashra ingest` first)")
            return
        console.print(
            f"{counts['feeds']} feeds × 3 formats in {out_dir / 'feeds'}: "
            f"{counts['written']} written, {counts['unchanged']} unchanged, {counts['removed']} removed"
            + (f", hub pinged for {counts['hub_pinged']}" if "hub_pinged" in counts else ""),
            highlight=False,
            soft_wrap=True,
        )
        for problem in report.problems:
            console.print(f"  [yellow]•[/] {escape(problem)}", highlight=False, soft_wrap=True)
