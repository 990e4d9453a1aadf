"""A temporary table that holds a CSV import while it is checked, so a million rows cost neither
memory nor a statement each.

Rows go in by the thousand (COPY on PostgreSQL, the driver's executemany on SQLite), repeated
addresses are found by one grouped query instead of a set in memory, the addresses already stored
come back joined to what the database holds about them (for the caller to decide, a chunk at a
time), and the new ones go in with one INSERT … SELECT each for subscribers and subscriptions. The
table lives in the import's connection only: on PostgreSQL it is dropped at commit or rollback, on
SQLite (where CREATE does not open a transaction) it is dropped before and after use.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass, fields
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
    literal,
    select,
    text,
    update,
)

from nashra.store.subscribers import SubscriberStatus, log_changes, subscribers, subscriptions
from nashra.store.types import UTCDateTime

_NAME = "nashra_import_rows"
_ANALYZE_AFTER = 10_000
_metadata = MetaData()  # not the schema's: never migrated, never in the main database
rows = Table(
    _NAME,
    _metadata,
    Column("line", Integer, primary_key=True, autoincrement=False),
    Column("email", String(320), nullable=False),
    Column("bad", Boolean, nullable=False),  # a bad line whose address still counts for repeats
    Column("name", Text, nullable=False),
    Column("status", String(20), nullable=False),
    Column("digests", Text, nullable=False),  # encoded as subscriptions.digests
    Column("consent_at", UTCDateTime()),
    Column("consent_source", String(200), nullable=False),
    prefixes=["TEMPORARY"],
    postgresql_on_commit="DROP",
)


@dataclass(frozen=True, slots=True)
class StagedRow:
    """One line of the file and what it asks for its address; `consent_at` is what a new
    subscriber would get (`manage.new_consent_at`)."""

    line: int
    email: str
    bad: bool
    name: str
    status: SubscriberStatus
    digests: str
    consent_at: datetime | None
    consent_source: str


_COLUMNS = tuple(f.name for f in fields(StagedRow))


@dataclass(frozen=True, slots=True)
class Existing:
    """A good staged row whose address is stored, with the stored subscriber and its subscription
    to the list being imported into (`digests` None when there is none)."""

    row: StagedRow
    subscriber_id: int
    name: str
    status: SubscriberStatus
    digests: str | None


def create(conn: Connection) -> None:
    drop(conn)
    rows.create(conn)


def drop(conn: Connection) -> None:
    if conn.dialect.name == "sqlite":
        conn.execute(text(f"DROP TABLE IF EXISTS temp.{_NAME}"))


def add(conn: Connection, batch: Sequence[StagedRow]) -> None:
    """Stage rows through the driver itself: SQLAlchemy's per-row parameter handling would cost
    more than the database's work."""
    driver: Any = conn.connection.driver_connection
    if conn.dialect.name == "postgresql":
        with (
            driver.cursor() as cursor,
            cursor.copy(f"COPY {_NAME} ({', '.join(_COLUMNS)}) FROM STDIN") as copy,
        ):
            for r in batch:
                copy.write_row(
                    (
                        r.line,
                        r.email,
                        r.bad,
                        r.name,
                        r.status.value,
                        r.digests,
                        r.consent_at,
                        r.consent_source,
                    )
                )
        return
    stamp = rows.c.consent_at.type.dialect_impl(conn.dialect).bind_processor(conn.dialect)
    assert stamp is not None
    driver.executemany(
        f"INSERT INTO {_NAME} ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' * len(_COLUMNS))})",
        [
            (r.line, r.email, r.bad, r.name, r.status.value, r.digests, stamp(r.consent_at), r.consent_source)
            for r in batch
        ],
    )


