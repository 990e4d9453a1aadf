"""The digests, for every operator: each with its schedule in words, next run, window, size and
where each value comes from, and its issues; one digest's page adds the preview of its next issue
(HTML at phone or desktop width, and the text part), its history, the editors' actions
(actions) and the admins' schedule form (schedules).

The preview is the email's own HTML, served by a guarded route into a sandboxed frame: it needs
inline styles and remote images, which the console's own pages never allow. It used to be a
public route (/digests/NAME/preview); unreleased issues are for operators only.
"""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import quote

from starlette.responses import HTMLResponse, Response

from nashra.digest.preview import preview
from nashra.digest.render import RenderedDigest
from nashra.errors import ConfigError
from nashra.health import Health, gather
from nashra.store import overrides
from nashra.store.users import Role
from nashra.web.console.context import ConsoleRequest
from nashra.web.console.digests.schedule_form import ScheduleForm, week_days
from nashra.web.console.digests.view import KEYS, DigestView, digest_view, digest_views, path_of
from nashra.web.console.registry import N_, console_route
from nashra.web.headers import EMAIL_POLICY, PAGE_POLICY

FRAMED_EMAIL_POLICY = EMAIL_POLICY.replace("frame-ancestors 'none'", "frame-ancestors 'self'")
"""The email's policy, but the digest's page (this origin) may frame it."""
FRAMING_PAGE_POLICY = f"{PAGE_POLICY}; frame-src 'self'"
WIDTHS = {"phone": 390, "desktop": 600}


def digest_path(name: str) -> str:
    """The digest's page under the console (names come from the config: quoted)."""
    return f"/digests/{quote(name, safe='')}"


@console_route("/digests", name="digests", nav=N_("Digests"))
async def digests(page: ConsoleRequest) -> Response:
    runtime = page.console.runtime
    await page.run(runtime.refresh_overrides)
    health: Health = await page.run(gather, runtime, datetime.now(UTC))
    views = digest_views(runtime, health, page.console.babel_locale(page.lang))
    return page.page("digests.html", digests=views)


async def render_digest(
    page: ConsoleRequest,
    name: str,
    *,
    status: int = 200,
    notice: str = "",
    detail: str = "",
    form: ScheduleForm | None = None,
) -> Response:
    """The digest's page; the actions show it again with what happened (`notice`, `detail`) or
    with the schedule form as posted and its problems."""
    runtime = page.console.runtime
    await page.run(runtime.refresh_overrides)
    locale = page.console.babel_locale(page.lang)

    def read() -> tuple[DigestView | None, RenderedDigest | None, list[overrides.Change]]:
        health = gather(runtime, datetime.now(UTC))
        view = digest_view(runtime, health, name, locale)
        if view is None:
            return None, None, []
        with runtime.store.connect() as conn:
            changes = [c for c in overrides.history(conn, limit=200) if c.path.startswith(f"digests.{name}.")]
        return view, preview(runtime, name), changes[:20]

    view, rendered, changes = await page.run(read)
    if view is None:
        return page.page("refused.html", status=404, reason="missing")
    width = page.request.query_params.get("view", "desktop")
    response = page.page(
        "digest.html",
        status=status,
        digest=view,
        path=digest_path(name),
        preview=rendered,
        view=width if width in WIDTHS else "desktop",
        widths=WIDTHS,
        can_act=page.user.role.allows(Role.EDITOR),
        can_edit=page.user.role.allows(Role.ADMIN),
        form=form or ScheduleForm.current(view.schedule, view.window, view.max_items),
        week=week_days(locale),
        keys=KEYS,
        changes=changes,
        override_paths={key: path_of(name, key) for key in KEYS},
        zone=runtime.settings.site.timezone,
        done=page.request.query_params.get("done", ""),
        tested=page.request.query_params.get("to", ""),
        notice=notice,
        detail=detail,
    )
    response.headers["Content-Security-Policy"] = FRAMING_PAGE_POLICY
    return response


@console_route("/digests/{name}", name="digest")
async def digest(page: ConsoleRequest) -> Response:
    return await render_digest(page, page.request.path_params["name"])


@console_route("/digests/{name}/preview", name="digest_preview")
async def digest_preview(page: ConsoleRequest) -> Response:
    """The next issue's HTML, for the digest page's sandboxed frame. Nothing is recorded."""
    name = page.request.path_params["name"]
    runtime = page.console.runtime
    await page.run(runtime.refresh_overrides)
    try:
        rendered = await page.run(preview, runtime, name)
    except ConfigError:
        rendered = None
    if rendered is None:
        return page.page("refused.html", status=404, reason="missing")
    return HTMLResponse(
        rendered.html,
        headers={
            "Cache-Control": "no-store",
            "Content-Security-Policy": FRAMED_EMAIL_POLICY,
            "X-Frame-Options": "SAMEORIGIN",
        },
    )
