"""Sources in the console: each source's last fetch, last error and the articles it brought, and
an editor's "fetch now".

"Fetch now" is `nashra ingest`'s run of that one source: in the inline mode the web process runs
it off the event loop and shows what it did; in the distributed mode it is queued for a worker,
in the same transaction as its audit entry (it was asked for exactly when the job exists).
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.responses import Response

from nashra.config import SourceSettings
from nashra.ingest import ingest
from nashra.jobs import Unit
from nashra.runtime import Runtime
from nashra.sources.registry import configured_sources
from nashra.store.articles import count_articles
from nashra.store.sources import SourceState, all_states
from nashra.store.users import Role
from nashra.text.urls import redact_credentials
from nashra.web.console.context import ConsoleRequest
from nashra.web.console.registry import N_, console_route


@dataclass(frozen=True, slots=True)
class SourceView:
    config: SourceSettings
    state: SourceState | None
    articles: int

    @property
    def last_error(self) -> str | None:
        """A key written into the source's URL stays out of the page too."""
        error = self.state.last_error if self.state else None
        return redact_credentials(error) if error else None


def source_views(runtime: Runtime) -> list[SourceView]:
    with runtime.store.connect() as conn:
        states = {s.name: s for s in all_states(conn)}
        counts = count_articles(conn)
    return [
        SourceView(config, states.get(config.name), counts.get(config.name, 0))
        for _, config in configured_sources(runtime.settings)
    ]


@console_route("/sources", name="sources", nav=N_("Sources"))
async def sources(page: ConsoleRequest) -> Response:
    views = await page.run(source_views, page.console.runtime)
    query = page.request.query_params
    return page.page(
        "sources.html",
        sources=views,
        can_fetch=page.user.role.allows(Role.EDITOR),
        done=query.get("done", ""),
        name=query.get("name", ""),
        new=query.get("new", "0"),
        updated=query.get("updated", "0"),
    )


def _fetch_inline(page: ConsoleRequest, name: str) -> dict[str, str]:
    runtime = page.console.runtime
    report = ingest(runtime, only=name)
    counts = report.counts
    outcome = {
        "done": "failed" if counts.get("sources_failed") else "fetched",
        "new": str(counts.get("new", 0)),
        "updated": str(counts.get("updated", 0)),
    }
    with runtime.store.begin() as conn:
        page.audit(conn, "source.fetch", name, outcome=outcome["done"], counts=counts)
    return outcome


def _queue(page: ConsoleRequest, name: str) -> dict[str, str]:
    from nashra.queue.task import defer_units  # procrastinate: only in the distributed mode

    with page.console.runtime.store.begin() as conn:
        queued = defer_units(conn, [Unit("ingest", name)])
        page.audit(conn, "source.fetch", name, outcome="queued" if queued else "already_waiting")
    return {"done": "queued" if queued else "waiting"}


@console_route("/sources/{name}/fetch", name="source_fetch", role=Role.EDITOR, methods=("POST",))
async def fetch_now(page: ConsoleRequest) -> Response:
    name = page.request.path_params["name"]
    if name not in {c.name for _, c in configured_sources(page.console.settings)}:
        return page.page("refused.html", status=404, reason="missing")
    distributed = page.console.settings.queue.backend == "procrastinate"
    outcome = await page.run(_queue if distributed else _fetch_inline, page, name)
    return page.redirect("/sources", name=name, **outcome)
