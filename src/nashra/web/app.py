"""The ASGI app: subscriber pages from this package and the email services' webhooks
(nashra.web.webhooks, for the services enabled), plus the feed, public archive and click redirect
routes when those features are installed. The operator console is mounted at /console
(nashra.web.console); the preview of a digest's next issue is there, for operators only.
`nashra serve` runs it under uvicorn; tests drive it with TestClient.

Every response carries the security headers of nashra.web.headers. One Runtime (store) per app,
opened when the app is created and closed at shutdown (`app.state.runtime`).
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import BaseRoute

from nashra.config import Settings
from nashra.runtime import Runtime
from nashra.web.console.mount import console_mount
from nashra.web.headers import SecurityHeaders
from nashra.web.probes import probe_routes
from nashra.web.subscriptions import Subscriptions
from nashra.web.webhooks import Webhooks

# (module, function) pairs other features provide; each returns a list of routes for the settings.
OPTIONAL_ROUTES = (
    ("nashra.web.feeds", "feed_routes"),
    ("nashra.web.archive", "archive_routes"),
    ("nashra.web.clicks", "click_routes"),
    ("nashra.web.inbound", "inbound_routes"),
)


def _optional_routes(settings: Settings) -> list[BaseRoute]:
    routes: list[BaseRoute] = []
    for module_name, function in OPTIONAL_ROUTES:
        if importlib.util.find_spec(module_name) is None:
            continue
        factory: Callable[[Settings], list[BaseRoute]] = getattr(
            importlib.import_module(module_name), function
        )
        routes.extend(factory(settings))
    return routes


def create_app(settings: Settings, *, runtime: Runtime | None = None) -> Starlette:
    """The app for `settings`; pass `runtime` to share an already open store (it is then not closed)."""
    own = runtime is None
    active = runtime or Runtime.open(settings)

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        yield
        if own:
            active.close()

    routes: list[BaseRoute] = [
        *probe_routes(active),
        *Subscriptions(active).routes(),
        *Webhooks(active).routes(),
        console_mount(active),
        *_optional_routes(settings),
    ]
    app = Starlette(routes=routes, lifespan=lifespan, middleware=[Middleware(SecurityHeaders)])
    app.state.runtime = active
    app.state.settings = settings
    return app
