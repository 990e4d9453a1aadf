"""In the distributed mode the console does not run a digest's send or a source's fetch itself: it
queues the job for the workers, in the transaction that records who asked (a crash between the two
can leave neither alone), and a job already waiting is not queued twice."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from consolekit import TOML, ConsoleSite, logged_in

from nashra.store import audit
from nashra.store.users import Role
from queuekit import QUEUE, jobs_by_lock

pytestmark = pytest.mark.postgres_only

DISTRIBUTED = (
    f"{TOML}\n{QUEUE}\n"
    '[[digests]]\nname = "daily"\n\n'
    '[[sources]]\ntype = "rss"\nname = "wire"\nurl = "http://127.0.0.1:9/feed"\n'
)


def _actions(site: ConsoleSite) -> list[tuple[str, str, str]]:
    with site.runtime.store.connect() as conn:
        return [
            (e.action, e.target, str(e.details.get("mode") or e.details.get("outcome")))
            for e in audit.recent_entries(conn)
        ]


def test_send_now_and_fetch_now_queue_their_jobs_with_the_audit_row(
    make_console: Callable[[str], ConsoleSite],
) -> None:
    site = make_console(DISTRIBUTED)
    client, csrf = logged_in(site, "editor@oasis.example", Role.EDITOR)

    sent = client.post("/console/digests/daily/send", data={"csrf": csrf})
    assert sent.status_code == 303, sent.text
    fetched = client.post("/console/sources/wire/fetch", data={"csrf": csrf})
    assert fetched.status_code == 303, fetched.text
    again = client.post("/console/sources/wire/fetch", data={"csrf": csrf})
    assert again.status_code == 303

    assert jobs_by_lock(site.runtime.store) == {"digests:daily": ["todo"], "ingest:wire": ["todo"]}
    assert {
        ("digest.send_now", "daily", "queued"),
        ("source.fetch", "wire", "queued"),
        ("source.fetch", "wire", "already_waiting"),
    } <= set(_actions(site))
