"""Storage: SQLAlchemy Core tables and queries; SQLite embedded by default, PostgreSQL by URL.

Each feature keeps its tables and queries in its own module here, on the shared `metadata`, with its
own Alembic migration branch; `open_store` migrates to every head before handing out the engine.
"""

from nashra.store.database import Store, open_store

__all__ = ["Store", "open_store"]
