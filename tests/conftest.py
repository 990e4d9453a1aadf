"""Shared fixtures: store-touching tests run on SQLite and on PostgreSQL.

PostgreSQL comes from NASHRA_TEST_POSTGRES_URL (default postgresql://postgres@localhost:5432/test).
Each pytest process (each xdist worker) migrates a database of its own once, and every PostgreSQL
test starts from it emptied, sequences restarted: cloning a database per test cost about 0.65 s,
emptying one costs about 15 ms. Several pytest processes never see each other's rows because their
databases differ. When PostgreSQL is unreachable the PostgreSQL variants are skipped with the
reason, unless NASHRA_REQUIRE_POSTGRES=1 (as in CI), which turns that into a failure.

A test whose use of the store is not database-specific (rendering, HTTP faces, configuration) is
marked `sqlite_only`: it runs once, on SQLite, instead of twice.
"""

from __future__ import annotations

import logging
import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Connection, Engine, MetaData, create_engine, text
from sqlalchemy.engine import make_url

from nashra.config import Settings
from nashra.config.loader import parse_settings
from nashra.runtime import Runtime
from nashra.social.channels import mastodon_limits
from nashra.store import Store, open_store
from nashra.store.database import create_db_engine, migrate

POSTGRES_URL = os.environ.get("NASHRA_TEST_POSTGRES_URL", "postgresql://postgres@localhost:5432/test")
REQUIRE_POSTGRES = os.environ.get("NASHRA_REQUIRE_POSTGRES") == "1"
BACKENDS = ("sqlite", pytest.param("postgresql", marks=pytest.mark.postgres))


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Runs every test that uses the store once per backend (SQLite only when marked `sqlite_only`,
    PostgreSQL only when marked `postgres_only`).

    Parametrized here rather than with fixture params so a marker can narrow it; this hook runs
    before the `parametrize` marks, so the backend stays first in the test id (`[postgresql-4]`),
    which .ci/postgres_ran.py relies on.
    """
    if "database_url" in metafunc.fixturenames:
        marked = metafunc.definition.get_closest_marker
        backends = (
            BACKENDS[:1] if marked("sqlite_only") else BACKENDS[1:] if marked("postgres_only") else BACKENDS
        )
        metafunc.parametrize("database_url", backends, indirect=True)


def _postgres_url(database: str) -> str:
    return make_url(POSTGRES_URL).set(database=database).render_as_string(hide_password=False)


def _autocommit_engine(url: str) -> Engine:
    return create_engine(make_url(url).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT")


@dataclass
class PostgresDatabase:
    """This process's migrated database, and a connection kept open to empty it between tests."""

    url: str
    admin: Connection
    reset: str

    def empty(self) -> None:
        """Ends what earlier tests left connected (a killed worker's session, an unclosed store, an
        advisory lock), then empties every table; lock_timeout turns a stuck reset into an error."""
        self.admin.execute(
            text(
                "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        )
        self.admin.exec_driver_sql(self.reset)


def _reset_script(admin: Connection) -> str:
    """DELETE child tables first, then restart the sequences, in one transaction and one round trip.

    DELETE rather than TRUNCATE: on tables holding a test's few rows it takes ~15 ms where TRUNCATE
    (new files for every table and index) takes ~110 ms, and a clone per test took ~650 ms.
    """
    schema = MetaData()
    schema.reflect(admin)
    tables = [table.name for table in reversed(schema.sorted_tables) if table.name != "alembic_version"]
    sequences = admin.execute(text("SELECT sequencename FROM pg_sequences WHERE schemaname = 'public'"))
    statements = [
        "BEGIN",
        *(f'DELETE FROM "{table}"' for table in tables),
        *(f'ALTER SEQUENCE "{sequence}" RESTART' for sequence in sequences.scalars()),
        "COMMIT",
    ]
    return ";\n".join(statements)


@pytest.fixture(autouse=True)
def fresh_mastodon_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test starts knowing no Mastodon server's limits: pytest-httpserver serves all tests of
    a process from one address, which the per-process cache would otherwise carry across them."""
    monkeypatch.setattr(mastodon_limits, "LIMITS", mastodon_limits.LimitsCache())


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[PostgresDatabase]:
    """A database migrated once for this pytest process (or xdist worker), dropped at the end."""
    server = _autocommit_engine(POSTGRES_URL)
    try:
        with server.connect() as conn:
            conn.execute(text("select 1"))
    except Exception as exc:
        message = f"PostgreSQL not reachable at {POSTGRES_URL}: {exc.__class__.__name__}: {exc}"
        if REQUIRE_POSTGRES:
            pytest.fail(message)
        pytest.skip(message)
    name = f"nashra_t_{uuid.uuid4().hex[:12]}"
    with server.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = _postgres_url(name)
    migrated = create_db_engine(url)
    migrate(migrated)
    migrated.dispose()
    engine = _autocommit_engine(url)
    with engine.connect() as admin:
        admin.execute(text("SET lock_timeout = '10s'"))
        yield PostgresDatabase(url, admin, _reset_script(admin))
    engine.dispose()
    with server.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    server.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file; copying it (~20 ms) is cheaper than migrating a new one (~80 ms)."""
    path = tmp_path_factory.mktemp("sqlite-template") / "nashra.db"
    open_store(f"sqlite:///{path}").close()
    return path


@pytest.fixture
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """This test's database: a copy of the migrated SQLite file, or this process's PostgreSQL
    database, emptied."""
    if request.param == "sqlite":
        copy = tmp_path / "nashra.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), copy)
        return f"sqlite:///{copy}"
    database: PostgresDatabase = request.getfixturevalue("postgres_database")
    database.empty()
    return database.url


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    opened = open_store(database_url)
    yield opened
    opened.close()


@pytest.fixture
def make_settings(tmp_path: Path, database_url: str) -> Callable[[str], Settings]:
    """Settings from TOML text (in a file under tmp_path), pointed at this test's database."""

    def make(toml: str = "") -> Settings:
        config = tmp_path / "nashra.toml"
        body = f'[database]\nurl = "{database_url}"\n\n{toml}' if "[database]" not in toml else toml
        config.write_text(body, encoding="utf-8")
        return parse_settings(body, origin=str(config), base_dir=tmp_path)

    return make


@pytest.fixture
def make_runtime(make_settings: Callable[[str], Settings]) -> Iterator[Callable[[str], Runtime]]:
    opened: list[Runtime] = []

    def make(toml: str = "") -> Runtime:
        runtime = Runtime.open(make_settings(toml))
        opened.append(runtime)
        return runtime

    yield make
    for runtime in opened:
        runtime.close()


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """The CLI points the `nashra` logger at its terminal (or CliRunner's stream, closed after each
    invoke); give the tests that follow the logger they had."""
    logger = logging.getLogger("nashra")
    saved = (logger.handlers[:], logger.level, logger.propagate)
    yield
    logger.handlers[:], logger.level, logger.propagate = saved


CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]


@pytest.fixture(scope="module")
def chromium():  # type: ignore[no-untyped-def]
    """Headless Debian Chromium through Playwright, for the browser tests. Missing, it fails under
    CI (which must run them) and is skipped elsewhere with how to install it."""
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail(
                f"{CHROMIUM} is missing, and CI must run the browser tests (apt-get install chromium)"
            )
        pytest.skip(f"{CHROMIUM} is missing (install Debian's chromium, e.g. `make system-deps`)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()
