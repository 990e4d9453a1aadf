"""procrastinate's tables, functions and triggers, in the one migration history Nashra has.

Why through Alembic and not `procrastinate schema --apply`: one `nashra run` (or web app, or
worker) starting on a new database must bring *every* table to head, one process at a time
under the migration lock (`store.database.migrate`), and `nashra check` must be able to say
"schema at head" — a second, separate migration tool would give neither. So revision
0011_procrastinate applies procrastinate's own schema SQL, on PostgreSQL only (SQLite never runs
the queue; the config refuses that).

Why a copy of the SQL (`migrations/procrastinate/03.04.00_schema.sql`, procrastinate's
`schema.sql` as of its migration 03.04.00, unchanged up to release 3.10) rather than the
installed package's `schema.sql`: a revision must mean the same on every database for ever. If
0011 read the package's current schema, a newer procrastinate would make 0011 create a newer
schema on a new database, and the revision that upgrades old databases would then fail on it.

Upgrading procrastinate's schema later: procrastinate ships one SQL file per schema change
(`procrastinate/sql/migrations/*.sql`, kept for every release; `package_migrations` lists them).
A new Nashra revision runs the files newer than `APPLIED_UP_TO` as `apply_schema` runs the copy,
in the order and phase (`pre` before the new code runs, `post` after) procrastinate's upgrade
notes give — a file that adds an enum value must be committed before the next uses it, and so
runs in Alembic's `autocommit_block` — and moves `APPLIED_UP_TO`. `tests/core/test_queue_schema.py`
fails while the installed procrastinate has a file newer than it, so a dependency bump cannot
slip past unmigrated.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from sqlalchemy import Connection

APPLIED_UP_TO = "03.04.00_50"
"""The newest procrastinate migration the revisions so far have applied."""

TABLE_PREFIX = "procrastinate_"


def _run_script(connection: Connection, sql: str) -> None:
    """A whole SQL script in one call, on the raw driver: with no parameters, psycopg leaves its
    `%` signs alone and sends every statement in one round trip."""
    cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(sql)
    finally:
        cursor.close()


def apply_schema(connection: Connection) -> None:
    """procrastinate's schema as of APPLIED_UP_TO (revision 0011), on PostgreSQL only."""
    if connection.dialect.name != "postgresql":
        return
    sql = (
        resources.files("nashra.migrations").joinpath("procrastinate/03.04.00_schema.sql").read_text("utf-8")
    )
    _run_script(connection, sql)


def package_migrations() -> list[Path]:
    """The schema migrations the installed procrastinate ships, oldest first."""
    from procrastinate.schema import SchemaManager

    return sorted(Path(SchemaManager.get_migrations_path()).glob("*.sql"))


def pending_migrations() -> list[Path]:
    """procrastinate's migrations newer than the ones Nashra's revisions have applied."""
    return [path for path in package_migrations() if path.name[: len(APPLIED_UP_TO)] > APPLIED_UP_TO]


def ours(name: str | None, type_: str, _parents: object) -> bool:
    """Alembic's `include_name`: procrastinate's tables are not in Nashra's metadata, and
    autogenerate must not offer to drop them."""
    return not (type_ == "table" and name is not None and name.startswith(TABLE_PREFIX))
