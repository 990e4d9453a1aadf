"""Alembic environment: always run with a connection handed over by `nashra.store.database.migrate`."""

from alembic import context

from nashra.store.queue_schema import ours
from nashra.store.registry import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True, include_name=ours)
with context.begin_transaction():
    context.run_migrations()
