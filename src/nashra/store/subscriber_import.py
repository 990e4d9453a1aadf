"""A temporary table that holds a CSV import while it is checked, so a million rows cost neither
memory nor a statement each.

Rows go in by the thousand (COPY on PostgreSQL, one executemany on SQLite), repeated addresses are
found by one grouped query instead of a set in memory, and the rows come back joined to what the
database already holds about each address, in file order, a chunk at a time. The table lives in
the import's transaction and connection only: on PostgreSQL it is dropped at commit or rollback,
on SQLite (where CREATE does not open a transaction) it is dropped before and after use.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    and_,
    bindparam,
    func,
    insert,
    select,
    text,
    update,
)

from nashra.store.subscribers import SubscriberStatus, subscribers, subscriptions
from nashra.store.types import UTCDateTime

_NAME = "nashra_import_rows"
_metadata = MetaData()  # not the schema's: never migrated, never in the main database
rows = Table(
    _NAME,
    _metadata,
    Column("line", Integer, primary_key=True, autoincrement=False),
    Column("email", String(320), nullable=False, index=True),
    Column("bad", Boolean, nullable=False),  # a bad line whose address still counts for repeats
    Column("name", Text, nullable=False),
    Column("status", String(20), nullable=False),
    Column("digests", Text, nullable=False),  # encoded as subscriptions.digests
    Column("consent_at", UTCDateTime()),
    Column("consent_source", String(200), nullable=False),
    prefixes=["TEMPORARY"],
    postgresql_on_commit="DROP",
)
_COLUMNS = tuple(c.name for c in rows.columns)


@dataclass(frozen=True, slots=True)
class StagedRow:
    """One line of the file (`line`) and its address, with what it asks for."""

    line: int
    email: str
    bad: bool
    name: str
    status: SubscriberStatus
    digests: str
    consent_at: datetime | None
    consent_source: str


@dataclass(frozen=True, slots=True)
class Joined:
    """A good staged row with the subscriber of that address, if any, and its subscription to the
    list being imported into (None when there is none)."""

    row: StagedRow
    subscriber_id: int | None
    name: str
    status: SubscriberStatus | None
    digests: str | None


def create(conn: Connection) -> None:
    drop(conn)
    rows.create(conn)


def drop(conn: Connection) -> None:
    if conn.dialect.name == "sqlite":
        conn.execute(text(f"DROP TABLE IF EXISTS temp.{_NAME}"))


def add(conn: Connection, batch: Sequence[StagedRow]) -> None:
    if not batch:
        return
    if conn.dialect.name == "postgresql":
        _copy(conn, batch)
    else:
        conn.execute(insert(rows), [{c: getattr(r, c) for c in _COLUMNS} for r in batch])


def _copy(conn: Connection, batch: Sequence[StagedRow]) -> None:
    """COPY is PostgreSQL's bulk path: one round trip for the batch, no statement per row."""
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    with cursor.copy(f"COPY {_NAME} ({', '.join(_COLUMNS)}) FROM STDIN") as copy:
        for r in batch:
            copy.write_row(tuple(getattr(r, c) for c in _COLUMNS))


def drop_repeats(conn: Connection) -> list[tuple[int, str, int]]:
    """Remove every row whose address an earlier line already gave: (line, address, first line)."""
    firsts = (
        select(rows.c.email, func.min(rows.c.line).label("first"))
        .group_by(rows.c.email)
        .having(func.count() > 1)
        .subquery()
    )
    repeats = [
        (int(line), str(email), int(first))
        for line, email, first in conn.execute(
            select(rows.c.line, rows.c.email, firsts.c.first)
            .join(firsts, and_(firsts.c.email == rows.c.email, rows.c.line > firsts.c.first))
            .order_by(rows.c.line)
        )
    ]
    for start in range(0, len(repeats), 1000):
        conn.execute(
            rows.delete().where(rows.c.line.in_([line for line, _, _ in repeats[start : start + 1000]]))
        )
    return repeats


def joined(conn: Connection, list_id: int, *, chunk: int) -> Iterator[list[Joined]]:
    """The good rows in file order, `chunk` at a time, each with what the database holds for it.

    Read by line (keyset) so that writing what one chunk decides cannot disturb the next: a file
    names each address once, so no chunk reads an address an earlier chunk wrote.
    """
    after = 0
    while True:
        found = conn.execute(
            select(
                rows,
                subscribers.c.id.label("subscriber_id"),
                subscribers.c.name.label("old_name"),
                subscribers.c.status.label("old_status"),
                subscriptions.c.digests.label("old_digests"),
            )
            .outerjoin(subscribers, subscribers.c.email == rows.c.email)
            .outerjoin(
                subscriptions,
                and_(subscriptions.c.subscriber_id == subscribers.c.id, subscriptions.c.list_id == list_id),
            )
            .where(rows.c.line > after, rows.c.bad.is_(False))
            .order_by(rows.c.line)
            .limit(chunk)
        ).all()
        if not found:
            return
        yield [_joined(r) for r in found]
        after = found[-1].line


def _joined(r: Any) -> Joined:
    row = StagedRow(**{c: getattr(r, c) for c in _COLUMNS} | {"status": SubscriberStatus(r.status)})
    return Joined(
        row=row,
        subscriber_id=r.subscriber_id,
        name=r.old_name or "",
        status=None if r.old_status is None else SubscriberStatus(r.old_status),
        digests=r.old_digests,
    )


# -- writing what the import decided, a chunk at a time ------------------------------------------


def insert_subscribers(conn: Connection, new: Sequence[dict[str, Any]]) -> list[int]:
    """Insert subscribers (values as `subscribers.insert_subscriber` writes them); their ids, in order."""
    if not new:
        return []
    result = conn.execute(insert(subscribers).returning(subscribers.c.id, sort_by_parameter_order=True), new)
    return [int(i) for i in result.scalars()]


def update_subscribers(
    conn: Connection, changes: Sequence[tuple[int, dict[str, Any]]], *, now: datetime
) -> None:
    """Apply `manage.subscriber_changes` results; a status change stamps `status_changed_at`."""
    by_columns: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for subscriber_id, values in changes:
        stamp = {"status_changed_at": now} if "status" in values else {}
        row = {**values, **stamp, "updated_at": now}
        by_columns.setdefault(tuple(sorted(row)), []).append({**row, "_id": subscriber_id})
    for columns, params in by_columns.items():
        conn.execute(
            update(subscribers)
            .where(subscribers.c.id == bindparam("_id"))
            .values({c: bindparam(c) for c in columns}),
            params,
        )


def insert_subscriptions(
    conn: Connection, list_id: int, new: Sequence[tuple[int, str]], *, now: datetime
) -> None:
    if new:
        conn.execute(
            insert(subscriptions),
            [{"list_id": list_id, "subscriber_id": s, "digests": d, "created_at": now} for s, d in new],
        )


def update_subscriptions(conn: Connection, list_id: int, widened: Sequence[tuple[int, str]]) -> None:
    if widened:
        conn.execute(
            update(subscriptions)
            .where(subscriptions.c.list_id == list_id, subscriptions.c.subscriber_id == bindparam("_id"))
            .values(digests=bindparam("_digests")),
            [{"_id": s, "_digests": d} for s, d in widened],
        )
