"""The dashboard: what `nashra status` shows (nashra.health), for every operator. A placeholder
that the console's other pages will grow from; editors get pause and resume buttons here."""

from __future__ import annotations

from datetime import UTC, datetime

from starlette.responses import Response

from nashra.health import Health, gather
from nashra.store.users import Role
from nashra.web.console.context import ConsoleRequest
from nashra.web.console.registry import N_, console_route


@console_route("/", name="dashboard", nav=N_("Dashboard"))
async def dashboard(page: ConsoleRequest) -> Response:
    health: Health = await page.run(gather, page.console.runtime, datetime.now(UTC))
    return page.page(
        "dashboard.html",
        health=health,
        can_pause=page.user.role.allows(Role.EDITOR),
        done=page.request.query_params.get("done", ""),
    )
