"""Logging in and out.

The login form is the one console form without a session, so it carries its own CSRF token (a
random value in a cookie and in the form, which must match: another site can neither read nor set
it), besides the origin check. Refusals look the same whether or not the account exists: the same
words, one argon2 check either way (nashra.accounts.manage.authenticate), and the throttle counts
failures per typed address and per IP before any check is made.
"""

from __future__ import annotations

import hmac
import logging
import math
import secrets
from datetime import UTC, datetime

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from nashra.accounts.manage import authenticate
from nashra.accounts.sessions import end_session, open_session
from nashra.logs import event
from nashra.store import audit
from nashra.subscribers.addresses import InvalidAddress, normalise_email
from nashra.web.console import cookies, i18n
from nashra.web.console.context import ConsoleRequest, client_ip
from nashra.web.console.guard import session_of
from nashra.web.console.registry import console_route
from nashra.web.console.services import Console

log = logging.getLogger(__name__)


def _account_key(typed: str) -> str:
    """What the throttle counts failures under: the address as it would be looked up."""
    try:
        return normalise_email(typed)
    except InvalidAddress:
        return typed.strip().lower()[:320]


class Login:
    def __init__(self, console: Console) -> None:
        self.console = console

    def routes(self) -> list[Route]:
        return [
            Route("/login", self.form, methods=["GET"], name="login_form"),
            Route("/login", self.login, methods=["POST"], name="login"),
        ]

    def _next(self, request: Request) -> str:
        """Where to go after logging in: a console page only (never another site)."""
        wanted = request.query_params.get("next", "")
        base = self.console.base
        if wanted.startswith(f"{base}/") and "//" not in wanted and "\\" not in wanted:
            return wanted
        return f"{base}/"

    def _page(
        self, request: Request, *, status: int = 200, problem: str = "", minutes: int = 0, email: str = ""
    ) -> Response:
        lang, chosen = i18n.requested_language(request, self.console.default_language)
        token = request.cookies.get(cookies.LOGIN_CSRF) or secrets.token_urlsafe(32)
        response = self.console.render(
            lang,
            "login.html",
            status=status,
            csrf=token,
            values={"problem": problem, "minutes": minutes, "email": email, "next": self._next(request)},
        )
        self.console.cookies.set(response, cookies.LOGIN_CSRF, token)
        if chosen:
            self.console.cookies.set(response, i18n.COOKIE, lang, max_age=cookies.YEAR)
        return response

    async def form(self, request: Request) -> Response:
        if await run_in_threadpool(session_of, self.console, request) is not None:
            return RedirectResponse(self._next(request), status_code=303)
        return self._page(request)

    async def login(self, request: Request) -> Response:
        console = self.console
        lang, _ = i18n.requested_language(request, console.default_language)
        if not console.same_origin.allows(request.headers):
            event(log, "console.login_refused", why="origin")
            return console.render(lang, "refused.html", status=403, values={"reason": "origin"})
        form = await request.form()
        kept, sent = request.cookies.get(cookies.LOGIN_CSRF, ""), form.get("csrf")
        if not kept or not isinstance(sent, str) or not hmac.compare_digest(kept.encode(), sent.encode()):
            event(log, "console.login_refused", why="csrf")
            return console.render(lang, "refused.html", status=403, values={"reason": "csrf"})
        email, password = str(form.get("email", ""))[:320], str(form.get("password", ""))[:1024]
        account, ip = _account_key(email), client_ip(request)
        wait = console.throttle.wait(account, ip)
        if wait is not None:
            event(log, "console.login_throttled", ip=ip)
            response = self._page(
                request, status=429, problem="throttled", minutes=math.ceil(wait / 60), email=email
            )
            response.headers["Retry-After"] = str(wait)
            return response
        opened = await run_in_threadpool(self._authenticate, email, password, account, ip)
        if opened is None:
            console.throttle.failed(account, ip)
            return self._page(request, status=400, problem="wrong", email=email)
        console.throttle.succeeded(account)
        response = RedirectResponse(self._next(request), status_code=303)
        console.cookies.set(response, cookies.SESSION, opened)
        console.cookies.delete(response, cookies.LOGIN_CSRF)
        return response

    def _authenticate(self, email: str, password: str, account: str, ip: str) -> str | None:
        """A new session's token for these credentials, else None; either way audited."""
        now = datetime.now(UTC)
        with self.console.runtime.store.begin() as conn:
            user = authenticate(conn, email, password)
            if user is None:
                audit.record(conn, actor="anonymous", action="login.failed", target=account, now=now, ip=ip)
                return None
            token, _ = open_session(conn, user.id, now=now)
            audit.record(conn, actor=user.email, action="login", target=user.email, now=now, ip=ip)
        event(log, "console.login", user=user.email)
        return token


@console_route("/logout", name="logout", methods=("POST",))
async def logout(page: ConsoleRequest) -> Response:
    token = page.request.cookies.get(cookies.SESSION, "")

    def end() -> None:
        with page.console.runtime.store.begin() as conn:
            end_session(conn, token, actor=page.user.email, now=datetime.now(UTC))

    await page.run(end)
    response = RedirectResponse(f"{page.console.base}/login", status_code=303)
    page.console.cookies.delete(response, cookies.SESSION)
    return response
