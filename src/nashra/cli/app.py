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
from nashra.config import CONFIG_ENV, Settings, load_settings
from nashra.config.loader import DEFAULT_NAME
from nashra.errors import ConfigError, NashraError
from nashra.preflight import Uses, adapter_problems, missing_secrets
from nashra.runtime import Runtime
from nashra.store.database import describe_database, is_new_database

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
    quiet: bool = False
    demo: bool = False

    def settings(self) -> Settings:
        """The config, every table checked by its adapter: a mistake stops the command here."""
        return load_settings(self.config, checks=(adapter_problems,))

    def runtime(self, *, uses: Uses | None = None, may_create: bool = False) -> Runtime:
        """The runtime a command works in, once everything it will use has been checked.

        `uses` names what the command will use, whose secrets must be set; `may_create` lets it
        start a new database on the built-in defaults (what `run` does on a fresh machine).
        """
        settings = self.settings()
        problems = missing_secrets(settings, uses or Uses())
        if problems:
            raise ConfigError(problems)
        if (
            settings.origin is None
            and not (may_create or self.demo)
            and is_new_database(settings.database_url)
        ):
            raise ConfigError([_nothing_here(settings)])
        if not self.quiet:
            errors.print(
                f"config: {settings.origin or 'none, built-in defaults (demo content)'}; "
                f"database: {describe_database(settings.database_url)}",
                highlight=False,
                soft_wrap=True,
                markup=False,
            )
        return Runtime.open(settings)


def _nothing_here(settings: Settings) -> str:
    """Why a command run from the wrong folder stops instead of starting an empty database there."""
    return (
        f"no config file and no database: looked for --config, ${CONFIG_ENV} and {Path.cwd() / DEFAULT_NAME}, "
        f"then the built-in default database {describe_database(settings.database_url)}; "
        "run from the newsroom's folder, pass --config, or pass --demo to start a new database on the "
        "built-in demo settings"
    )


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
    demo: Annotated[
        bool,
        typer.Option(
            "--demo",
            help="Without a config file, let this command start a new database on the built-in demo "
            "settings (only `run` does so without it).",
        ),
    ] = False,
) -> None:
    STATE.config = config
    STATE.debug = debug
    STATE.quiet = quiet
    STATE.demo = demo
    logs.configure(logging.DEBUG if debug else logging.WARNING if quiet else logging.INFO)


_GLOBAL_FLAGS = frozenset({"--debug", "--quiet", "-q", "--demo"})
_GLOBAL_VALUED = frozenset({"--config", "-c"})


def hoist_global_options(args: list[str]) -> list[str]:
    """Let the global options come anywhere (`nashra status --config site.toml`), not only before
    the command as Click requires: they are moved to the front. No command has options by these
    names, and nothing after `--` is touched."""
    front: list[str] = []
    rest: list[str] = []
    index = 0
    while index < len(args):
        arg = args[index]
        if arg == "--":
            rest += args[index:]
            break
        if arg in _GLOBAL_FLAGS or arg.startswith("--config="):
            front.append(arg)
        elif arg in _GLOBAL_VALUED and index + 1 < len(args):
            front += args[index : index + 2]
            index += 1
        else:
            rest.append(arg)
        index += 1
    return front + rest


def main() -> None:
    """Console-script entry: operator errors print as one clear line each, exit code 2 for config."""
    try:
        app(args=hoist_global_options(sys.argv[1:]))
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
