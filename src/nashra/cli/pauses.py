"""`nashra digest pause|resume NAME` and `nashra channel pause|resume NAME`: hold a digest or a
channel without editing nashra.toml. Stored in the database, so a running worker honours it at its
next job; `nashra status` lists what is paused, since when and why."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer

from nashra.cli.app import STATE, app, console
from nashra.cli.digest import digest_app
from nashra.errors import ConfigError
from nashra.runtime import Runtime
from nashra.store.pauses import Paused, pause, resume

channel_app = typer.Typer(
    name="channel", help="Social channels: pause and resume posting.", no_args_is_help=True
)
app.add_typer(channel_app, name="channel")

Reason = Annotated[str, typer.Option("--reason", help="Why (shown by `nashra status`).")]


def _known(runtime: Runtime, kind: Paused, name: str) -> None:
    if kind is Paused.DIGEST:
        from nashra.digest import find_digest

        find_digest(runtime.settings, name)
        return
    from nashra.social.registry import configured_channels

    names = [channel.name for _, channel in configured_channels(runtime.settings)]
    if name not in names:
        origin = runtime.settings.origin or "built-in defaults"
        raise ConfigError([f"{origin}: no channel named {name!r}; known: {', '.join(names)}"])


def _pause(kind: Paused, name: str, reason: str) -> None:
    with STATE.runtime() as runtime:
        _known(runtime, kind, name)
        with runtime.store.begin() as conn:
            done = pause(conn, kind, name, now=datetime.now(UTC), reason=reason)
    state = "paused" if done else "was already paused"
    console.print(f"{kind} {name}: {state}; `nashra {kind} resume {name}` undoes it.", highlight=False)


def _resume(kind: Paused, name: str) -> None:
    with STATE.runtime() as runtime:
        _known(runtime, kind, name)
        with runtime.store.begin() as conn:
            done = resume(conn, kind, name)
    console.print(f"{kind} {name}: {'resumed' if done else 'was not paused'}.", highlight=False)


@digest_app.command("pause")
def pause_digest(name: str, reason: Reason = "paused by an operator") -> None:
    """Send no issue of this digest until it is resumed (a send in progress stops after its batch)."""
    _pause(Paused.DIGEST, name, reason)


@digest_app.command("resume")
def resume_digest(name: str) -> None:
    """Let this digest send again, at its next scheduled time."""
    _resume(Paused.DIGEST, name)


@channel_app.command("pause")
def pause_channel(name: str, reason: Reason = "paused by an operator") -> None:
    """Post nothing to this channel until it is resumed; posts wait (subject to max_age_hours)."""
    _pause(Paused.CHANNEL, name, reason)


@channel_app.command("resume")
def resume_channel(name: str) -> None:
    """Let this channel post again, from its next run."""
    _resume(Paused.CHANNEL, name)
