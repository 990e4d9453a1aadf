"""`/healthz`, `/readyz` and `/metrics` on the web app (nashra.metrics.probes), for Docker and for a
Prometheus on the inside.

The reverse proxy forwards every path to the app, so `/readyz` and `/metrics` refuse (404, as if
absent) any request carrying a proxy's `X-Forwarded-For` or `Forwarded` header: a reader never
sees the newsroom's counts or its database's errors. `/healthz` says only "ok" and stays open.
The endpoints are plain functions: Starlette runs them in its thread pool, so the store's queries
never hold up the event loop.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from nashra.metrics.probes import Answer, Probes
from nashra.runtime import Runtime

PROXY_HEADERS = ("x-forwarded-for", "forwarded")


def _respond(answer: Answer) -> Response:
    return Response(answer.body, status_code=answer.status, media_type=answer.content_type)


def _inside_only(answer: Callable[[], Answer]) -> Callable[[Request], Response]:
    def endpoint(request: Request) -> Response:
        if any(header in request.headers for header in PROXY_HEADERS):
            return PlainTextResponse("Not Found", status_code=404)
        return _respond(answer())

    return endpoint


def probe_routes(runtime: Runtime) -> list[BaseRoute]:
    probes = Probes(runtime)
    return [
        Route("/healthz", lambda _request: _respond(probes.alive()), methods=["GET"]),
        Route("/readyz", _inside_only(probes.ready), methods=["GET"]),
        Route("/metrics", _inside_only(probes.metrics), methods=["GET"]),
    ]
