"""Shared fixtures: every store-touching test runs on SQLite and on PostgreSQL.

PostgreSQL comes from NASHRA_TEST_POSTGRES_URL (default postgresql://postgres@localhost:5432/test).
Each test gets its own database, cloned from a migrated template made once per session, so tests
(and several pytest processes) never see each other's rows. When PostgreSQL is unreachable the
PostgreSQL variants are skipped with the reason, unless NASHRA_REQUIRE_POSTGRES=1 (as in CI),
which turns that into a failure.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from nashra.config import Settings
from nashra.config.loader import parse_settings
from nashra.runtime import Runtime
from nashra.store import Store, open_store
from nashra.store.database import create_db_engine, migrate

POSTGRES_URL = os.environ.get("NASHRA_TEST_POSTGRES_URL", "postgresql://postgres@localhost:5432/test")
REQUIRE_POSTGRES = os.environ.get("NASHRA_REQUIRE_POSTGRES") == "1"


def _admin_engine():  # type: ignore[no-untyped-def]
    url = make_url(POSTGRES_URL).set(drivername="postgresql+psycopg")
    return create_engine(url, isolation_level="AUTOCOMMIT", pool_pre_ping=True)


@pytest.fixture(scope="session")
def postgres_template() -> Iterator[str]:
    """Name of a migrated template database, created once per test session."""
    try:
        admin = _admin_engine()
        with admin.connect() as conn:
            conn.execute(text("select 1"))
    except Exception as exc:
        message = f"PostgreSQL not reachable at {POSTGRES_URL}: {exc.__class__.__name__}: {exc}"
        if REQUIRE_POSTGRES:
            pytest.fail(message)
        pytest.skip(message)
    name = f"nashra_tpl_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine = create_db_engine(make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False))
    migrate(engine)
    engine.dispose()
    yield name
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'nashra.db'}"
        return
    template = request.getfixturevalue("postgres_template")
    name = f"nashra_t_{uuid.uuid4().hex[:12]}"
    admin = _admin_engine()
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


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
