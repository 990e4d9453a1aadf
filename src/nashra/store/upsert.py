"""Write a row whether or not it exists yet, in one statement, on SQLite and PostgreSQL alike."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import Column, Connection, Table
from sqlalchemy.dialects import postgresql, sqlite


def conflict_insert(conn: Connection, table: Table) -> postgresql.Insert | sqlite.Insert:
    """An INSERT into `table` that can say what a conflicting row gets (`on_conflict_do_update`,
    `on_conflict_do_nothing`): both dialects spell it alike, each with its own construct."""
    insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    return insert(table)


def upsert(
    conn: Connection, table: Table, key: Column[str], key_value: str, values: Mapping[str, object]
) -> None:
    """INSERT … ON CONFLICT DO UPDATE: two writers of a new row (a heartbeat and a job starting,
    two workers saving one source's state) both land. An UPDATE-then-INSERT pair lets both INSERT,
    and the loser's whole transaction is lost."""
    statement = conflict_insert(conn, table).values({key.name: key_value, **values})
    conn.execute(statement.on_conflict_do_update(index_elements=[key], set_=dict(values)))
