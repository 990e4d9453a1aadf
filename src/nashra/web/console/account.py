"""An operator changes their own password: the current one first (a borrowed, unlocked screen is
not enough), then the new one twice. Every session of the operator ends, this one is opened anew."""

from __future__ import annotations

from datetime import UTC, datetime

from starlette.responses import Response

from nashra.accounts import manage
from nashra.accounts.passwords import MIN_LENGTH
from nashra.accounts.sessions import open_session
from nashra.web.console import cookies
from nashra.web.console.context import ConsoleRequest, client_ip
from nashra.web.console.registry import N_, console_route


@console_route("/password", name="password_form", nav=N_("Password"))
async def password_form(page: ConsoleRequest) -> Response:
    return page.page(
        "password.html", problem="", done=page.request.query_params.get("done", ""), min_length=MIN_LENGTH
    )


@console_route("/password", name="password", methods=("POST",))
async def change_password(page: ConsoleRequest) -> Response:
    current, new, again = page.field("current"), page.field("new"), page.field("again")
    account, ip = page.user.email, client_ip(page.request)
    throttle = page.console.throttle
    if throttle.wait(account, ip) is not None:
        problem = "throttled"
    elif new != again:
        problem = "mismatch"
    elif len(new) < MIN_LENGTH:
        problem = "short"
    else:
        problem = ""
    if problem:
        return page.page("password.html", status=400, problem=problem, done="", min_length=MIN_LENGTH)

    def change() -> str | None:
        now = datetime.now(UTC)
        with page.console.runtime.store.begin() as conn:
            if manage.authenticate(conn, account, current) is None:
                page.audit(conn, "user.password_refused", account)
                return None
            manage.change_password(conn, account, new, actor=account, now=now)
            token, _ = open_session(conn, page.user.id, now=now)
        return token

    token = await page.run(change)
    if token is None:
        throttle.failed(account, ip)
        return page.page("password.html", status=400, problem="wrong", done="", min_length=MIN_LENGTH)
    response = page.redirect("/password", done="changed")
    page.console.cookies.set(response, cookies.SESSION, token)
    return response
