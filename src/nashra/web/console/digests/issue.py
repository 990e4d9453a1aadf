"""One issue of a digest, for every operator: its deliveries by outcome and the percent done, kept
current while it is sent by a few lines of script (digest_progress.js) reading a JSON snapshot
of the same counts, with no reload. What is unknown (handed to the server, no reply seen) is
counted apart and said so: it is neither sent nor failed. When the digest counts clicks, the page
also shows the issue's clicks and its most followed stories (as they were when it was loaded).

The console's pages allow no script; this page allows its own script file and reading from its
own origin, nothing more.
"""

from __future__ import annotations

from dataclasses import asdict

from starlette.responses import JSONResponse, Response

from nashra.digest.issues import load_issue
from nashra.health import IssueHealth, counted_clicks, issue_health
from nashra.store.deliveries import issue_progress
from nashra.store.digests import IssueRecord
from nashra.web.console import templates
from nashra.web.console.context import ConsoleRequest
from nashra.web.console.digests.pages import digest_path
from nashra.web.console.registry import console_route
from nashra.web.headers import PAGE_POLICY

SCRIPT_PAGE_POLICY = f"{PAGE_POLICY}; script-src 'self'; connect-src 'self'"
FINISHED = frozenset({"sent", "skipped"})


def _read(page: ConsoleRequest) -> tuple[IssueRecord, IssueHealth] | None:
    name, number = page.request.path_params["name"], page.request.path_params["issue"]
    if not number.isdigit():
        return None
    issue_id = int(number)
    runtime = page.console.runtime
    with runtime.store.connect() as conn:
        progress = issue_progress(conn, issue_id)
        if progress is None or progress.digest != name:
            return None
        clicks = counted_clicks(conn, runtime.settings, [progress])[issue_id]
        return load_issue(conn, issue_id), issue_health(progress, clicks=clicks)


def snapshot(health: IssueHealth) -> dict[str, object]:
    """The counts the page shows, as its script reads them."""
    counts = health.counts
    to_go = sum(counts.get(s, 0) for s in ("queued", "sending", "submitting", "deferred"))
    return {
        **asdict(health),
        "created_at": health.created_at.isoformat(),
        "to_go": to_go,
        "total": sum(n for status, n in counts.items() if status != "bounced"),
        "finished": health.status in FINISHED and to_go == 0,
    }


@console_route("/digests/{name}/issues/{issue}", name="digest_issue")
async def issue(page: ConsoleRequest) -> Response:
    found = await page.run(_read, page)
    if found is None:
        return page.page("refused.html", status=404, reason="missing")
    record, health = found
    response = page.page(
        "digest_issue.html",
        issue=record,
        progress=snapshot(health),
        digest_link=digest_path(record.digest),
        poll=f"{digest_path(record.digest)}/issues/{record.id}/progress",
    )
    response.headers["Content-Security-Policy"] = SCRIPT_PAGE_POLICY
    return response


@console_route("/digests/{name}/issues/{issue}/progress", name="digest_issue_progress")
async def progress(page: ConsoleRequest) -> Response:
    found = await page.run(_read, page)
    if found is None:
        return JSONResponse({"error": "not found"}, status_code=404, headers={"Cache-Control": "no-store"})
    return JSONResponse(snapshot(found[1]), headers={"Cache-Control": "no-store"})


@console_route("/digest-progress.js", name="digest_progress_script")
async def script(page: ConsoleRequest) -> Response:
    return Response(
        templates.render(page.lang, "digest_progress.js", {}),
        media_type="text/javascript",
        headers={"Cache-Control": "no-store"},
    )
