"""A channel's spacing and quiet hours, changed by an admin in the console: stored as overrides of
nashra.toml (checked with the file's own rules, as `nashra config set` does), each change audited,
and a way back to the file's value. Running workers take a change in within seconds; this web
process applies it at once."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from starlette.responses import Response

from nashra.config.overrides import Override, check, origin_of
from nashra.runtime import Runtime
from nashra.social.registry import configured_channels
from nashra.store import overrides
from nashra.store.users import Role
from nashra.web.console.context import ConsoleRequest
from nashra.web.console.registry import console_route

KEYS = ("min_spacing_minutes", "quiet_hours")


def origins(runtime: Runtime, name: str) -> dict[str, str]:
    """Where each of the channel's changeable values comes from ("override by …", a line of the
    file, "default"); empty for a channel that is not in the file (the default one)."""
    index = next((i for i, c in configured_channels(runtime.settings) if c.name == name), None)
    if index is None:
        return {}
    return {key: origin_of(runtime.settings, ("channels", index, key)) for key in KEYS}


def _typed(key: str, text: str) -> Any:
    """The form's text as the file would hold it: minutes a number, no quiet hours None."""
    text = text.strip()
    if key == "quiet_hours":
        return text or None
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"{key}: not a number: {text!r}") from None


@console_route("/social/{channel}/settings", name="channel_settings", role=Role.ADMIN, methods=("POST",))
async def change(page: ConsoleRequest) -> Response:
    runtime = page.console.runtime
    name = page.request.path_params["channel"]
    back = f"/social/{name}"
    if not origins(runtime, name):
        return page.page("refused.html", status=404, reason="missing")
    current = next(c for _, c in configured_channels(runtime.settings) if c.name == name)
    wanted: dict[str, Any] = {}
    try:
        for key in KEYS:
            value = check(
                runtime.settings.file_settings, f"channels.{name}.{key}", _typed(key, page.field(key))
            )
            if value != getattr(current, key):
                wanted[key] = value
    except ValueError as exc:
        return page.redirect(back, done="invalid", detail=str(exc)[:300])

    def store() -> None:
        now = datetime.now(UTC)
        with runtime.store.begin() as conn:
            for key, value in wanted.items():
                path = f"channels.{name}.{key}"
                overrides.set_override(conn, Override(path, value, page.user.email, now))
                page.audit(conn, "config.set", path, value=value, was=getattr(current, key))
        runtime.refresh_overrides()

    await page.run(store)
    return page.redirect(back, done="configured" if wanted else "unchanged")


@console_route(
    "/social/{channel}/settings/{key}/file", name="channel_setting_file", role=Role.ADMIN, methods=("POST",)
)
async def back_to_file(page: ConsoleRequest) -> Response:
    runtime = page.console.runtime
    name, key = page.request.path_params["channel"], page.request.path_params["key"]
    if key not in KEYS or not origins(runtime, name):
        return page.page("refused.html", status=404, reason="missing")
    path = f"channels.{name}.{key}"

    def clear() -> None:
        with runtime.store.begin() as conn:
            removed = overrides.clear_override(conn, path, by=page.user.email, now=datetime.now(UTC))
            page.audit(conn, "config.unset", path, removed=removed)
        runtime.refresh_overrides()

    await page.run(clear)
    return page.redirect(f"/social/{name}", done="configured")
