"""`nashra digest ...`: operators look at a digest before subscribers do.

`digest_app` is a sub-application so the sending step can add its own `send` command to it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from nashra.cli.app import STATE, app, console, errors

digest_app = typer.Typer(
    name="digest", help="Email digests: preview what would be sent now, and send it.", no_args_is_help=True
)
app.add_typer(digest_app, name="digest")


@digest_app.command("preview")
def preview_command(
    name: Annotated[
        str | None,
        typer.Argument(
            help=escape("Digest name (default: the first [[digests]] table)."), show_default=False
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help="Write the HTML here (and, with --text, "
            "the text part next to it as .txt) instead of printing.",
            show_default=False,
        ),
    ] = None,
    text: Annotated[
        bool, typer.Option("--text", help="Also the plain-text part (printed alone without --out).")
    ] = False,
) -> None:
    """Render the digest that would be sent now, without recording or sending anything."""
    from nashra.digest.preview import preview

    with STATE.runtime() as runtime:
        rendered = preview(runtime, name)
        if rendered is None:
            errors.print(
                f"digest {name or 'default'}: nothing new since the last issue; it would not be sent."
            )
            return
        errors.print(f"[bold]subject:[/] {rendered.subject}", highlight=False)
        errors.print(f"[bold]preheader:[/] {rendered.preheader}", highlight=False)
        size = len(rendered.html.encode("utf-8"))
        errors.print(f"{len(rendered.article_ids)} article(s), HTML {size:,} bytes", highlight=False)
        if out is None:
            typer.echo(rendered.text if text else rendered.html, nl=False)
            return
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(rendered.html, encoding="utf-8")
        console.print(f"wrote {out}", highlight=False)
        if text:
            text_path = out.with_suffix(".txt")
            text_path.write_text(rendered.text, encoding="utf-8")
            console.print(f"wrote {text_path}", highlight=False)
