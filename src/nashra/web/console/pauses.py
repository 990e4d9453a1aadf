"""Pause and resume a digest or a social channel from the dashboard (editors), as
`nashra digest|channel pause|resume` does: stored in the database, honoured by the worker at its
next job."""

from __future__ import annotations

from datetime import UTC, datetime

from starlette.responses import Response

from nashra.digest import configured_digests
from nashra.social.registry import configured_channels
from nashra.store.pauses import Paused, pause, resume
from nashra.store.users import Role
from nashra.web.console.context import ConsoleRequest
from nashra.web.console.registry import console_route


def _known(page: ConsoleRequest, kind: str, name: str) -> Paused | None:
    settings = page.console.settings
    if kind == Paused.DIGEST and name in {d.name for d in configured_digests(settings)}:
        return Paused.DIGEST
    if kind == Paused.CHANNEL and name in {c.name for _, c in configured_channels(settings)}:
        return Paused.CHANNEL
    return None


async def _change(page: ConsoleRequest, pausing: bool) -> Response:
    name = page.request.path_params["name"]
    kind = _known(page, page.request.path_params["kind"], name)
    if kind is None:
        return page.page("refused.html", status=404, reason="missing")

    def change() -> None:
        now = datetime.now(UTC)
        with page.console.runtime.store.begin() as conn:
            if pausing:
                changed = pause(
                    conn, kind, name, now=now, reason=f"paused in the console by {page.user.email}"
                )
            else:
                changed = resume(conn, kind, name)
            page.audit(conn, f"{kind}.{'pause' if pausing else 'resume'}", name, changed=changed)

    await page.run(change)
    back = page.field("back")  # the page the button is on (a console path), else the dashboard
    return page.redirect(back if back.startswith("/") else "/", done="paused" if pausing else "resumed")


@console_route("/pause/{kind}/{name}", name="pause", role=Role.EDITOR, methods=("POST",))
async def pause_one(page: ConsoleRequest) -> Response:
    return await _change(page, True)


@console_route("/resume/{kind}/{name}", name="resume", role=Role.EDITOR, methods=("POST",))
async def resume_one(page: ConsoleRequest) -> Response:
    return await _change(page, False)
