"""An admin changes a digest's schedule, selection window and size from its page, as
`nashra config set|unset` does: each value checked with the file's own rules
(`nashra.config.overrides.check`), stored as an override of nashra.toml with who set it, audited
in the same transaction, and taken in by a running worker or scheduler within seconds. "Back to
the file" removes one override. Only the values the form changes are stored: an untouched field
keeps its origin (the file stays the file).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from starlette.responses import Response

from nashra.config.overrides import Override, check
from nashra.digest import configured_digests
from nashra.store import overrides
from nashra.store.users import Role
from nashra.web.console.context import ConsoleRequest
from nashra.web.console.digests.pages import digest_path, render_digest
from nashra.web.console.digests.schedule_form import ScheduleForm
from nashra.web.console.digests.view import KEYS, path_of
from nashra.web.console.registry import console_route


def _known(page: ConsoleRequest) -> str | None:
    name: str = page.request.path_params["name"]
    settings = page.console.runtime.settings
    return name if name in {d.name for d in configured_digests(settings)} else None


@console_route("/digests/{name}/schedule", name="digest_schedule", role=Role.ADMIN, methods=("POST",))
async def save(page: ConsoleRequest) -> Response:
    name = _known(page)
    if name is None or page.form is None:
        return page.page("refused.html", status=404, reason="missing")
    runtime = page.console.runtime
    await page.run(runtime.refresh_overrides)
    form = ScheduleForm.posted(page.form)
    wanted = form.values()
    current = next(d for d in configured_digests(runtime.settings) if d.name == name)
    checked: dict[str, Any] = {}
    for key, value in wanted.items():
        try:
            checked[key] = check(runtime.settings.file_settings, path_of(name, key), value)
        except ValueError as exc:
            form.refused[key] = str(exc)
    if form.problems or form.refused:
        return await render_digest(page, name, status=400, notice="schedule-refused", form=form)
    changed = {key: value for key, value in checked.items() if value != getattr(current, key)}

    def store() -> None:
        now = datetime.now(UTC)
        with runtime.store.begin() as conn:
            for key, value in changed.items():
                overrides.set_override(conn, Override(path_of(name, key), value, page.user.email, now))
                page.audit(conn, "config.set", path_of(name, key), value=value, was=getattr(current, key))

    await page.run(store)
    await page.run(runtime.refresh_overrides)
    return page.redirect(digest_path(name), done="saved" if changed else "unchanged")


@console_route(
    "/digests/{name}/schedule/reset", name="digest_schedule_reset", role=Role.ADMIN, methods=("POST",)
)
async def back_to_file(page: ConsoleRequest) -> Response:
    name = _known(page)
    key = page.field("key")
    if name is None or key not in KEYS:
        return page.page("refused.html", status=404, reason="missing")
    runtime = page.console.runtime

    def clear() -> bool:
        with runtime.store.begin() as conn:
            removed = overrides.clear_override(
                conn, path_of(name, key), by=page.user.email, now=datetime.now(UTC)
            )
            page.audit(conn, "config.unset", path_of(name, key), removed=removed)
        return removed

    removed = await page.run(clear)
    await page.run(runtime.refresh_overrides)
    return page.redirect(digest_path(name), done="reset" if removed else "unchanged")
