"""Tell a WebSub hub that feeds changed, so subscribers get them pushed instead of polling.

The publish ping is the form hubs accept (Google's and Superfeedr's hubs, PubSubHubbub 0.4): a form
POST `hub.mode=publish&hub.url=<topic>`, one per topic URL. A failing hub never fails the build:
the files are already written and readers still poll them. Because a changed file is written only
once, a ping that did not get through would be lost; topics not yet accepted are kept in a small
queue file under the data folder and retried first on the next build. The first failure stops the
round, so a hub that is down costs one timeout, not one per feed; the shared client's deadline
bounds that one.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from nashra.feeds.write import write_if_changed
from nashra.logs import event
from nashra.text.urls import redact_credentials

log = logging.getLogger(__name__)


@dataclass(slots=True)
class PingResult:
    accepted: int = 0
    pending: list[str] = field(default_factory=list)
    problem: str | None = None


def _post(http: httpx.Client, hub_url: str, topic: str) -> str | None:
    """None when the hub accepted the notification, else what went wrong."""
    try:
        response = http.post(hub_url, data={"hub.mode": "publish", "hub.url": topic})
    except httpx.HTTPError as exc:
        return f"{exc.__class__.__name__}: {exc}"
    return None if response.is_success else f"HTTP {response.status_code}"


def ping_hub(http: httpx.Client, hub_url: str, topic_urls: Iterable[str], queue: Path) -> PingResult:
    """Notify the hub of every topic queued earlier and of `topic_urls`; keep the rest queued."""
    earlier = queue.read_text(encoding="utf-8").split() if queue.is_file() else []
    topics = list(dict.fromkeys([*earlier, *topic_urls]))
    result = PingResult()
    shown = redact_credentials(hub_url)
    for index, topic in enumerate(topics):
        failure = _post(http, hub_url, topic)
        if failure is not None:
            result.pending = topics[index:]
            result.problem = (
                f"WebSub hub {shown} did not take the publish ping ({failure}); "
                f"{len(result.pending)} feed URL(s) queued for the next build"
            )
            event(
                log,
                "feeds.websub_failed",
                level=logging.WARNING,
                hub=shown,
                topic=topic,
                error=redact_credentials(failure),
                queued=len(result.pending),
            )
            break
        result.accepted += 1
    if result.pending:
        write_if_changed(queue, ("\n".join(result.pending) + "\n").encode("utf-8"))
    else:
        queue.unlink(missing_ok=True)
    if result.accepted:
        event(log, "feeds.websub_pinged", hub=shown, topics=result.accepted)
    return result
