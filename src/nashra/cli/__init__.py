"""Command-line face: thin commands that parse, call a step, and print. Each module adds commands."""

# Importing a module registers its commands on `app`.
from nashra.cli import (  # noqa: F401
    check,
    config,
    digest,
    digest_send,
    feeds,
    inbound,
    init,
    pauses,
    post,
    run,
    serve,
    status,
    subscribers,
    users,
    worker,
)
from nashra.cli.app import app, main

__all__ = ["app", "main"]
