"""First start of a fresh install: the worker and the web app (or several workers) migrate the same
empty database at the same moment, and every one of them must come up with the schema at head."""

from __future__ import annotations

import multiprocessing
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from nashra.store import open_store

POSTGRES_URL = os.environ.get("NASHRA_TEST_POSTGRES_URL", "postgresql://postgres@localhost:5432/test")
PROCESSES = 6


def _migrate(url: str, barrier: multiprocessing.synchronize.Barrier) -> None:
    barrier.wait(timeout=60)
    open_store(url).close()


def _migrate_together(url: str) -> list[int]:
    """Exit codes of PROCESSES processes that each open (and so migrate) `url` at the same moment."""
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(PROCESSES)
    processes = [context.Process(target=_migrate, args=(url, barrier)) for _ in range(PROCESSES)]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=120)
    return [process.exitcode if process.exitcode is not None else -1 for process in processes]


def _heads_and_revisions(url: str) -> tuple[set[str], set[str]]:
    engine = create_engine(
        make_url(url).set(drivername="postgresql+psycopg") if url.startswith("postgresql") else url
    )
    with engine.connect() as conn:
        current = set(MigrationContext.configure(conn).get_current_heads())
    engine.dispose()
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", "nashra:migrations")
    return current, set(ScriptDirectory.from_config(config).get_heads())


@pytest.fixture
def scratch_postgres() -> Iterator[str]:
    """A new, empty PostgreSQL database of its own, dropped afterwards."""
    server = create_engine(
        make_url(POSTGRES_URL).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT"
    )
    name = f"nashra_mig_{uuid.uuid4().hex[:12]}"
    with server.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with server.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        server.dispose()


@pytest.mark.postgres
def test_processes_migrating_a_fresh_postgres_database_together_all_succeed(scratch_postgres: str) -> None:
    assert _migrate_together(scratch_postgres) == [0] * PROCESSES
    current, heads = _heads_and_revisions(scratch_postgres)
    assert current == heads and heads


def test_processes_migrating_a_fresh_sqlite_file_together_all_succeed(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'data' / 'nashra.db'}"
    assert _migrate_together(url) == [0] * PROCESSES
    current, heads = _heads_and_revisions(url)
    assert current == heads and heads
