"""Digests and channels an operator paused from the command line, in the database rather than in
nashra.toml: a running worker sees a pause at its next job, with no restart and no file edited."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, Connection, String, Table, Text, delete, select

from nashra.store.schema import metadata
from nashra.store.types import UTCDateTime


class Paused(StrEnum):
    DIGEST = "digest"
    CHANNEL = "channel"


pauses = Table(
    "pauses",
    metadata,
    Column("kind", String(20), primary_key=True),
    Column("name", String(200), primary_key=True),
    Column("paused_at", UTCDateTime(), nullable=False),
    Column("reason", Text, nullable=False),
)


@dataclass(frozen=True, slots=True)
class Pause:
    kind: Paused
    name: str
    paused_at: datetime
    reason: str


def pause(conn: Connection, kind: Paused, name: str, *, now: datetime, reason: str) -> bool:
    """False when it was paused already (the first pause and its reason are kept)."""
    if paused(conn, kind, name) is not None:
        return False
    conn.execute(pauses.insert().values(kind=kind, name=name, paused_at=now, reason=reason))
    return True


def resume(conn: Connection, kind: Paused, name: str) -> bool:
    """False when it was not paused."""
    return bool(conn.execute(delete(pauses).where(pauses.c.kind == kind, pauses.c.name == name)).rowcount)


def paused(conn: Connection, kind: Paused, name: str) -> Pause | None:
    row = conn.execute(select(pauses).where(pauses.c.kind == kind, pauses.c.name == name)).one_or_none()
    return Pause(Paused(row.kind), row.name, row.paused_at, row.reason) if row else None


def all_pauses(conn: Connection) -> list[Pause]:
    rows = conn.execute(select(pauses).order_by(pauses.c.kind, pauses.c.name))
    return [Pause(Paused(r.kind), r.name, r.paused_at, r.reason) for r in rows]
