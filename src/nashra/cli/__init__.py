"""Command-line face: thin commands that parse, call a step, and print. Each module adds commands."""

from nashra.cli import init, run, status  # noqa: F401  (importing registers the commands)
from nashra.cli.app import app, main

__all__ = ["app", "main"]
