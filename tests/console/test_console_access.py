"""Every console route behind the one guard: found by walking the app's routes (not the registry),
so a page mounted some other way is caught too. Without a session a page sends the browser to the
login form and any POST gets 401; with one, a POST without the session's CSRF token is 403, as is
one from another site's page or by a role too low (which is audited)."""

from __future__ import annotations

import re

import pytest
from consolekit import ConsoleSite, logged_in
from starlette.routing import Mount, Route

from nashra.store.audit import recent_entries
from nashra.store.pauses import all_pauses
from nashra.store.users import Role
from nashra.web.app import create_app
from nashra.web.console.mount import PATH, PUBLIC_PATHS


def console_endpoints(console: ConsoleSite) -> list[tuple[str, str]]:
    """(method, path) of every route under /console, path parameters filled in."""
    app = create_app(console.runtime.settings, runtime=console.runtime)
    mounts = [route for route in app.routes if isinstance(route, Mount) and route.path == PATH]
    assert len(mounts) == 1
    found = []
    for route in mounts[0].routes:
        assert isinstance(route, Route)
        path = PATH + re.sub(r"\{[^}]+\}", "digest", route.path)
        found += [(method, path) for method in sorted(route.methods or ()) if method != "HEAD"]
    return found


@pytest.mark.sqlite_only
def test_every_console_route_needs_a_session(console: ConsoleSite) -> None:
    endpoints = console_endpoints(console)
    guarded = [(method, path) for method, path in endpoints if path not in PUBLIC_PATHS]
    assert {path for _, path in guarded} >= {
        f"{PATH}/",
        f"{PATH}/users",
        f"{PATH}/logout",
        f"{PATH}/password",
    }
    client = console.client()
    for method, path in guarded:
        answer = client.request(method, path)
        if method == "GET":
            assert answer.status_code == 303, (method, path)
            assert answer.headers["location"].startswith(f"{PATH}/login?next="), path
        else:
            assert answer.status_code == 401, (method, path, answer.status_code)


@pytest.mark.sqlite_only
def test_every_post_route_needs_the_csrf_token(console: ConsoleSite) -> None:
    client, csrf = logged_in(console, "chief@oasis.example", Role.ADMIN)
    posts = [
        path for method, path in console_endpoints(console) if method == "POST" and path not in PUBLIC_PATHS
    ]
    assert f"{PATH}/logout" in posts and f"{PATH}/users/add" in posts
    for path in posts:
        assert client.post(path).status_code == 403, path
        assert client.post(path, data={"csrf": csrf[:-1]}).status_code == 403, path
        assert (
            client.post(path, data={"csrf": csrf}, headers={"Origin": "https://evil.example"}).status_code
            == 403
        )
    assert client.get(f"{PATH}/").status_code == 200  # none of it ended the session
    # The token, with everything else right, is accepted (as a header too, for scripts).
    assert client.post(f"{PATH}/pause/digest/daily", headers={"X-CSRF-Token": csrf}).status_code == 303


def test_roles_viewer_editor_admin_and_the_audit_log(console: ConsoleSite) -> None:
    viewer, viewer_csrf = logged_in(console, "desk@oasis.example", Role.VIEWER)
    editor, editor_csrf = logged_in(console, "editor@oasis.example", Role.EDITOR)
    admin, admin_csrf = logged_in(console, "chief@oasis.example", Role.ADMIN)

    dashboard = viewer.get(f"{PATH}/")
    assert dashboard.status_code == 200 and "/pause/digest/daily" not in dashboard.text
    refused = viewer.post(f"{PATH}/pause/digest/daily", data={"csrf": viewer_csrf})
    assert refused.status_code == 403 and "دورك لا يسمح بهذا" in refused.text
    assert viewer.get(f"{PATH}/users").status_code == 403
    assert editor.get(f"{PATH}/users").status_code == 403

    assert "/pause/digest/daily" in editor.get(f"{PATH}/").text
    paused = editor.post(f"{PATH}/pause/digest/daily", data={"csrf": editor_csrf})
    assert paused.status_code == 303 and paused.headers["location"] == f"{PATH}/?done=paused"
    assert editor.post(f"{PATH}/pause/digest/nowhere", data={"csrf": editor_csrf}).status_code == 404
    with console.runtime.store.connect() as conn:
        assert [(p.kind, p.name) for p in all_pauses(conn)] == [("digest", "daily")]

    added = admin.post(
        f"{PATH}/users/add",
        data={
            "csrf": admin_csrf,
            "email": "new@oasis.example",
            "role": "editor",
            "password": "another-long-one",
        },
    )
    assert added.status_code == 303, added.text
    assert (
        admin.post(
            f"{PATH}/users/role", data={"csrf": admin_csrf, "email": "chief@oasis.example", "role": "viewer"}
        ).status_code
        == 400
    )
    assert (
        admin.post(
            f"{PATH}/users/state", data={"csrf": admin_csrf, "email": "desk@oasis.example", "disable": "1"}
        ).status_code
        == 303
    )
    assert viewer.get(f"{PATH}/").status_code == 303  # disabled: the session ended at once
    listing = admin.get(f"{PATH}/audit")
    assert listing.status_code == 200 and "digest.pause" in listing.text

    with console.runtime.store.connect() as conn:
        entries = [(e.actor, e.action, e.target) for e in reversed(recent_entries(conn))]
    assert [e for e in entries if e[1] not in ("user.add", "login")] == [
        ("desk@oasis.example", "access.refused", "pause"),
        ("desk@oasis.example", "access.refused", "users"),
        ("editor@oasis.example", "access.refused", "users"),
        ("editor@oasis.example", "digest.pause", "daily"),
        ("chief@oasis.example", "user.disable", "desk@oasis.example"),
    ]
    assert ("chief@oasis.example", "user.add", "new@oasis.example") in entries
    assert ("editor@oasis.example", "login", "editor@oasis.example") in entries


@pytest.mark.sqlite_only
def test_a_post_from_another_site_is_refused_before_anything(console: ConsoleSite) -> None:
    client = console.client()
    evil = {"Origin": "https://evil.example"}
    assert client.post(f"{PATH}/login", data={"email": "a@oasis.example"}, headers=evil).status_code == 403
    assert client.post(f"{PATH}/logout", headers=evil).status_code == 403  # not even "log in first"
