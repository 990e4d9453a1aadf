"""The console as one Mount for the web app: the login form and the stylesheet (the only pages
open without a session), then every registered page behind the guard."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route

from nashra.runtime import Runtime
from nashra.web.console.auth import Login
from nashra.web.console.guard import guarded
from nashra.web.console.services import Console

PATH = "/console"
PUBLIC_PATHS = frozenset({f"{PATH}/login", f"{PATH}/style.css"})
"""Served without a session; tests/console check that every other console path needs one."""


def console_mount(runtime: Runtime) -> Mount:
    console = Console(runtime)

    async def stylesheet(_request: Request) -> Response:
        return Response(
            console.style, media_type="text/css", headers={"Cache-Control": "public, max-age=3600"}
        )

    routes: list[BaseRoute] = [
        *Login(console).routes(),
        Route("/style.css", stylesheet, methods=["GET"], name="console_style"),
        *(
            Route(route.path, guarded(console, route), methods=list(route.methods), name=route.name)
            for route in console.routes
        ),
    ]
    return Mount(PATH, routes=routes)
