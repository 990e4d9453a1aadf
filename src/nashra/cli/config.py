"""`nashra config show|set|unset|history`: the configuration in effect and where each value comes
from, and the values an operator may change over nashra.toml without editing it (a digest's
schedule, window and size, a channel's spacing and quiet hours; `config.overrides`)."""

from __future__ import annotations

import getpass
import json
import socket
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Annotated, Any

import typer
from pydantic import BaseModel

from nashra.cli.app import STATE, app, console
from nashra.config import Settings
from nashra.config.cron_words import describe
from nashra.config.overrides import Override, check, origin_of, parse_path, parse_value
from nashra.errors import ConfigError
from nashra.store import overrides
from nashra.text.urls import redact_credentials

config_app = typer.Typer(
    name="config",
    help="The configuration in effect, and values changed over nashra.toml (schedules, sizes, spacing).",
    no_args_is_help=True,
)
app.add_typer(config_app, name="config")

By = Annotated[
    str | None,
    typer.Option("--by", help="Who makes the change (recorded; default: user@host).", show_default=False),
]
_SECRET_WORDS = ("password", "secret", "token", "api_key")


def _operator(by: str | None) -> str:
    return by or f"{getpass.getuser()}@{socket.gethostname()}"


def _leaves(value: Any, loc: tuple[str | int, ...]) -> Iterator[tuple[tuple[str | int, ...], Any]]:
    """Every scalar of the settings with its key path (list items by index)."""
    if isinstance(value, BaseModel):
        for name in [*type(value).model_fields, *(value.model_extra or {})]:
            yield from _leaves(getattr(value, name), (*loc, name))
    elif isinstance(value, list) and value and isinstance(value[0], BaseModel):
        for index, item in enumerate(value):
            yield from _leaves(item, (*loc, index))
    else:
        yield loc, value


def _name(settings: Settings, loc: tuple[str | int, ...]) -> str:
    """`digests.daily.schedule` rather than `digests[0].schedule`: the names overrides use."""
    parts: list[str] = []
    node: Any = settings
    for part in loc:
        node = node[part] if isinstance(part, int) else getattr(node, part, None)
        named = getattr(node, "name", None) if isinstance(part, int) else None
        parts.append(str(named) if named is not None else str(part))
    return ".".join(parts)


def _shown(key: str, value: Any) -> Any:
    if isinstance(value, str) and any(word in key.rsplit(".", 1)[-1] for word in _SECRET_WORDS):
        return "***" if value and not key.endswith("_env") else value
    if isinstance(value, str) and "://" in value:
        return redact_credentials(value)
    return value if isinstance(value, (str, int, float, bool)) or value is None else str(value)


def effective_values(settings: Settings) -> list[dict[str, Any]]:
    """Each value in effect: its key, value and origin (override, a line of the file, default)."""
    rows = []
    for loc, value in _leaves(settings, ()):
        key = _name(settings, loc)
        row = {"key": key, "value": _shown(key, value), "origin": origin_of(settings, loc)}
        if loc[-1] == "schedule" and loc[0] == "digests":
            row["in_words"] = describe(str(value), settings.site.locale)
        rows.append(row)
    return rows


@config_app.command("show")
def show(
    as_json: Annotated[bool, typer.Option("--json", help="One JSON document, for scripts.")] = False,
) -> None:
    """Print the configuration in effect, each value with where it comes from: an override (who,
    when), a line of the config file, or the built-in default."""
    with STATE.runtime() as runtime:
        rows = effective_values(runtime.settings)
        ignored = [
            {
                "key": i.override.path,
                "value": i.override.value,
                "set_by": i.override.set_by,
                "reason": i.reason,
            }
            for i in runtime.ignored_overrides
        ]
    if as_json:
        console.print_json(json.dumps({"values": rows, "ignored_overrides": ignored}, ensure_ascii=False))
        return
    for row in rows:
        words = f"  ({row['in_words']})" if "in_words" in row else ""
        value = json.dumps(row["value"], ensure_ascii=False)
        console.print(f"{row['key']} = {value}{words}  [dim]# {row['origin']}[/]", highlight=False)
    for item in ignored:
        console.print(
            f"[yellow]override {item['key']} = {json.dumps(item['value'], ensure_ascii=False)} "
            f"(by {item['set_by']}) is not applied: {item['reason']}[/]",
            highlight=False,
        )


@config_app.command("set")
def set_value(
    key: Annotated[str, typer.Argument(help="e.g. digests.daily.schedule or channels.x.quiet_hours")],
    value: Annotated[str, typer.Argument(help='e.g. "30 9 * * *", 24, "23:00-07:00"')],
    by: By = None,
) -> None:
    """Change a value over nashra.toml's, checked with the file's rules; a running worker or
    scheduler applies it within seconds, with no restart. `nashra config unset` returns to the file."""
    with STATE.runtime() as runtime:
        settings = runtime.settings.file_settings
        try:
            checked = check(settings, key, parse_value(value))
        except ValueError as exc:
            raise ConfigError([f"{key}: {exc}"]) from None
        override = Override(key, checked, _operator(by), datetime.now(UTC))
        with runtime.store.begin() as conn:
            overrides.set_override(conn, override)
    target = parse_path(key)
    words = f" ({describe(str(checked), settings.site.locale)})" if target.key == "schedule" else ""
    console.print(
        f"{key} = {json.dumps(checked, ensure_ascii=False)}{words}, set by {override.set_by}; "
        f"`nashra config unset {key}` returns to the file's value.",
        highlight=False,
    )


@config_app.command("unset")
def unset_value(
    key: Annotated[str, typer.Argument(help="A key set with `nashra config set`.")], by: By = None
) -> None:
    """Return a value to what nashra.toml says (the change is logged)."""
    try:
        parse_path(key)
    except ValueError as exc:
        raise ConfigError([f"{key}: {exc}"]) from None
    with STATE.runtime() as runtime, runtime.store.begin() as conn:
        removed = overrides.clear_override(conn, key, by=_operator(by), now=datetime.now(UTC))
    console.print(f"{key}: {'back to the file' if removed else 'was not overridden'}.", highlight=False)


@config_app.command("history")
def show_history(
    limit: Annotated[int, typer.Option("--limit", min=1, help="How many changes, newest first.")] = 20,
) -> None:
    """Who changed which value over the file, and when (newest first)."""
    with STATE.runtime() as runtime, runtime.store.connect() as conn:
        changes = overrides.history(conn, limit=limit)
    if not changes:
        console.print("No value has been changed over the config file.")
    for change in changes:
        what = "back to the file" if change.value is None else json.dumps(change.value, ensure_ascii=False)
        console.print(
            f"{change.changed_at:%Y-%m-%d %H:%M} UTC  {change.changed_by}  {change.path} -> {what}",
            highlight=False,
        )
