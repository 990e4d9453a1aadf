"""The one gate of every registered console page, in this order (cheapest refusal first):

1. a POST must come from the site's own pages (nashra.web.origin): 403;
2. an open session (nashra.accounts.sessions): a GET without one is sent to the login page, any
   other method gets 401;
3. a POST to a page with a `max_body` must say its length, within it, before it is read: 413;
   a POST must carry the session's CSRF token (form field `csrf`, or the `X-CSRF-Token` header for
   scripts): 403;
4. the operator's role must be at least the page's: 403, and the attempt is audited.

The language (`?lang=`, kept in a cookie) is settled here too, for every page alike.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from urllib.parse import urlencode

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from nashra.accounts.sessions import Session, current_session
from nashra.logs import event
from nashra.store import audit
from nashra.web.console import cookies, i18n
from nashra.web.console.context import ConsoleRequest, client_ip
from nashra.web.console.registry import ConsoleRoute
from nashra.web.console.services import Console

log = logging.getLogger(__name__)

SAFE_METHODS = frozenset({"GET", "HEAD"})


def session_of(console: Console, request: Request) -> Session | None:
    """The request's open session, if its cookie names one (seen now). Blocking: database."""
    token = request.cookies.get(cookies.SESSION)
    if not token:
        return None
    with console.runtime.store.begin() as conn:
        return current_session(conn, token, now=datetime.now(UTC))


def _refuse_role(console: Console, session: Session, route: ConsoleRoute, request: Request) -> None:
    with console.runtime.store.begin() as conn:
        audit.record(
            conn,
            actor=session.user.email,
            action="access.refused",
            target=route.name,
            now=datetime.now(UTC),
            ip=client_ip(request),
            path=request.url.path,
            role=session.user.role.value,
            needed=route.role.value,
        )


def guarded(console: Console, route: ConsoleRoute) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        lang, chosen = i18n.requested_language(request, console.default_language)
        response = await _checked(console, route, request, lang)
        if chosen:
            console.cookies.set(response, i18n.COOKIE, lang, max_age=cookies.YEAR)
        return response

    endpoint.__name__ = route.name
    return endpoint


def _fits(request: Request, limit: int) -> bool:
    """Whether the body's declared length is within `limit` (a browser always declares a form's)."""
    length = request.headers.get("content-length", "")
    return length.isdigit() and int(length) <= limit


async def _checked(console: Console, route: ConsoleRoute, request: Request, lang: str) -> Response:
    posting = request.method not in SAFE_METHODS
    if posting and not console.same_origin.allows(request.headers):
        event(log, "console.refused", why="origin", path=request.url.path)
        return console.render(lang, "refused.html", status=403, values={"reason": "origin"})
    session = await run_in_threadpool(session_of, console, request)
    if session is None:
        if posting:
            return console.render(lang, "refused.html", status=401, values={"reason": "session"})
        target = f"{console.root}{request.url.path}"
        return RedirectResponse(f"{console.base}/login?{urlencode({'next': target})}", status_code=303)

    def refused(status: int, reason: str, **values: object) -> Response:
        """The refusal page for an operator who is logged in (so it keeps their header)."""
        return console.render(
            lang,
            "refused.html",
            status=status,
            user=session.user,
            csrf=session.csrf_token,
            values={"reason": reason, **values},
        )

    if posting and route.max_body is not None and not _fits(request, route.max_body):
        event(log, "console.refused", why="size", path=request.url.path, user=session.user.email)
        return refused(413, "size", limit_mib=max(1, route.max_body >> 20))
    form = await request.form() if posting else None
    if form is not None:
        sent = request.headers.get("x-csrf-token") or form.get("csrf")
        if not isinstance(sent, str) or not hmac.compare_digest(sent.encode(), session.csrf_token.encode()):
            event(log, "console.refused", why="csrf", path=request.url.path, user=session.user.email)
            return refused(403, "csrf")
    if not session.user.role.allows(route.role):
        await run_in_threadpool(_refuse_role, console, session, route, request)
        return refused(403, "role")
    return await route.endpoint(ConsoleRequest(request, console, session, lang, form))
