"""Console operators: an email, a role and an argon2id hash (nashra.accounts.passwords).

Operators are never deleted, only disabled, so the audit log's actors keep meaning something.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Column, Connection, Integer, Row, String, Table, Text, select, update

from nashra.store.schema import metadata
from nashra.store.types import UTCDateTime


class Role(StrEnum):
    """What an operator may do, each role including the ones before it: viewers see, editors also
    act on digests and posts, admins also manage subscribers and operators."""

    VIEWER = "viewer"
    EDITOR = "editor"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return list(Role).index(self)

    def allows(self, needed: Role) -> bool:
        return self.rank >= needed.rank


users = Table(
    "console_users",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("email", String(320), nullable=False, unique=True),
    Column("role", String(20), nullable=False),
    Column("password_hash", Text, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    Column("disabled_at", UTCDateTime()),
)


@dataclass(frozen=True, slots=True)
class User:
    id: int
    email: str
    role: Role
    password_hash: str
    created_at: datetime
    updated_at: datetime
    disabled_at: datetime | None

    @property
    def active(self) -> bool:
        return self.disabled_at is None


def _user(row: Row[Any]) -> User:
    return User(
        row.id,
        row.email,
        Role(row.role),
        row.password_hash,
        row.created_at,
        row.updated_at,
        row.disabled_at,
    )


def insert_user(conn: Connection, *, email: str, role: Role, password_hash: str, now: datetime) -> int:
    result = conn.execute(
        users.insert().values(
            email=email, role=role, password_hash=password_hash, created_at=now, updated_at=now
        )
    )
    return int(result.inserted_primary_key[0])  # type: ignore[index]


def find_user(conn: Connection, email: str) -> User | None:
    row = conn.execute(select(users).where(users.c.email == email)).one_or_none()
    return _user(row) if row else None


def get_user(conn: Connection, user_id: int) -> User | None:
    row = conn.execute(select(users).where(users.c.id == user_id)).one_or_none()
    return _user(row) if row else None


def all_users(conn: Connection) -> list[User]:
    return [_user(row) for row in conn.execute(select(users).order_by(users.c.email))]


def update_user(conn: Connection, user_id: int, *, now: datetime, **values: object) -> None:
    """Set `values` (role, password_hash, disabled_at) and the time of the change."""
    conn.execute(update(users).where(users.c.id == user_id).values(updated_at=now, **values))
