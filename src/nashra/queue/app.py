"""The procrastinate app of a process: a psycopg pool on the store's PostgreSQL database, named
in pg_stat_activity after the process's role, with Nashra's task registered."""

from __future__ import annotations

import os
import socket

from procrastinate import App, PsycopgConnector, RetryStrategy
from sqlalchemy.engine import make_url

from nashra.config import Settings
from nashra.queue.task import TASK, run_unit_job
from nashra.store.queue_state import SCHEDULER_APPLICATION

RETRY = RetryStrategy(max_attempts=5, wait=10, exponential_wait=3)
"""A job that crashed (an exception no stage turned into a report: a full disk, a dropped
connection, a bug) runs again after 13, 19, 37, 91 and 253 seconds, then stays `failed` for the
operator (`nashra status`). Running again is safe: every effect is keyed in the store, and a
digest batch first settles what the crashed run left in its rows."""

SCHEDULER_ROLE = SCHEDULER_APPLICATION.removeprefix("nashra-")
WORKER_ROLE = "worker"


def process_name(role: str) -> str:
    """How this process shows in logs and in PostgreSQL's pg_stat_activity: "nashra-worker host:pid"."""
    return f"nashra-{role} {socket.gethostname()}:{os.getpid()}"[:63]  # NAMEDATALEN


def conninfo(database_url: str) -> str:
    """The libpq form of the store's URL (procrastinate connects with psycopg directly)."""
    return make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)


def open_app(settings: Settings, *, role: str, pool_size: int) -> App:
    """procrastinate's app for this process, with the task registered; the caller opens it."""
    connector = PsycopgConnector(
        conninfo=conninfo(settings.database_url),
        min_size=1,
        max_size=pool_size,
        kwargs={"application_name": process_name(role)},
    )
    app = App(connector=connector)
    app.task(name=TASK, pass_context=True, retry=RETRY)(run_unit_job)
    return app
