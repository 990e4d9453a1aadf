"""The audit log, newest first, for admins: who did what, to what, when."""

from __future__ import annotations

from starlette.responses import Response

from nashra.store.audit import AuditEntry, recent_entries
from nashra.store.users import Role
from nashra.web.console.context import ConsoleRequest
from nashra.web.console.registry import N_, console_route

SHOWN = 200


@console_route("/audit", name="audit", role=Role.ADMIN, nav=N_("Audit log"))
async def audit_log(page: ConsoleRequest) -> Response:
    def read() -> list[AuditEntry]:
        with page.console.runtime.store.connect() as conn:
            return recent_entries(conn, limit=SHOWN)

    return page.page("audit.html", entries=await page.run(read))
