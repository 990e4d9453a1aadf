"""Console sessions: a random token in an HttpOnly cookie, its SHA-256 in the database.

A session ends at the first of: LIFETIME after login, IDLE without a request, logout, a password
change, the operator being disabled. Each has its own CSRF token for the console's forms.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection

from nashra.store import audit
from nashra.store import sessions as db
from nashra.store.users import User, get_user

LIFETIME = timedelta(hours=12)
IDLE = timedelta(hours=1)
TOUCH_EVERY = timedelta(minutes=1)
"""`last_seen_at` is written at most this often: not one write per page."""


@dataclass(frozen=True, slots=True)
class Session:
    token_hash: str
    user: User
    csrf_token: str
    expires_at: datetime


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def open_session(conn: Connection, user_id: int, *, now: datetime) -> tuple[str, Session]:
    """A new session for the operator: the token for the browser's cookie, and the session."""
    user = get_user(conn, user_id)
    if user is None:
        raise LookupError(f"no operator {user_id}")
    token = secrets.token_urlsafe(32)
    hashed, csrf = token_hash(token), secrets.token_urlsafe(32)
    db.insert_session(
        conn, token_hash=hashed, user_id=user_id, csrf_token=csrf, now=now, expires_at=now + LIFETIME
    )
    return token, Session(hashed, user, csrf, now + LIFETIME)


def current_session(conn: Connection, token: str, *, now: datetime) -> Session | None:
    """The open session this cookie token belongs to (and it is seen now), else None."""
    row = db.find_session(conn, token_hash(token))
    if row is None or row.revoked_at is not None or now >= row.expires_at or now - row.last_seen_at > IDLE:
        return None
    user = get_user(conn, row.user_id)
    if user is None or not user.active:
        return None
    if now - row.last_seen_at >= TOUCH_EVERY:
        db.touch_session(conn, row.token_hash, now=now)
    return Session(row.token_hash, user, row.csrf_token, row.expires_at)


def end_session(conn: Connection, token: str, *, actor: str, now: datetime) -> None:
    """Logout: the session can no longer be used, whoever holds the cookie."""
    db.revoke_session(conn, token_hash(token), now=now)
    audit.record(conn, actor=actor, action="logout", target=actor, now=now)
