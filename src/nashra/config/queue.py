"""`[queue]`: who runs the stages — this process (inline) or workers on any machine (procrastinate).

The stages are the same code either way; only the distributed mode needs these keys beyond
`backend`. It keeps its queue in the PostgreSQL database that holds the ledgers, so
`backend = "procrastinate"` on SQLite is a config error (checked by the loader, which knows the
database URL once the environment has had its say).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

Backend = Literal["inline", "procrastinate"]


class QueueSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    backend: Backend = "inline"
    concurrency: Annotated[int, Field(ge=1, le=64)] = 4
    """Jobs one `nashra worker` runs at once (each in a thread); `--concurrency` overrides it."""
    stalled_after_seconds: Annotated[float, Field(ge=3, le=3600)] = 30
    """A worker silent this long is taken for dead and its jobs are run again by another. Workers
    beat three times in that span, so a slow but live worker never loses its job."""
    keep_finished_hours: Annotated[int, Field(ge=1)] = 168
    """Finished jobs are deleted after this long (failed ones are kept for the operator)."""

    @property
    def heartbeat_seconds(self) -> float:
        return self.stalled_after_seconds / 3


def backend_problem(queue: QueueSettings, database_url: str) -> str | None:
    """Why this queue cannot run on this database, or None."""
    if queue.backend == "procrastinate" and not database_url.startswith("postgresql"):
        return (
            'queue.backend: "procrastinate" keeps its jobs in PostgreSQL, but the database is not '
            'PostgreSQL; set [database] url (or NASHRA_DATABASE_URL) to postgresql://…, or use backend = "inline"'
        )
    return None
