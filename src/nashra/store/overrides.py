"""Configuration values changed over nashra.toml's from the console or `nashra config set`.

The file stays the operator's; these rows sit on top of it (`nashra.config.overrides` applies
them). Each change, and each return to the file's value, is also appended to a log: the console
shows who changed what and when, and a running scheduler notices a change by the log's last id
(one indexed read) without comparing values.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Connection, Integer, String, Table, delete, func, insert, select

from nashra.config.overrides import Override
from nashra.store.schema import metadata
from nashra.store.types import UTCDateTime
from nashra.store.upsert import upsert

config_overrides = Table(
    "config_overrides",
    metadata,
    Column("path", String(300), primary_key=True),
    Column("value", JSON, nullable=False),
    Column("set_by", String(320), nullable=False),
    Column("set_at", UTCDateTime(), nullable=False),
)

config_override_log = Table(
    "config_override_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("path", String(300), nullable=False),
    Column("value", JSON),  # the new value; null: back to the file's
    Column("changed_by", String(320), nullable=False),
    Column("changed_at", UTCDateTime(), nullable=False),
)


@dataclass(frozen=True, slots=True)
class Change:
    id: int
    path: str
    value: Any
    """None: the override was removed (back to the file's value)."""
    changed_by: str
    changed_at: datetime


def all_overrides(conn: Connection) -> list[Override]:
    rows = conn.execute(select(config_overrides).order_by(config_overrides.c.path))
    return [Override(r.path, r.value, r.set_by, r.set_at) for r in rows]


def set_override(conn: Connection, override: Override) -> None:
    values = {"value": override.value, "set_by": override.set_by, "set_at": override.set_at}
    upsert(conn, config_overrides, config_overrides.c.path, override.path, values)
    _log(conn, override.path, override.value, override.set_by, override.set_at)


def clear_override(conn: Connection, path: str, *, by: str, now: datetime) -> bool:
    """Back to the file's value; False when nothing was overridden there."""
    removed = conn.execute(delete(config_overrides).where(config_overrides.c.path == path)).rowcount
    if removed:
        _log(conn, path, None, by, now)
    return bool(removed)


def generation(conn: Connection) -> int:
    """Grows with every change: a process applying overrides reads them again when it moved."""
    return int(conn.execute(select(func.coalesce(func.max(config_override_log.c.id), 0))).scalar_one())


def history(conn: Connection, *, limit: int = 50) -> list[Change]:
    """The latest changes first."""
    log = config_override_log
    rows = conn.execute(select(log).order_by(log.c.id.desc()).limit(limit))
    return [Change(r.id, r.path, r.value, r.changed_by, r.changed_at) for r in rows]


def _log(conn: Connection, path: str, value: Any, by: str, at: datetime) -> None:
    conn.execute(insert(config_override_log).values(path=path, value=value, changed_by=by, changed_at=at))