def drop_repeats(conn: Connection) -> list[tuple[int, str, int]]:
    """Remove every row whose address an earlier line already gave: (line, address, first line).

    Called once every row is staged: the index on addresses is built here, in one sort, rather
    than kept up to date insert by insert."""
    conn.execute(text(f"CREATE INDEX {_NAME}_email ON {_NAME} (email)"))
    if conn.dialect.name == "postgresql":
        conn.execute(text(f"ANALYZE {_NAME}"))  # autovacuum never sees a temporary table
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


def existing(conn: Connection, list_id: int, *, chunk: int) -> Iterator[list[Existing]]:
    """The good rows whose address is stored, in file order, `chunk` at a time.

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
            .join(subscribers, subscribers.c.email == rows.c.email)
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
        yield [
            Existing(
                row=StagedRow(
                    **{c: getattr(r, c) for c in _COLUMNS} | {"status": SubscriberStatus(r.status)}
                ),
                subscriber_id=r.subscriber_id,
                name=r.old_name,
                status=SubscriberStatus(r.old_status),
                digests=r.old_digests,
            )
            for r in found
        ]
        after = found[-1].line


def insert_new(conn: Connection, *, now: datetime) -> int:
    """Insert every good staged address not stored yet, in file order (so ids follow the file, as
    one insert per line gave them); returns how many."""
    stamp = literal(now, UTCDateTime())
    new = (
        select(
            rows.c.email,
            rows.c.name,
            rows.c.status,
            rows.c.consent_at,
            rows.c.consent_source,
            stamp,
            stamp,
            stamp,
        )
        .where(
            rows.c.bad.is_(False),
            ~select(subscribers.c.id).where(subscribers.c.email == rows.c.email).exists(),
        )
        .order_by(rows.c.line)
    )
    result = conn.execute(
        insert(subscribers).from_select(
            [
                "email",
                "name",
                "status",
                "consent_at",
                "consent_source",
                "status_changed_at",
                "created_at",
                "updated_at",
            ],
            new,
        ),
        execution_options={"preserve_rowcount": True},  # kept by SQLAlchemy for UPDATE/DELETE only
    )
    if conn.dialect.name == "postgresql" and result.rowcount >= _ANALYZE_AFTER:
        # the planner would join the next statement against a table it still believes small
        conn.execute(text("ANALYZE subscribers"))
    return int(result.rowcount)


def subscribe_missing(
    conn: Connection, list_id: int, *, now: datetime, except_statuses: Collection[SubscriberStatus]
) -> None:
    """Subscribe to the list every staged address that is stored and not subscribed to it yet,
    with the digests its line names, unless the subscriber is in one of `except_statuses`."""
    missing = (
        select(literal(list_id), subscribers.c.id, rows.c.digests, literal(now, UTCDateTime()))
        .join(subscribers, subscribers.c.email == rows.c.email)
        .where(
            rows.c.bad.is_(False),
            subscribers.c.status.not_in([s.value for s in except_statuses]),
            ~select(subscriptions.c.list_id)
            .where(subscriptions.c.list_id == list_id, subscriptions.c.subscriber_id == subscribers.c.id)
            .exists(),
        )
        .order_by(rows.c.line)
    )
    conn.execute(
        insert(subscriptions).from_select(["list_id", "subscriber_id", "digests", "created_at"], missing)
    )


def update_subscribers(
    conn: Connection, changes: Sequence[tuple[int, dict[str, Any]]], *, now: datetime
) -> None:
    """Apply `manage.subscriber_changes` results; a status change stamps `status_changed_at` and is
    logged (`subscribers.log_changes`)."""
    log_changes(conn, changes, now=now)
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


def widen_subscriptions(conn: Connection, list_id: int, widened: Sequence[tuple[int, str]]) -> None:
    if widened:
        conn.execute(
            update(subscriptions)
            .where(subscriptions.c.list_id == list_id, subscriptions.c.subscriber_id == bindparam("_id"))
            .values(digests=bindparam("_digests")),
            [{"_id": s, "_digests": d} for s, d in widened],
        )
