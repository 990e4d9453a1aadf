"""The three answers of a Nashra process, for the web app's routes and the workers' listener alike:
`/healthz` (the process answers), `/readyz` (the database answers with its schema at every
migration head, as `nashra check` judges it) and `/metrics` (Prometheus text).

`/readyz` opens a connection of its own with a short connect timeout, so a database that does not
answer makes it say so within seconds instead of hanging Docker's healthcheck.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest
from prometheus_client.core import Metric
from prometheus_client.registry import Collector
from sqlalchemy.exc import SQLAlchemyError

from nashra.errors import NashraError
from nashra.metrics.store import StoreCollector
from nashra.runtime import Runtime
from nashra.store.database import verify_schema
from nashra.text.urls import redact_credentials

READY_CONNECT_SECONDS = 3.0
PATHS = ("/healthz", "/readyz", "/metrics")


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    body: bytes
    content_type: str


class _Exposition(Collector):
    """This process's own metrics (the default registry: its jobs, Python's process and GC
    figures) and the store's."""

    def __init__(self, runtime: Runtime) -> None:
        self.parts: tuple[Collector, ...] = (REGISTRY, StoreCollector(runtime))

    def collect(self) -> list[Metric]:
        return [metric for part in self.parts for metric in part.collect()]


class Probes:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.exposition = _Exposition(runtime)

    def alive(self) -> Answer:
        return Answer(200, b"ok", "text/plain; charset=utf-8")

    def ready(self) -> Answer:
        url = self.runtime.store.engine.url.render_as_string(hide_password=False)
        try:
            database, ready = verify_schema(url, connect_timeout=READY_CONNECT_SECONDS), True
        except (NashraError, SQLAlchemyError) as exc:
            database, ready = redact_credentials(str(exc).splitlines()[0]), False
        body = {"status": "ready" if ready else "not ready", "database": database}
        return Answer(200 if ready else 503, json.dumps(body).encode(), "application/json")

    def metrics(self) -> Answer:
        return Answer(200, generate_latest(self.exposition), CONTENT_TYPE_LATEST)

    def answer(self, path: str) -> Answer | None:
        """The answer for one of PATHS, None for any other path."""
        match path:
            case "/healthz":
                return self.alive()
            case "/readyz":
                return self.ready()
            case "/metrics":
                return self.metrics()
        return None
