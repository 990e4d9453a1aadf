"""What a console page's endpoint is handed: the request, its checked session, the shared
services and the language; with the few things every page does (render, redirect, audit)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar
from urllib.parse import urlencode

from sqlalchemy import Connection
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse

from nashra.accounts.sessions import Session
from nashra.store import audit
from nashra.store.users import User
from nashra.web.console.services import Console

T = TypeVar("T")


def client_ip(request: Request) -> str:
    return request.client.host if request.client else ""


@dataclass(frozen=True, slots=True)
class ConsoleRequest:
    request: Request
    console: Console
    session: Session
    lang: str
    form: FormData | None
    """The POSTed form (already read to check its CSRF token); None for a GET."""

    @property
    def user(self) -> User:
        return self.session.user

    def field(self, name: str) -> str:
        value = self.form.get(name, "") if self.form is not None else ""
        return value if isinstance(value, str) else ""

    def page(self, template: str, /, *, status: int = 200, **values: object) -> HTMLResponse:
        return self.console.render(
            self.lang, template, status=status, user=self.user, csrf=self.session.csrf_token, values=values
        )

    def redirect(self, path: str, /, **query: str) -> RedirectResponse:
        """303 to a console page (after a POST: reloading the page does not post again)."""
        suffix = f"?{urlencode(query)}" if query else ""
        return RedirectResponse(f"{self.console.base}{path}{suffix}", status_code=303)

    async def run(self, work: Callable[..., T], /, *args: Any) -> T:
        """Database work off the event loop."""
        return await run_in_threadpool(work, *args)

    def audit(self, conn: Connection, action: str, target: str = "", **details: Any) -> None:
        """Records what this operator did, in the caller's transaction."""
        audit.record(
            conn,
            actor=self.user.email,
            action=action,
            target=target,
            now=datetime.now(UTC),
            ip=client_ip(self.request),
            **details,
        )
