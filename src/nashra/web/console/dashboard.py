"""The dashboard: what needs a human on top, each with the action next to it, then the health of
everything else (nashra.health, what `nashra status` shows): jobs' last and next runs, the last
issues with their bounces and unsubscribes, channels, sources and, in the distributed mode, the
queue. For every operator; editors get the buttons."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from starlette.responses import Response

from nashra.health import Health, IssueHealth, SourceHealth, gather
from nashra.runtime import Runtime
from nashra.social.post import Planned, post_pending
from nashra.store.deliveries import DeliveryStatus, unsubscribed_since
from nashra.store.users import Role
from nashra.web.console.context import ConsoleRequest
from nashra.web.console.registry import N_, console_route

ROUTINE_HOLDS = ("spacing:", "quiet hours")
"""Holds that are the channel's own rhythm (its spacing, its quiet hours): nobody needs to act."""


@dataclass(frozen=True, slots=True)
class Held:
    channel: str
    posts: int
    why: str
    """Why the channel holds them, from nashra.social.post in English (a missing secret, a refusal, …)."""


@dataclass(frozen=True, slots=True)
class Board:
    health: Health
    held: list[Held]
    unsubscribed: dict[int, int] = field(default_factory=dict)
    """Unsubscribes among each shown issue's recipients since it went out, by issue id."""

    @property
    def failing_sources(self) -> list[SourceHealth]:
        return [s for s in self.health.sources if s.last_error]

    @property
    def channels_to_settle(self) -> list[tuple[str, int, int]]:
        """(channel, failed, unknown) for each channel with posts an operator should look at."""
        return [
            (c.name, c.counts.get("failed", 0), c.counts.get("unknown", 0))
            for c in self.health.channels
            if c.counts.get("failed") or c.counts.get("unknown")
        ]

    @property
    def unknown_deliveries(self) -> list[tuple[str, int]]:
        found = [
            (d.name, sum(i.counts.get(DeliveryStatus.UNKNOWN, 0) for i in d.issues))
            for d in self.health.digests
        ]
        return [(name, n) for name, n in found if n]

    @property
    def worker_down(self) -> bool:
        worker = self.health.worker
        return worker is not None and not worker.alive

    @property
    def queue_problems(self) -> list[str]:
        return self.health.queue.attention() if self.health.queue else []

    @property
    def needs_you(self) -> bool:
        return bool(
            self.failing_sources
            or self.channels_to_settle
            or self.held
            or self.unknown_deliveries
            or self.worker_down
            or self.queue_problems
            or self.health.missing_secrets
        )

    def unsubscribes(self, issue: IssueHealth) -> int:
        return self.unsubscribed.get(issue.id, 0)


def _held(runtime: Runtime) -> list[Held]:
    """Posts the next run would hold for a reason other than the channel's rhythm (`nashra post
    --dry-run`'s holds), one line per channel and reason."""
    counted: dict[tuple[str, str], int] = {}
    for result in post_pending(runtime, dry_run=True).results:
        if result.status is Planned.HELD and result.held and not result.held.startswith(ROUTINE_HOLDS):
            key = (result.channel, result.held)
            counted[key] = counted.get(key, 0) + 1
    return [Held(channel, n, why) for (channel, why), n in counted.items()]


def board(runtime: Runtime, now: datetime) -> Board:
    runtime.refresh_overrides()
    health = gather(runtime, now)
    with runtime.store.connect() as conn:
        unsubscribed = {
            issue.id: unsubscribed_since(conn, issue.id, issue.created_at)
            for digest in health.digests
            for issue in digest.issues
        }
    return Board(health, _held(runtime), unsubscribed)


@console_route("/", name="dashboard", nav=N_("Dashboard"))
async def dashboard(page: ConsoleRequest) -> Response:
    found: Board = await page.run(board, page.console.runtime, datetime.now(UTC))
    return page.page(
        "dashboard.html",
        board=found,
        health=found.health,
        can_pause=page.user.role.allows(Role.EDITOR),
        done=page.request.query_params.get("done", ""),
    )
