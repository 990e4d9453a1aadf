"""Everything a step needs for one process: settings, the store, and a shared HTTP client
(`httpclient.open_client`: connect timeout, total deadline, size caps).

Faces (CLI, worker, web) build one Runtime and hand it to the steps; the steps never build
their own connections, so tests can point a whole run at any database or server.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from nashra.config import Settings, load_settings
from nashra.httpclient import open_client
from nashra.store import Store, open_store


@dataclass
class Runtime:
    settings: Settings
    store: Store
    http: httpx.Client = field(repr=False)
    stopping: threading.Event = field(default_factory=threading.Event, repr=False)
    """Set when the process was asked to stop: long steps end at their next safe point."""

    @classmethod
    def open(cls, settings: Settings) -> Runtime:
        store = open_store(settings.database_url)
        return cls(settings=settings, store=store, http=open_client(settings))

    @classmethod
    def from_config(cls, path: Path | None = None) -> Runtime:
        return cls.open(load_settings(path))

    def close(self) -> None:
        self.http.close()
        self.store.close()

    def __enter__(self) -> Runtime:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
