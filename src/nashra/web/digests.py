"""GET /digests/{name}/preview: the digest that would be sent now, as HTML (or text with ?format=text).

For editors checking the next issue in a browser. Nothing is recorded. The store is read through
the app's Runtime when the web app provides one (`app.state.runtime`), else through one opened on
first use.
"""

from __future__ import annotations

import threading

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import Route

from nashra.config import Settings
from nashra.errors import ConfigError
from nashra.runtime import Runtime
from nashra.web.headers import EMAIL_POLICY
from nashra.web.pages import Pages

NOTHING_NEW = "digest_nothing_new.html"


class _LazyRuntime:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._runtime: Runtime | None = None
        self._lock = threading.Lock()

    def get(self, request: Request) -> Runtime:
        provided: Runtime | None = getattr(request.app.state, "runtime", None)
        if provided is not None:
            return provided
        with self._lock:
            if self._runtime is None:
                self._runtime = Runtime.open(self.settings)
            return self._runtime


def digest_routes(settings: Settings) -> list[Route]:
    from nashra.digest.preview import preview

    runtimes = _LazyRuntime(settings)
    pages = Pages(settings, [NOTHING_NEW])

    async def preview_endpoint(request: Request) -> Response:
        name = request.path_params["name"]
        runtime = runtimes.get(request)
        try:
            rendered = await run_in_threadpool(preview, runtime, name)
        except ConfigError:
            return PlainTextResponse(f"no digest named {name!r}", status_code=404)
        if rendered is None:
            return HTMLResponse(pages.render(NOTHING_NEW))
        if request.query_params.get("format") == "text":
            return PlainTextResponse(rendered.text)
        return HTMLResponse(
            rendered.html, headers={"Cache-Control": "no-store", "Content-Security-Policy": EMAIL_POLICY}
        )

    return [Route("/digests/{name}/preview", preview_endpoint, methods=["GET"], name="digest_preview")]
