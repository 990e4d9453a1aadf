"""`nashra init`: a starter config and the folders it names, ready to edit."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path
from typing import Annotated

import typer

from nashra.cli.app import app, console
from nashra.private import private_dir


@app.command()
def init(
    directory: Annotated[Path, typer.Argument(help="Where to create nashra.toml and its folders.")] = Path(
        "."
    ),
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing nashra.toml.")] = False,
) -> None:
    """Write a fully commented starter nashra.toml and create data/, public/, outbox/ and articles/."""
    target = directory / "nashra.toml"
    if target.exists() and not force:
        console.print(f"[yellow]{target} already exists[/]; use --force to overwrite it.")
        raise typer.Exit(1)
    directory.mkdir(parents=True, exist_ok=True)
    target.write_text(
        (files("nashra.examples") / "nashra.example.toml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    private_dir(directory / "data")  # the database and the link-signing key
    for folder in ("public", "outbox", "articles"):
        (directory / folder).mkdir(exist_ok=True)
    console.print(
        f"[green]wrote[/] {target} and data/, public/, outbox/, articles/ — edit it, then run "
        f"[bold]nashra --config {target} run --once[/]"
    )
