"""Everything a step needs for one process: settings, the store, and a shared HTTP client
(`httpclient.open_client`: connect timeout, total deadline, size caps).

Faces (CLI, worker, web) build one Runtime and hand it to the steps; the steps never build
their own connections, so tests can point a whole run at any database or server.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import httpx
from sqlalchemy import Connection

from nashra.config import Settings, load_settings
from nashra.config.overrides import Ignored
from nashra.config.overrides import apply as apply_overrides
from nashra.httpclient import open_client
from nashra.logs import event
from nashra.store import Store, open_store, overrides

log = logging.getLogger(__name__)


class Handoff(Protocol):
    """Queues work for the workers of the distributed mode, in the caller's transaction, so the
    job exists exactly when the state that needs it does."""

    def __call__(self, conn: Connection, stage: str, targets: Sequence[str], *, delay: float = 0) -> int:
        """Queue one job per target of `stage`, `delay` seconds from now; returns how many were
        queued (a target whose job already waits is not queued twice)."""
        ...


@dataclass
class Runtime:
    settings: Settings
    store: Store
    http: httpx.Client = field(repr=False)
    stopping: threading.Event = field(default_factory=threading.Event, repr=False)
    """Set when the process was asked to stop: long steps end at their next safe point."""
    handoff: Handoff | None = field(default=None, repr=False)
    """Set in a queue worker (the distributed mode): a step may split its work into jobs that any
    worker takes, instead of doing it all itself. None: this process does everything."""
    on_new_articles: Callable[[Connection], object] | None = field(default=None, repr=False)
    """Set in a queue worker: called in the transaction that stored new or changed articles, to
    queue the stages that follow ingest with them. (Inline, the worker runs them itself.)"""
    overrides_seen: int = field(default=-1, repr=False)
    """The overrides' generation `settings` carry (`store.overrides.generation`)."""
    ignored_overrides: list[Ignored] = field(default_factory=list, repr=False)
    """Stored overrides that no longer apply to the file, each with why (`nashra config show`)."""

    @classmethod
    def open(cls, settings: Settings) -> Runtime:
        """The store of `settings`, and `settings` with the overrides stored there."""
        store = open_store(settings.database_url)
        runtime = cls(settings=settings, store=store, http=open_client(settings))
        runtime.refresh_overrides()
        return runtime

    def refresh_overrides(self, file_settings: Settings | None = None) -> bool:
        """Apply the stored overrides again over the file's settings (or over `file_settings`, a
        file just read again) when they changed; whether `settings` changed."""
        with self.store.connect() as conn:
            seen = overrides.generation(conn)
            if file_settings is None and seen == self.overrides_seen:
                return False
            stored = overrides.all_overrides(conn)
        base = file_settings or self.settings.file_settings
        self.settings, self.ignored_overrides = apply_overrides(base, stored)
        self.overrides_seen = seen
        for left_out in self.ignored_overrides:
            event(
                log,
                "config.override_ignored",
                level=logging.WARNING,
                path=left_out.override.path,
                set_by=left_out.override.set_by,
                reason=left_out.reason,
                hint=f"the file's value is used; `nashra config unset {left_out.override.path}` removes it",
            )
        return True

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
