"""Console sessions, kept in the database so that logging out, a password change or a disabled
account ends them everywhere at once (a signed cookie cannot be taken back).

Only a SHA-256 of the browser's token is stored: a copy of the database opens no session. Each
session has its own CSRF token, checked on every POST (nashra.web.console.csrf).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Column, Connection, ForeignKey, Index, Integer, String, Table, select, update

from nashra.store.schema import metadata
from nashra.store.types import UTCDateTime

sessions = Table(
    "console_sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("user_id", Integer, ForeignKey("console_users.id", ondelete="CASCADE"), nullable=False),
    Column("csrf_token", String(64), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("last_seen_at", UTCDateTime(), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False),
    Column("revoked_at", UTCDateTime()),
    Index(None, "user_id"),
)


@dataclass(frozen=True, slots=True)
class SessionRow:
    token_hash: str
    user_id: int
    csrf_token: str
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    revoked_at: datetime | None


def insert_session(
    conn: Connection, *, token_hash: str, user_id: int, csrf_token: str, now: datetime, expires_at: datetime
) -> None:
    conn.execute(
        sessions.insert().values(
            token_hash=token_hash,
            user_id=user_id,
            csrf_token=csrf_token,
            created_at=now,
            last_seen_at=now,
            expires_at=expires_at,
        )
    )


def find_session(conn: Connection, token_hash: str) -> SessionRow | None:
    row = conn.execute(select(sessions).where(sessions.c.token_hash == token_hash)).one_or_none()
    if row is None:
        return None
    return SessionRow(
        row.token_hash,
        row.user_id,
        row.csrf_token,
        row.created_at,
        row.last_seen_at,
        row.expires_at,
        row.revoked_at,
    )


def touch_session(conn: Connection, token_hash: str, *, now: datetime) -> None:
    conn.execute(update(sessions).where(sessions.c.token_hash == token_hash).values(last_seen_at=now))


def revoke_session(conn: Connection, token_hash: str, *, now: datetime) -> None:
    conn.execute(
        update(sessions)
        .where(sessions.c.token_hash == token_hash, sessions.c.revoked_at.is_(None))
        .values(revoked_at=now)
    )


def revoke_user_sessions(conn: Connection, user_id: int, *, now: datetime) -> int:
    """Ends every open session of an operator; how many there were."""
    result = conn.execute(
        update(sessions)
        .where(sessions.c.user_id == user_id, sessions.c.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    return int(result.rowcount)
