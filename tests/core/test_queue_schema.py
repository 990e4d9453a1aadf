"""procrastinate's schema comes with Nashra's migrations, on PostgreSQL only, and no procrastinate
release can bring a schema change that no revision applies."""

from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import inspect, text

from nashra.store import Store
from nashra.store.database import _alembic_config
from nashra.store.queue_schema import pending_migrations

TABLES = {
    "procrastinate_jobs",
    "procrastinate_workers",
    "procrastinate_events",
    "procrastinate_periodic_defers",
}


def test_every_procrastinate_migration_is_applied_by_a_revision() -> None:
    assert [path.name for path in pending_migrations()] == [], (
        "the installed procrastinate has schema migrations no Nashra revision applies: "
        "add a revision (nashra.store.queue_schema explains how)"
    )


def test_the_queue_schema_is_on_postgresql_only(store: Store) -> None:
    with store.connect() as conn:
        present = TABLES & set(inspect(conn).get_table_names())
    assert present == (TABLES if store.backend == "postgresql" else set())


@pytest.mark.postgres_only
def test_the_queue_schema_works_and_downgrades_cleanly(store: Store) -> None:
    """procrastinate's own functions answer; down past 0011 and up again leaves the same schema."""
    config = _alembic_config()
    with store.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0010_article_forms")
        assert not TABLES & set(inspect(conn).get_table_names())
        command.upgrade(config, "heads")
    with store.begin() as conn:
        worker = conn.execute(text("SELECT procrastinate_register_worker_v1()")).scalar_one()
        assert (
            conn.execute(
                text("SELECT count(*) FROM procrastinate_workers WHERE id = :id"), {"id": worker}
            ).scalar()
            == 1
        )
