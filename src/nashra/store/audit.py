"""The audit log: who did what to what, and when, for every operator action in the console and
every `nashra users` command. Rows are only ever added.

`actor` is the operator's email in the console, `cli:<system user>` on the command line; `details`
holds whatever else the action wants kept (the old and new role, the client's IP address, …).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Connection, Index, Integer, String, Table, Text, select

from nashra.store.schema import metadata
from nashra.store.types import UTCDateTime

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", UTCDateTime(), nullable=False),
    Column("actor", String(320), nullable=False),
    Column("action", String(100), nullable=False),
    Column("target", Text, nullable=False, default=""),
    Column("details", JSON, nullable=False, default=dict),
    Index(None, "at"),
    Index(None, "target"),  # what operators did to one thing (a subscriber's page)
)


@dataclass(frozen=True, slots=True)
class AuditEntry:
    id: int
    at: datetime
    actor: str
    action: str
    target: str
    details: dict[str, Any]


def record(
    conn: Connection, *, actor: str, action: str, target: str = "", now: datetime, **details: Any
) -> None:
    """Adds one entry, in the caller's transaction: the action and its record commit together."""
    conn.execute(
        audit_log.insert().values(at=now, actor=actor, action=action, target=target, details=details)
    )


def recent_entries(conn: Connection, *, limit: int = 100) -> list[AuditEntry]:
    """Newest first."""
    rows = conn.execute(select(audit_log).order_by(audit_log.c.id.desc()).limit(limit))
    return [AuditEntry(r.id, r.at, r.actor, r.action, r.target, dict(r.details)) for r in rows]


def latest_for(conn: Connection, targets: list[str]) -> dict[str, AuditEntry]:
    """The latest entry about each of `targets` that has any: what an operator last did to it."""
    if not targets:
        return {}
    rows = conn.execute(select(audit_log).where(audit_log.c.target.in_(targets)).order_by(audit_log.c.id))
    return {r.target: AuditEntry(r.id, r.at, r.actor, r.action, r.target, dict(r.details)) for r in rows}
