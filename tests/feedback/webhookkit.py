"""The webhook tests' site: the app on a real loopback server with the services enabled by TOML, a
subscriber (Samir) to whom issue 7 was sent, and what a post did to him (his status, the reports
stored). Signatures are made here with real keys, as the services make them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import func, insert, select

from loopback import live_app
from nashra.runtime import Runtime
from nashra.store import subscribers as db
from nashra.store.deliveries import DeliveryStatus, deliveries
from nashra.store.feedback import feedback
from nashra.store.subscribers import SubscriberStatus
from nashra.subscribers import add_subscriber
from nashra.web.app import create_app

SECRET = "test-secret-for-mail-tests"  # NASHRA_SECRET (conftest's secret_env): signs VERP senders too
ISSUE = 7
SAMIR = "samir@example.com"
DOMAIN = "nashra.example"  # of the default from_address


@dataclass
class Site:
    runtime: Runtime
    client: httpx.Client
    samir: int

    @property
    def message_id(self) -> str:
        """The Message-ID Nashra wrote on Samir's copy of issue 7."""
        return f"<{ISSUE}.{self.samir}.0123456789ab@{DOMAIN}>"

    def status(self) -> tuple[SubscriberStatus, str | None]:
        with self.runtime.store.connect() as conn:
            row = db.get_subscriber(conn, self.samir)
        assert row is not None
        return row.status, row.status_reason

    def reports(self) -> int:
        with self.runtime.store.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(feedback)).scalar_one())

    def stored(self) -> list[tuple[str, str, int | None, str]]:
        """(source, kind, issue, outcome) of every report stored, oldest first."""
        with self.runtime.store.connect() as conn:
            rows = conn.execute(
                select(feedback.c.source, feedback.c.kind, feedback.c.issue_id, feedback.c.outcome).order_by(
                    feedback.c.id
                )
            )
            return [(r.source, r.kind, r.issue_id, r.outcome) for r in rows]

    def untouched(self) -> bool:
        """Nothing a forged post could have done: Samir active, no report stored."""
        return self.status() == (SubscriberStatus.ACTIVE, None) and self.reports() == 0


def add_reader(runtime: Runtime, email: str, *, issue: int = ISSUE) -> int:
    """A subscriber to whom `issue` went out."""
    now = datetime.now(UTC)
    with runtime.store.begin() as conn:
        subscriber = add_subscriber(conn, email, now=now).subscriber_id
        conn.execute(
            insert(deliveries).values(
                issue_id=issue,
                subscriber_id=subscriber,
                status=DeliveryStatus.SENT,
                attempts=1,
                updated_at=now,
            )
        )
    return subscriber


@pytest.fixture
def make_site(make_runtime: Callable[[str], Runtime]) -> Iterator[Callable[..., Site]]:
    """A live app for TOML text; `http` replaces the runtime's client (the SNS certificate fetch)."""
    with ExitStack() as stack:

        def make(toml: str, *, http: httpx.Client | None = None) -> Site:
            runtime = make_runtime(toml)
            if http is not None:
                runtime.http.close()
                runtime.http = http
            samir = add_reader(runtime, SAMIR)
            base = stack.enter_context(live_app(create_app(runtime.settings, runtime=runtime)))
            client = stack.enter_context(httpx.Client(base_url=base))
            return Site(runtime, client, samir)

        yield make
