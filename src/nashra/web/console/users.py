"""Operators, for admins: list them, add one, change a role, disable or enable. The same changes
as `nashra users`, audited with the admin as actor. An admin cannot demote or disable themselves
here, so the console never locks out its last admin by a slip."""

from __future__ import annotations

from datetime import UTC, datetime

from starlette.responses import Response

from nashra.accounts import manage
from nashra.accounts.passwords import MIN_LENGTH
from nashra.store.users import Role, User, all_users
from nashra.web.console.context import ConsoleRequest
from nashra.web.console.registry import N_, console_route


async def _page(page: ConsoleRequest, *, status: int = 200, problem: str = "", detail: str = "") -> Response:
    def read() -> list[User]:
        with page.console.runtime.store.connect() as conn:
            return all_users(conn)

    return page.page(
        "users.html",
        status=status,
        users=await page.run(read),
        roles=list(Role),
        problem=problem,
        detail=detail,
        done=page.request.query_params.get("done", ""),
        min_length=MIN_LENGTH,
    )


@console_route("/users", name="users", role=Role.ADMIN, nav=N_("Operators"))
async def users(page: ConsoleRequest) -> Response:
    return await _page(page)


async def _apply(page: ConsoleRequest, done: str, change: manage.Change) -> Response:
    def run() -> None:
        with page.console.runtime.store.begin() as conn:
            change(conn, page.user.email, datetime.now(UTC))

    try:
        await page.run(run)
    except manage.AccountError as exc:
        return await _page(page, status=400, problem="refused", detail=str(exc))
    return page.redirect("/users", done=done)


def _role(page: ConsoleRequest) -> Role | None:
    try:
        return Role(page.field("role"))
    except ValueError:
        return None


@console_route("/users/add", name="user_add", role=Role.ADMIN, methods=("POST",))
async def add(page: ConsoleRequest) -> Response:
    email, password, role = page.field("email"), page.field("password"), _role(page)
    if role is None:
        return await _page(page, status=400, problem="role")
    return await _apply(
        page,
        "added",
        lambda conn, actor, now: manage.add_user(conn, email, role, password, actor=actor, now=now),
    )


def _not_self(page: ConsoleRequest) -> bool:
    return page.field("email").strip().lower() != page.user.email


@console_route("/users/role", name="user_role", role=Role.ADMIN, methods=("POST",))
async def set_role(page: ConsoleRequest) -> Response:
    email, role = page.field("email"), _role(page)
    if role is None:
        return await _page(page, status=400, problem="role")
    if not _not_self(page):
        return await _page(page, status=400, problem="self")
    return await _apply(
        page, "role", lambda conn, actor, now: manage.set_role(conn, email, role, actor=actor, now=now)
    )


@console_route("/users/state", name="user_state", role=Role.ADMIN, methods=("POST",))
async def set_state(page: ConsoleRequest) -> Response:
    email, disable = page.field("email"), page.field("disable") == "1"
    if not _not_self(page):
        return await _page(page, status=400, problem="self")
    return await _apply(
        page,
        "disabled" if disable else "enabled",
        lambda conn, actor, now: manage.set_disabled(conn, email, disable, actor=actor, now=now),
    )
