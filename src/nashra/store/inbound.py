"""Mail that came in and acted on nobody (issue #16): messages Nashra could not read, did not
recognise, or whose report named no subscriber through anything Nashra signed. Kept (the first
`KEEP_BYTES` of each) so an operator can see what the bounce mailbox receives and why nothing was
done; counted in `nashra status`, listed by `nashra inbound list`.

`key` is the message's identity (as the report's in `feedback_reports`), unique: a message read
twice is kept once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Column, Connection, Integer, LargeBinary, String, Table, Text, func, select
from sqlalchemy.dialects import postgresql, sqlite

from nashra.store.schema import metadata
from nashra.store.types import UTCDateTime

KEEP_BYTES = 256 * 1024
"""Enough for the headers and the reports of any bounce; the returned digest after them is cut."""

kept_messages = Table(
    "inbound_messages",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("key", String(300), nullable=False, unique=True),
    Column("source", String(40), nullable=False),
    Column("why", Text, nullable=False),
    Column("size", Integer, nullable=False),  # as received; `raw` holds at most KEEP_BYTES of it
    Column("raw", LargeBinary, nullable=False),
    Column("received_at", UTCDateTime(), nullable=False, index=True),
)


@dataclass(frozen=True, slots=True)
class KeptMessage:
    id: int
    source: str
    why: str
    size: int
    received_at: datetime


def keep(conn: Connection, *, key: str, source: str, why: str, raw: bytes, now: datetime) -> bool:
    """Keep a message; False when one with this key was kept before (nothing written)."""
    insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    statement = (
        insert(kept_messages)
        .values(key=key, source=source, why=why, size=len(raw), raw=raw[:KEEP_BYTES], received_at=now)
        .on_conflict_do_nothing(index_elements=[kept_messages.c.key])
        .returning(kept_messages.c.id)
    )
    return conn.execute(statement).scalar() is not None


def kept_count(conn: Connection) -> int:
    return int(conn.execute(select(func.count()).select_from(kept_messages)).scalar() or 0)


def newest(conn: Connection, *, limit: int) -> list[KeptMessage]:
    rows = conn.execute(
        select(
            kept_messages.c.id,
            kept_messages.c.source,
            kept_messages.c.why,
            kept_messages.c.size,
            kept_messages.c.received_at,
        )
        .order_by(kept_messages.c.id.desc())
        .limit(limit)
    )
    return [KeptMessage(r.id, r.source, r.why, r.size, r.received_at) for r in rows]


def raw_message(conn: Connection, message_id: int) -> bytes | None:
    """The bytes kept of one message (its first KEEP_BYTES)."""
    found = conn.execute(select(kept_messages.c.raw).where(kept_messages.c.id == message_id)).scalar()
    return bytes(found) if found is not None else None
