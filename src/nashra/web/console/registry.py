"""Every guarded console page, registered where it is written.

A feature adds its pages by writing a module whose endpoints carry `@console_route(...)` and adding
the module's name to PAGE_MODULES; nothing else needs to know about it. Each endpoint takes a
`ConsoleRequest` (the checked session, the services, the language) and returns a response. An
endpoint that changes something records it with `ConsoleRequest.audit`, in the transaction that
makes the change.
"""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from starlette.responses import Response

from nashra.store.users import Role

if TYPE_CHECKING:
    from nashra.web.console.context import ConsoleRequest

Endpoint = Callable[["ConsoleRequest"], Awaitable[Response]]

PAGE_MODULES = (
    "nashra.web.console.dashboard",
    "nashra.web.console.pauses",
    "nashra.web.console.social",
    "nashra.web.console.channel_settings",
    "nashra.web.console.sources",
    "nashra.web.console.digests",
    "nashra.web.console.account",
    "nashra.web.console.users",
    "nashra.web.console.subscribers",
    "nashra.web.console.auditlog",
    "nashra.web.console.auth",
)


def N_(message: str) -> str:
    """Marks a word for the catalogs where it is defined; templates translate it when shown."""
    return message


@dataclass(frozen=True, slots=True)
class ConsoleRoute:
    path: str
    """Under /console: "/" is the dashboard."""
    endpoint: Endpoint
    methods: tuple[str, ...]
    role: Role
    """The least role that may use it."""
    name: str
    nav: str | None = None
    """A label (marked with N_) to list the page in the navigation, for operators who may use it."""
    max_body: int | None = None
    """The largest request body (bytes, by its Content-Length) the guard reads for it: uploads."""


_ROUTES: dict[str, ConsoleRoute] = {}


def console_route(
    path: str,
    *,
    name: str,
    role: Role = Role.VIEWER,
    methods: tuple[str, ...] = ("GET",),
    nav: str | None = None,
    max_body: int | None = None,
) -> Callable[[Endpoint], Endpoint]:
    """Registers the decorated endpoint as a console page; names are unique."""

    def register(endpoint: Endpoint) -> Endpoint:
        if name in _ROUTES and _ROUTES[name].endpoint is not endpoint:
            raise ValueError(f"console route {name!r} is registered twice")
        _ROUTES[name] = ConsoleRoute(path, endpoint, methods, role, name, nav, max_body)
        return endpoint

    return register


def console_routes() -> tuple[ConsoleRoute, ...]:
    """Every registered page, in the order their modules register them."""
    for module in PAGE_MODULES:
        importlib.import_module(module)
    return tuple(_ROUTES.values())
