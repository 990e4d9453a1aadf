"""Engines and migrations: one code path for SQLite and PostgreSQL."""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext, suppress
from dataclasses import dataclass
from json.scanner import make_scanner
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from filelock import FileLock
from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, OperationalError

from nashra.errors import ConfigError, Unverified
from nashra.private import open_private, private_dir

if TYPE_CHECKING:
    from alembic.config import Config


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    """WAL lets the web app read while the worker writes; busy_timeout rides out short locks."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _create_private_sqlite(path: Path) -> None:
    """Create the database file 0600 before SQLite does (it would follow the umask): SQLite gives
    its -wal and -shm files the database file's mode, so those stay private too."""
    private_dir(path.parent)
    with suppress(FileExistsError):
        os.close(open_private(path, exclusive=True))


def dumps_json(value: object) -> str:
    """JSON columns as the store writes them: UTF-8 text, no spaces. SQLAlchemy's default writes
    every Arabic letter as a six-byte `\\u0642` escape: an article's forms (read for every article
    of every render) came out four times longer, and four times slower to decode."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


# The scanner `json.loads` ends in, built as `JSONDecoder` builds its own (typeshed wants another scanner).
_SCAN = make_scanner(json.JSONDecoder())  # type: ignore[arg-type]


def loads_json(text: str | bytes) -> Any:
    """JSON columns as the store reads them: `json.loads`, less its three Python calls and two
    whitespace matches around the C scanner when the text is one compact value, as `dumps_json`
    writes it (an article's forms are read for every article of every render). Anything else (a
    value another tool wrote with spaces, broken JSON, the bytes psycopg passes) goes through
    `json.loads` and its errors."""
    if type(text) is not str:
        return json.loads(text)
    try:
        value, end = _SCAN(text, 0)
    except (StopIteration, ValueError):
        return json.loads(text)
    return value if end == len(text) else json.loads(text)


def create_db_engine(url: str) -> Engine:
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ConfigError([f"database.url: {url!r} is not a database URL"]) from None
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            _create_private_sqlite(Path(parsed.database))
        engine = create_engine(
            parsed, connect_args={"timeout": 30}, json_serializer=dumps_json, json_deserializer=loads_json
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(parsed, pool_pre_ping=True, json_serializer=dumps_json, json_deserializer=loads_json)


MIGRATION_LOCK_KEY = 0x6E617368_6D696772  # "nashmigr": the PostgreSQL advisory lock of migrations


def _sqlite_migration_lock(engine: Engine) -> AbstractContextManager[object]:
    """A lock file beside a SQLite database file; an in-memory database is one process's alone."""
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        return nullcontext()
    return FileLock(f"{database}.migrate.lock", mode=0o600)


def _sqlite_file(url: str) -> Path | None:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    return Path(parsed.database)


def describe_database(url: str) -> str:
    """The database as an operator names it: a SQLite file's path, else the URL without its password."""
    try:
        path = _sqlite_file(url)
        return str(path) if path else make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "(not a database URL)"


def is_new_database(url: str) -> bool:
    """Whether opening `url` would start a new database: no SQLite file yet, or no schema in it.

    A server that cannot be reached counts as not new: opening it then says what is wrong.
    """
    try:
        path = _sqlite_file(url)
    except ArgumentError:
        return False
    if path is not None:
        return not path.exists()
    engine = create_db_engine(url)
    try:
        with engine.connect() as connection:
            return not inspect(connection).has_table("alembic_version")
    except OperationalError:
        return False
    finally:
        engine.dispose()


def _alembic_config() -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", "nashra:migrations")
    return config


def _read_only_engine(url: str, connect_timeout: float) -> Engine:
    """An engine that can neither create a SQLite file nor wait long for a server."""
    path = _sqlite_file(url)
    if path is not None:
        if not path.is_file():
            raise Unverified(f"no database file {path}; `nashra run` creates and migrates it")
        uri = f"file:{quote(str(path.resolve()))}?mode=ro"
        return create_engine(
            "sqlite://", creator=lambda: sqlite3.connect(uri, uri=True, timeout=connect_timeout)
        )
    parsed = make_url(url)
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() == "postgresql":
        return create_engine(parsed, connect_args={"connect_timeout": max(1, round(connect_timeout))})
    return create_engine(parsed)


@contextmanager
def read_only_connection(url: str, *, connect_timeout: float) -> Iterator[Connection]:
    """A connection for `nashra check`, which must never create or migrate a database, nor hang on
    one: a database that does not answer is `Unverified`, saying why in one line."""
    engine = _read_only_engine(url, connect_timeout)
    try:
        with engine.connect() as connection:
            yield connection
    except DBAPIError as exc:
        raise Unverified(f"cannot connect: {str(exc.orig).strip().splitlines()[0]}") from None
    finally:
        engine.dispose()


def verify_schema(url: str, *, connect_timeout: float) -> str:
    """Whether the database answers and its schema is at every migration head, touching nothing:
    a check never creates or migrates a database, it says what is wrong."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    heads = set(ScriptDirectory.from_config(_alembic_config()).get_heads())
    with read_only_connection(url, connect_timeout=connect_timeout) as connection:
        current = set(MigrationContext.configure(connection).get_current_heads())
    if not current:
        raise Unverified("connected, but no schema: not migrated; `nashra run` migrates it")
    if current != heads:
        behind = ", ".join(sorted(heads - current)) or "newer than this version of nashra"
        raise Unverified(f"connected, but the schema is not at head ({behind}); `nashra run` migrates it")
    return "connected, schema at head"


def migrate(engine: Engine) -> None:
    """Bring the schema to every head (each feature owns a migration branch).

    Processes that start together on a new database (worker and web app) would each create the
    same tables, and all but one would crash: they migrate one at a time, under an advisory lock
    held by the migration's own transaction on PostgreSQL and a lock file on SQLite. The ones that
    wait then find the schema at head and change nothing.
    """
    from alembic import command

    config = _alembic_config()
    with _sqlite_migration_lock(engine), engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
        config.attributes["connection"] = connection
        command.upgrade(config, "heads")


@dataclass(frozen=True)
class Store:
    """The engine plus the one way to open a transaction; queries live in the feature modules."""

    engine: Engine

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        with self.engine.begin() as connection:
            yield connection

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        with self.engine.connect() as connection:
            yield connection

    @property
    def backend(self) -> str:
        return self.engine.dialect.name

    def close(self) -> None:
        self.engine.dispose()


def open_store(url: str, *, run_migrations: bool = True) -> Store:
    engine = create_db_engine(url)
    try:
        if run_migrations:
            migrate(engine)
    except OperationalError as exc:
        engine.dispose()
        shown = make_url(url).render_as_string(hide_password=True)
        raise ConfigError([f"cannot open database {shown}: {exc.orig}"]) from None
    return Store(engine)
