"""Logging in and out: cookies and their flags, the login form's own CSRF token, throttling per
account and per IP (the same answer for accounts that do not exist), password changes, languages."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from consolekit import PASSWORD, TOML, ConsoleSite, csrf_in, logged_in, login

from nashra.store.audit import recent_entries
from nashra.store.users import Role
from nashra.web.console.throttle import PER_ACCOUNT, PER_IP

PATH = "/console"
ACCOUNT_LIMIT = int(PER_ACCOUNT.split("/")[0])
IP_LIMIT = int(PER_IP.split("/")[0])
THROTTLED = "محاولات دخول كثيرة"


def test_login_sets_a_session_cookie_and_logout_ends_it(console: ConsoleSite) -> None:
    console.add("chief@oasis.example", Role.ADMIN)
    client = console.client()
    assert client.get(f"{PATH}/").headers["location"] == f"{PATH}/login?next=%2Fconsole%2F"
    answer = login(client, "Chief@Oasis.example")
    assert answer.status_code == 303 and answer.headers["location"] == f"{PATH}/"
    cookie = next(v for v in answer.headers.get_list("set-cookie") if v.startswith("nashra_console="))
    flags = {part.strip().lower() for part in cookie.split(";")[1:]}
    assert {"httponly", "samesite=lax", f"path={PATH}"} <= flags
    assert "secure" not in flags  # http://: a Secure cookie would never come back
    token = cookie.split(";")[0].split("=", 1)[1]
    with console.runtime.store.connect() as conn:
        stored = conn.exec_driver_sql("SELECT token_hash FROM console_sessions").scalars().all()
    assert token not in stored and len(stored) == 1  # only its hash is kept

    page = client.get(f"{PATH}/")
    assert page.status_code == 200 and 'dir="rtl"' in page.text and "chief@oasis.example" in page.text
    out = client.post(f"{PATH}/logout", data={"csrf": csrf_in(page)})
    assert out.status_code == 303
    stolen = console.client()
    stolen.cookies.set("nashra_console", token)
    assert stolen.get(f"{PATH}/").status_code == 303
    with console.runtime.store.connect() as conn:
        actions = [e.action for e in reversed(recent_entries(conn))]
    assert actions == ["user.add", "login", "logout"]


@pytest.mark.sqlite_only
def test_login_form_needs_its_own_csrf_token(console: ConsoleSite) -> None:
    console.add("chief@oasis.example", Role.ADMIN)
    client = console.client()
    bare = client.post(f"{PATH}/login", data={"email": "chief@oasis.example", "password": PASSWORD})
    assert bare.status_code == 403
    client.get(f"{PATH}/login")
    forged = client.post(
        f"{PATH}/login", data={"email": "chief@oasis.example", "password": PASSWORD, "csrf": "x"}
    )
    assert forged.status_code == 403


@pytest.mark.sqlite_only
def test_next_page_only_within_the_console(console: ConsoleSite) -> None:
    console.add("chief@oasis.example", Role.ADMIN)
    client = console.client()
    form = client.get(f"{PATH}/login")
    for wanted, lands in (
        (f"{PATH}/users", f"{PATH}/users"),
        ("https://evil.example/", f"{PATH}/"),
        (f"{PATH}//evil.example", f"{PATH}/"),
    ):
        client.cookies.clear()
        form = client.get(f"{PATH}/login")
        answer = client.post(
            f"{PATH}/login",
            params={"next": wanted},
            data={"email": "chief@oasis.example", "password": PASSWORD, "csrf": csrf_in(form)},
        )
        assert answer.headers["location"] == lands


@pytest.mark.sqlite_only
def test_secure_cookies_behind_https(make_console: Callable[[str], ConsoleSite]) -> None:
    site = make_console(TOML + '\n[web]\npublic_url = "https://oasis.example/news"\n')
    client = site.client()
    client.headers["Origin"] = "https://oasis.example"
    form = client.get(f"{PATH}/login")
    cookie = form.headers["set-cookie"].lower()
    assert "secure" in cookie and "path=/news/console" in cookie and "httponly" in cookie
    assert 'action="/news/console/login' in form.text and 'href="/news/console/style.css"' in form.text


@pytest.mark.sqlite_only
def test_wrong_passwords_throttle_the_account_whether_or_not_it_exists(console: ConsoleSite) -> None:
    console.add("chief@oasis.example", Role.ADMIN)
    client = console.client()
    for account in ("chief@oasis.example", "ghost@oasis.example"):
        for _ in range(ACCOUNT_LIMIT):
            wrong = login(client, account, "not-the-password")
            assert wrong.status_code == 400 and "غير صحيحة" in wrong.text
        throttled = login(client, account)  # even the right password, now
        assert throttled.status_code == 429 and THROTTLED in throttled.text
        assert int(throttled.headers["retry-after"]) > 0
    other = console.client()
    assert login(other, "desk@oasis.example", "whatever-it-is").status_code == 400  # other accounts: not yet
    with console.runtime.store.connect() as conn:
        failed = [e for e in recent_entries(conn) if e.action == "login.failed"]
    assert len(failed) == 2 * ACCOUNT_LIMIT + 1 and {e.actor for e in failed} == {"anonymous"}


@pytest.mark.sqlite_only
def test_many_accounts_from_one_ip_throttle_the_ip(console: ConsoleSite) -> None:
    console.add("chief@oasis.example", Role.ADMIN)
    client = console.client()
    for n in range(IP_LIMIT):
        assert login(client, f"guess{n}@oasis.example", "guess").status_code == 400
    throttled = login(client, "chief@oasis.example")
    assert throttled.status_code == 429 and THROTTLED in throttled.text


@pytest.mark.sqlite_only
def test_a_successful_login_forgets_the_accounts_failures(console: ConsoleSite) -> None:
    console.add("chief@oasis.example", Role.ADMIN)
    client = console.client()
    for _ in range(ACCOUNT_LIMIT - 1):
        login(client, "chief@oasis.example", "not-the-password")
    assert login(client, "chief@oasis.example").status_code == 303
    client.cookies.clear()
    for _ in range(ACCOUNT_LIMIT - 1):
        assert login(client, "chief@oasis.example", "not-the-password").status_code == 400


def test_password_change_ends_other_sessions(console: ConsoleSite) -> None:
    phone, csrf = logged_in(console, "chief@oasis.example", Role.ADMIN)
    laptop = console.client()
    assert login(laptop, "chief@oasis.example").status_code == 303
    data = {"csrf": csrf, "current": PASSWORD, "new": "a-new-long-password", "again": "a-new-long-password"}
    assert phone.post(f"{PATH}/password", data={**data, "current": "wrong-password"}).status_code == 400
    assert phone.post(f"{PATH}/password", data={**data, "again": "something-else"}).status_code == 400
    changed = phone.post(f"{PATH}/password", data=data)
    assert changed.status_code == 303, changed.text
    assert phone.get(f"{PATH}/password?done=changed").status_code == 200  # a new session for this browser
    assert laptop.get(f"{PATH}/").status_code == 303
    assert login(console.client(), "chief@oasis.example", "a-new-long-password").status_code == 303


@pytest.mark.sqlite_only
def test_arabic_by_default_english_on_request(make_console: Callable[[str], ConsoleSite]) -> None:
    site = make_console(TOML)
    client, _ = logged_in(site, "chief@oasis.example", Role.ADMIN)
    arabic = client.get(f"{PATH}/")
    assert '<html lang="ar" dir="rtl">' in arabic.text and "الرئيسية" in arabic.text
    english = client.get(f"{PATH}/?lang=en")
    assert '<html lang="en" dir="ltr">' in english.text and "Dashboard" in english.text
    assert '<html lang="en" dir="ltr">' in client.get(f"{PATH}/users").text  # kept in a cookie
    assert '<html lang="ar" dir="rtl">' in client.get(f"{PATH}/users?lang=ar").text
    english_site = make_console(TOML.replace("[site]", '[site]\nlanguage = "en"'))
    assert '<html lang="en" dir="ltr">' in english_site.client().get(f"{PATH}/login").text
