"""Per-source state: conditional-GET validators, paging cursor, and the last success or failure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, select

from nashra.store.schema import sources
from nashra.store.upsert import upsert


@dataclass(frozen=True, slots=True)
class SourceState:
    name: str
    type: str
    etag: str | None = None
    last_modified: str | None = None
    cursor: str | None = None
    last_attempt_at: datetime | None = None
    last_success_at: datetime | None = None
    last_error: str | None = None
    consecutive_failures: int = 0


def load_state(conn: Connection, name: str, type_: str) -> SourceState:
    row = conn.execute(select(sources).where(sources.c.name == name)).one_or_none()
    if row is None:
        return SourceState(name=name, type=type_)
    return SourceState(**row._asdict())


def all_states(conn: Connection) -> list[SourceState]:
    return [SourceState(**row._asdict()) for row in conn.execute(select(sources).order_by(sources.c.name))]


def save_state(conn: Connection, state: SourceState) -> None:
    values = {
        "type": state.type,
        "etag": state.etag,
        "last_modified": state.last_modified,
        "cursor": state.cursor,
        "last_attempt_at": state.last_attempt_at,
        "last_success_at": state.last_success_at,
        "last_error": state.last_error,
        "consecutive_failures": state.consecutive_failures,
    }
    upsert(conn, sources, sources.c.name, state.name, values)
