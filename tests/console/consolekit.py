"""Helpers of the console tests: a console on a real loopback server, operators made in the store,
and a client that logs in as a browser would (the login form's CSRF cookie and field, the site's
Origin on every POST)."""

from __future__ import annotations

import re
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx

from nashra.accounts import manage
from nashra.runtime import Runtime
from nashra.store.users import Role

TOML = '[site]\nname = "نشرة الواحة"\n'
ORIGIN = "http://127.0.0.1:8080"  # [web] base_url by default: the origin the console's forms post from
PASSWORD = "كلمة-سر-طويلة-2026"
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@dataclass
class ConsoleSite:
    runtime: Runtime
    base: str
    stack: ExitStack

    def client(self) -> httpx.Client:
        """A new browser: its own cookies."""
        return self.stack.enter_context(httpx.Client(base_url=self.base, headers={"Origin": ORIGIN}))

    def add(self, email: str, role: Role, password: str = PASSWORD) -> int:
        with self.runtime.store.begin() as conn:
            return manage.add_user(conn, email, role, password, actor="test", now=datetime.now(UTC))


def csrf_in(page: httpx.Response) -> str:
    found = CSRF.search(page.text)
    assert found, page.text
    return found[1]


def login(client: httpx.Client, email: str, password: str = PASSWORD) -> httpx.Response:
    form = client.get("/console/login")
    return client.post("/console/login", data={"email": email, "password": password, "csrf": csrf_in(form)})


def logged_in(site: ConsoleSite, email: str, role: Role) -> tuple[httpx.Client, str]:
    """A client with an open session as a new operator, and the session's CSRF token."""
    site.add(email, role)
    client = site.client()
    assert login(client, email).status_code == 303
    return client, csrf_in(client.get("/console/"))
