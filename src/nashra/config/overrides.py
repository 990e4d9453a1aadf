"""Values an operator changed over nashra.toml's, from the console or `nashra config set`.

Only what a newsroom retunes day to day can be changed this way: a digest's schedule, selection
window and size, a channel's spacing and quiet hours. The rest (the database, the mail server,
credentials, templates) stays in the file, where it is reviewed and versioned.

An override is checked with the same rules as the file (the section's own model validates the
section with the new value), when it is set and again whenever it is applied: the file may have
changed since. One that no longer applies (its digest was removed or renamed, its value is no
longer valid with the rest of the section) is left out, and said so, never the reason a worker
stops: the file's value stands in until an operator acts.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ValidationError

from nashra.config.settings import Settings

OVERRIDABLE: dict[str, tuple[str, ...]] = {
    "digests": ("schedule", "window", "max_items"),
    "channels": ("min_spacing_minutes", "quiet_hours"),
}
"""By list of the file (its items named by `name`): the keys that may be overridden."""


@dataclass(frozen=True, slots=True)
class Override:
    path: str
    """`digests.<name>.<key>` or `channels.<name>.<key>`."""
    value: Any
    set_by: str
    set_at: datetime


@dataclass(frozen=True, slots=True)
class Ignored:
    override: Override
    reason: str


@dataclass(frozen=True, slots=True)
class Target:
    table: str
    name: str
    key: str


def parse_path(path: str) -> Target:
    """`digests.daily.schedule` -> its parts; ValueError naming what may be overridden otherwise."""
    table, _, rest = path.partition(".")
    name, _, key = rest.rpartition(".")
    keys = OVERRIDABLE.get(table)
    if not keys or not name or key not in keys:
        allowed = "; ".join(f"{t}.<name>.{{{','.join(k)}}}" for t, k in OVERRIDABLE.items())
        raise ValueError(f"cannot be changed over the file (edit nashra.toml); these can: {allowed}")
    return Target(table, name, key)


def parse_value(text: str) -> Any:
    """A value typed by an operator: TOML-like literals (20, 1.5, "text") or a bare string."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def _items(settings: Settings, table: str) -> list[BaseModel]:
    return list(getattr(settings, table))


def _changed(item: BaseModel, key: str, value: Any) -> BaseModel:
    """The item with `key` set to `value`, validated by the item's own model (the file's rules)."""
    data = item.model_dump()
    data[key] = value
    try:
        return type(item).model_validate(data)
    except ValidationError as exc:
        problems = [e["msg"].removeprefix("Value error, ") for e in exc.errors(include_url=False)]
        raise ValueError("; ".join(problems)) from None


def check(settings: Settings, path: str, value: Any) -> Any:
    """The value as the file would hold it, or ValueError saying why it cannot be set."""
    target = parse_path(path)
    item = next((i for i in _items(settings, target.table) if getattr(i, "name", None) == target.name), None)
    if item is None:
        raise ValueError(f"no {target.table[:-1]} named {target.name!r} in {settings.origin or 'the config'}")
    return getattr(_changed(item, target.key, value), target.key)


def apply(file_settings: Settings, overrides: Iterable[Override]) -> tuple[Settings, list[Ignored]]:
    """`file_settings` with every override that still applies; the others, each with why not."""
    tables = {table: _items(file_settings, table) for table in OVERRIDABLE}
    applied: list[Override] = []
    ignored: list[Ignored] = []
    for override in overrides:
        try:
            target = parse_path(override.path)
            items = tables[target.table]
            index = next(
                (i for i, item in enumerate(items) if getattr(item, "name", None) == target.name), None
            )
            if index is None:
                raise ValueError(f"no {target.table[:-1]} named {target.name!r} in the file any more")
            items[index] = _changed(items[index], target.key, override.value)
        except ValueError as exc:
            ignored.append(Ignored(override, str(exc)))
        else:
            applied.append(override)
    effective = file_settings.model_copy(update=tables) if applied else file_settings
    effective.set_overrides(file_settings, tuple(applied))
    return effective, ignored


def origin_of(settings: Settings, loc: Sequence[str | int]) -> str:
    """Where a value comes from: an override (who, when), a line of the file, or "default"."""
    if len(loc) >= 3 and isinstance(loc[1], int) and loc[0] in OVERRIDABLE:
        items = _items(settings, str(loc[0]))
        name = getattr(items[loc[1]], "name", None) if loc[1] < len(items) else None
        path = f"{loc[0]}.{name}.{loc[2]}"
        for override in settings.overrides:
            if override.path == path:
                return f"override by {override.set_by} at {override.set_at:%Y-%m-%d %H:%M} UTC"
    return settings.locate(tuple(loc)) if settings.written(tuple(loc)) else "default"
