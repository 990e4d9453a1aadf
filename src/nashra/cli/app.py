"""The Typer application, global options, and the one place errors become one-line messages."""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from nashra import logs
from nashra.config import Settings, load_settings
from nashra.errors import ConfigError, NashraError
from nashra.runtime import Runtime

app = typer.Typer(
    name="nashra",
    help="Nashra (نشرة): feeds, email digests and social posts for Arabic-language newsrooms.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)
console = Console()
errors = Console(stderr=True)


@dataclass
class CliState:
    config: Path | None = None
    debug: bool = False

    def settings(self) -> Settings:
        return load_settings(self.config)

    def runtime(self) -> Runtime:
        return Runtime.open(self.settings())


STATE = CliState()


@app.callback()
def _global(
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            "-c",
            envvar="NASHRA_CONFIG",
            help="Config file (default: ./nashra.toml, else built-in demo).",
            show_default=False,
        ),
    ] = None,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks and debug logs.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Only log warnings and errors.")] = False,
) -> None:
    STATE.config = config
    STATE.debug = debug
    logs.configure(logging.DEBUG if debug else logging.WARNING if quiet else logging.INFO)


def main() -> None:
    """Console-script entry: operator errors print as one clear line each, exit code 2 for config."""
    try:
        app()
    except ConfigError as exc:
        if STATE.debug:
            raise
        for problem in exc.problems:
            errors.print(f"[bold red]config error:[/] {escape(problem)}", highlight=False, soft_wrap=True)
        sys.exit(2)
    except NashraError as exc:
        if STATE.debug:
            raise
        errors.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
        sys.exit(1)
