"""`nashra check` through the real CLI and the real adapters, only the network faked on 127.0.0.1.

Every platform is a real HTTP server given to its SDK as the base URL, except X, whose host tweepy
hard-codes (intercepted with `responses`, as in tests/social). Each test asserts the exact requests
a check sends, and that none of them posts anything. The distributed mode's queue lines read real
scheduler lock sessions, worker rows and jobs on PostgreSQL, and change none of them.
"""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import responses
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from procrastinate import App
from pytest_httpserver import HTTPServer
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from loopback import free_port
from nashra.cli import app
from nashra.config.loader import parse_settings
from nashra.jobs import Unit
from nashra.queue.app import conninfo, open_app
from nashra.queue.leader import Leadership
from nashra.queue.task import defer
from nashra.store import Store

pytestmark = [
    pytest.mark.usefixtures("restore_logging"),
    pytest.mark.filterwarnings(
        "ignore:Requiring AUTH while not requiring TLS:UserWarning", "ignore:Session.login_data is deprecated"
    ),
]

WEB = '[web]\npublic_url = "https://oasis.example/news"\n\n'
FEED = (
    '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>الواحة</title>'
    "<link>https://oasis.example/</link><description>أخبار</description>"
    + "".join(
        f"<item><title>خبر {n}</title><link>https://oasis.example/{n}</link><guid>g{n}</guid></item>"
        for n in range(3)
    )
    + "</channel></rss>"
)
SECRETS = {
    "MASTODON_ACCESS_TOKEN": "masto-tok-123",
    "TELEGRAM_BOT_TOKEN": "42:AAE-token",
    "BLUESKY_APP_PASSWORD": "app-pass-1234",
    "X_CONSUMER_KEY": "ck-1",
    "X_CONSUMER_SECRET": "cs-1",
    "X_ACCESS_TOKEN": "at-1",
    "X_ACCESS_TOKEN_SECRET": "ats-1",
    "RELAY_PASSWORD": "s3cret-pass",
}
DID = "did:plc:nashra7test"


def _jwt(did: str) -> str:
    """An unsigned JWT with the claims the atproto client reads (it never verifies signatures)."""

    def part(data: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    exp = int((datetime.now(UTC) + timedelta(hours=2)).timestamp())
    claims = {"sub": did, "exp": exp, "iat": exp - 7200, "scope": "com.atproto.access"}
    return f"{part({'alg': 'HS256', 'typ': 'JWT'})}.{part(claims)}.c2ln"


def _authenticator(server, session, envelope, mechanism, auth_data):  # type: ignore[no-untyped-def]
    ok = isinstance(auth_data, LoginPassword) and (bytes(auth_data.login), bytes(auth_data.password)) == (
        b"news",
        b"s3cret-pass",
    )
    return AuthResult(success=ok, handled=False)


class Sink:
    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        raise AssertionError("a check must not send mail")


@pytest.fixture
def relay() -> Iterator[int]:
    """An SMTP server on 127.0.0.1 that requires AUTH (news / s3cret-pass); its port."""
    port = free_port()
    # LOGIN is left out: smtplib sends it with an initial response that aiosmtpd 1.4 does not expect.
    controller = Controller(
        Sink(),
        hostname="127.0.0.1",
        port=port,
        authenticator=_authenticator,
        auth_required=True,
        auth_require_tls=False,
        auth_exclude_mechanism=["LOGIN"],
    )
    controller.start()
    yield port
    controller.stop()


@pytest.fixture
def x_api() -> Iterator[responses.RequestsMock]:
    """api.twitter.com intercepted; every other requests call (Mastodon.py) goes to the loopback fakes."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add_passthru(re.compile(r"http://(127\.0\.0\.1|localhost)"))
        yield mock


@pytest.fixture
def secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)


def _check(tmp_path: Path, toml: str, *args: str) -> tuple[int, list[str]]:
    config = tmp_path / "nashra.toml"
    config.write_text(toml, encoding="utf-8")
    result = CliRunner().invoke(app, ["--config", str(config), "--quiet", "check", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.stdout.splitlines()


def _columns(line: str) -> list[str]:
    return re.split(r"\s{2,}", line, maxsplit=2)


def _db(url: str) -> str:
    return f'[database]\nurl = "{url}"\n\n'


def _smtp(port: int, password_env: str = "RELAY_PASSWORD") -> str:
    return (
        '[mail]\ntransport = "smtp"\nfrom_address = "news@oasis.example"\n[mail.smtp]\n'
        f'host = "127.0.0.1"\nport = {port}\nsecurity = "none"\nusername = "news"\n'
        f'password_env = "{password_env}"\ntimeout = 5\n\n'
    )


def _fake_platforms(server: HTTPServer) -> None:
    server.expect_request("/api/v1/accounts/verify_credentials", method="GET").respond_with_json(
        {"id": "1", "username": "oasis", "acct": "oasis", "display_name": "الواحة"}
    )
    server.expect_request("/api/v2/instance", method="GET").respond_with_json(
        {
            "domain": "oasis.example",
            "version": "4.3.2",
            "configuration": {
                "statuses": {
                    "max_characters": 1000,
                    "max_media_attachments": 4,
                    "characters_reserved_per_url": 23,
                },
                "media_attachments": {"image_size_limit": 8_388_608, "video_size_limit": 41_943_040},
            },
        }
    )
    server.expect_request("/bot42:AAE-token/getMe", method="GET").respond_with_json(
        {"ok": True, "result": {"id": 42, "is_bot": True, "first_name": "الواحة", "username": "oasis_bot"}}
    )
    token = _jwt(DID)
    server.expect_request("/xrpc/com.atproto.server.createSession", method="POST").respond_with_json(
        {"did": DID, "handle": "news.example.org", "accessJwt": token, "refreshJwt": token, "active": True}
    )
    server.expect_request("/hooks/newsroom", method="HEAD").respond_with_data("", status=405)
    server.expect_request("/feed.xml", method="GET").respond_with_data(
        FEED, content_type="application/rss+xml"
    )
    server.expect_request("/wp-json/wp/v2/posts", method="GET").respond_with_json(
        [{"id": 7}], headers={"X-WP-Total": "1234"}
    )


def _all_parts(base: str, tmp_path: Path) -> str:
    articles = tmp_path / "articles"
    articles.mkdir()
    (articles / "one.md").write_text(
        "---\ntitle: خبر\ndate: 2026-11-30T09:00:00+01:00\n---\nنص الخبر.\n", encoding="utf-8"
    )
    return (
        f'[[channels]]\ntype = "mastodon"\nname = "masto"\napi_base_url = "{base}"\n\n'
        f'[[channels]]\ntype = "telegram"\nname = "tg"\nchat_id = "@oasis"\napi_base_url = "{base}"\n\n'
        f'[[channels]]\ntype = "bluesky"\nname = "sky"\nhandle = "news.example.org"\nbase_url = "{base}"\n\n'
        f'[[channels]]\ntype = "webhook"\nname = "hook"\nurl = "{base}/hooks/newsroom"\n\n'
        '[[channels]]\ntype = "x"\nname = "x"\n\n'
        '[[channels]]\ntype = "file"\nname = "preview"\n\n'
        '[[channels]]\ntype = "telegram"\nname = "old"\nchat_id = "@old"\nenabled = false\n'
        'bot_token_env = "UNSET_OLD_TOKEN"\n\n'
        f'[[sources]]\ntype = "rss"\nname = "wire"\nurl = "{base}/feed.xml"\n\n'
        f'[[sources]]\ntype = "wordpress"\nname = "site"\nurl = "{base}"\n\n'
        f'[[sources]]\ntype = "folder"\nname = "desk"\npath = "{articles}"\n\n'
        '[[sources]]\ntype = "rss"\nname = "archive"\nurl = "https://old.example/feed"\nenabled = false\n'
    )


@pytest.mark.usefixtures("secrets")
def test_all_good_is_one_ok_line_per_part_and_posts_nothing(
    tmp_path: Path, database_url: str, httpserver: HTTPServer, relay: int, x_api: responses.RequestsMock
) -> None:
    _fake_platforms(httpserver)
    x_api.get(
        "https://api.twitter.com/2/users/me",
        json={"data": {"id": "9", "name": "الواحة", "username": "oasis_news"}},
    )
    base = httpserver.url_for("/").rstrip("/")
    code, lines = _check(tmp_path, WEB + _db(database_url) + _smtp(relay) + _all_parts(base, tmp_path))

    assert code == 0, "\n".join(lines)
    rows = [_columns(line) for line in lines]
    assert [(status, part) for status, part, _ in rows] == [
        ("ok", "config"),
        ("ok", rows[1][1]),
        ("ok", "mail smtp"),
        ("ok", "share cards"),
        ("ok", "channel masto (mastodon)"),
        ("ok", "channel tg (telegram)"),
        ("ok", "channel sky (bluesky)"),
        ("ok", "channel hook (webhook)"),
        ("ok", "channel x (x)"),
        ("ok", "channel preview (file)"),
        ("skip", "channel old (telegram)"),
        ("ok", "source wire (rss)"),
        ("ok", "source site (wordpress)"),
        ("ok", "source desk (folder)"),
        ("skip", "source archive (rss)"),
    ]
    details = {part: detail for _, part, detail in rows}
    assert rows[1][1].startswith("database ") and details[rows[1][1]] == "connected, schema at head"
    assert details["mail smtp"] == f"connect, EHLO, AUTH as news at 127.0.0.1:{relay}: accepted, nothing sent"
    assert details["channel masto (mastodon)"] == (
        f"GET /api/v1/accounts/verify_credentials at {base}: @oasis; "
        "limits 1000 characters, 23 per URL, images up to 8388608 bytes (GET /api/v2/instance)"
    )
    assert details["channel tg (telegram)"] == f"GET getMe at {base}: @oasis_bot"
    assert details["share cards"].startswith("Arabic shaped by libraqm with Amiri-Bold.ttf")
    assert details["channel sky (bluesky)"] == (
        f"com.atproto.server.createSession at {base} as news.example.org: {DID}"
    )
    assert details["channel hook (webhook)"] == (
        f"HEAD {base}/hooks/newsroom: 405 METHOD NOT ALLOWED (reachable; nothing posted)"
    )
    assert details["channel x (x)"] == "GET /2/users/me: @oasis_news"
    assert details["channel preview (file)"].startswith(f"folder {tmp_path / 'outbox' / 'social'} ")
    assert details["channel old (telegram)"] == "disabled"
    assert details["source wire (rss)"] == f"GET {base}/feed.xml: 200, 3 items"
    assert details["source site (wordpress)"] == f"GET {base}/wp-json/wp/v2/posts: 200, 1234 posts"
    assert details["source desk (folder)"] == f"folder {tmp_path / 'articles'}: 1 item"

    sent = [(r.method, r.path, r.query_string.decode()) for r, _ in httpserver.log]
    assert sorted(sent) == sorted(
        [
            ("GET", "/api/v1/accounts/verify_credentials", ""),
            ("GET", "/api/v2/instance", ""),
            ("GET", "/bot42:AAE-token/getMe", ""),
            ("POST", "/xrpc/com.atproto.server.createSession", ""),
            ("HEAD", "/hooks/newsroom", ""),
            ("GET", "/feed.xml", ""),
            ("GET", "/wp-json/wp/v2/posts", "per_page=1"),
        ]
    )
    requests = {r.path: r for r, _ in httpserver.log}
    assert requests["/api/v1/accounts/verify_credentials"].headers["Authorization"] == "Bearer masto-tok-123"
    session = requests["/xrpc/com.atproto.server.createSession"].get_json()
    assert (session["identifier"], session["password"]) == ("news.example.org", "app-pass-1234")
    (x_call,) = x_api.calls
    assert x_call.request.method == "GET" and x_call.request.url == "https://api.twitter.com/2/users/me"
    authorization = str(x_call.request.headers["Authorization"])
    assert authorization.startswith("OAuth ")
    assert 'oauth_consumer_key="ck-1"' in authorization and 'oauth_token="at-1"' in authorization
    assert not (tmp_path / "outbox").exists(), "a check creates nothing"


def _only(tmp_path: Path, url: str, parts: str) -> tuple[int, list[str]]:
    """A config of the file transport, the demo source and `parts`: the lines that are not ok."""
    code, lines = _check(tmp_path, WEB + _db(url) + parts)
    return code, [line for line in lines if not line.startswith("ok ")]


@pytest.mark.sqlite_only
@pytest.mark.usefixtures("secrets")
def test_a_revoked_mastodon_token(tmp_path: Path, database_url: str, httpserver: HTTPServer) -> None:
    httpserver.expect_request("/api/v1/accounts/verify_credentials", method="GET").respond_with_json(
        {"error": "The access token is invalid"}, status=401
    )
    base = httpserver.url_for("/").rstrip("/")
    code, lines = _only(
        tmp_path, database_url, f'[[channels]]\ntype = "mastodon"\nname = "masto"\napi_base_url = "{base}"\n'
    )
    assert code == 1
    assert [_columns(line) for line in lines] == [
        [
            "FAIL",
            "channel masto (mastodon)",
            (
                "GET /api/v1/accounts/verify_credentials: Mastodon API returned error — 401 — UNAUTHORIZED — "
                "The access token is invalid"
            ),
        ]
    ]
    assert [(r.method, r.path) for r, _ in httpserver.log] == [("GET", "/api/v1/accounts/verify_credentials")]


@pytest.mark.sqlite_only
@pytest.mark.usefixtures("secrets")
def test_a_mastodon_server_without_api_v2_instance_is_ok_with_the_limits_it_falls_back_to(
    tmp_path: Path, database_url: str, httpserver: HTTPServer
) -> None:
    httpserver.expect_request("/api/v1/accounts/verify_credentials", method="GET").respond_with_json(
        {"id": "1", "username": "oasis", "acct": "oasis"}
    )
    httpserver.expect_request("/api/v2/instance", method="GET").respond_with_data("Not Found", status=404)
    base = httpserver.url_for("/").rstrip("/")
    code, lines = _check(
        tmp_path,
        WEB
        + _db(database_url)
        + f'[[channels]]\ntype = "mastodon"\nname = "masto"\napi_base_url = "{base}"\nmax_characters = 700\n',
    )
    assert code == 0, "\n".join(lines)
    details = {part: detail for _, part, detail in (_columns(line) for line in lines)}
    assert details["channel masto (mastodon)"] == (
        f"GET /api/v1/accounts/verify_credentials at {base}: @oasis; limits 700 characters (config), "
        "23 per URL, images up to 16777216 bytes (Mastodon's defaults, GET /api/v2/instance failed: 404 NOT FOUND)"
    )
    assert [(r.method, r.path) for r, _ in httpserver.log] == [
        ("GET", "/api/v1/accounts/verify_credentials"),
        ("GET", "/api/v2/instance"),
    ]


@pytest.mark.sqlite_only
@pytest.mark.usefixtures("secrets")
def test_telegram_get_me_401_never_shows_the_token(
    tmp_path: Path, database_url: str, httpserver: HTTPServer
) -> None:
    httpserver.expect_request("/bot42:AAE-token/getMe", method="GET").respond_with_json(
        {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
    )
    base = httpserver.url_for("/").rstrip("/")
    code, lines = _only(
        tmp_path,
        database_url,
        f'[[channels]]\ntype = "telegram"\nname = "tg"\nchat_id = "@o"\napi_base_url = "{base}"\n',
    )
    assert code == 1
    assert [_columns(line) for line in lines] == [
        ["FAIL", "channel tg (telegram)", "GET getMe: 401 Unauthorized"]
    ]
    assert [(r.method, r.path) for r, _ in httpserver.log] == [("GET", "/bot42:AAE-token/getMe")]


@pytest.mark.sqlite_only
@pytest.mark.usefixtures("secrets")
def test_x_401(tmp_path: Path, database_url: str, x_api: responses.RequestsMock) -> None:
    x_api.get(
        "https://api.twitter.com/2/users/me",
        status=401,
        json={"title": "Unauthorized", "type": "about:blank", "status": 401, "detail": "Unauthorized"},
    )
    code, lines = _only(tmp_path, database_url, '[[channels]]\ntype = "x"\nname = "x"\n')
    assert code == 1
    assert [_columns(line) for line in lines] == [
        ["FAIL", "channel x (x)", "GET /2/users/me: 401 Unauthorized — Unauthorized"]
    ]
    assert [(c.request.method, c.request.url) for c in x_api.calls] == [
        ("GET", "https://api.twitter.com/2/users/me")
    ]


@pytest.mark.sqlite_only
@pytest.mark.usefixtures("secrets")
def test_bluesky_bad_password(tmp_path: Path, database_url: str, httpserver: HTTPServer) -> None:
    httpserver.expect_request("/xrpc/com.atproto.server.createSession", method="POST").respond_with_json(
        {"error": "AuthenticationRequired", "message": "Invalid identifier or password"}, status=401
    )
    base = httpserver.url_for("/").rstrip("/")
    code, lines = _only(
        tmp_path,
        database_url,
        f'[[channels]]\ntype = "bluesky"\nname = "sky"\nhandle = "news.example.org"\nbase_url = "{base}"\n',
    )
    assert code == 1
    ((status, part, detail),) = [_columns(line) for line in lines]
    assert (status, part) == ("FAIL", "channel sky (bluesky)")
    assert detail.startswith("com.atproto.server.createSession: ")
    assert "AuthenticationRequired" in detail and "Invalid identifier or password" in detail
    assert "app-pass-1234" not in detail
    assert [(r.method, r.path) for r, _ in httpserver.log] == [
        ("POST", "/xrpc/com.atproto.server.createSession")
    ]


@pytest.mark.sqlite_only
def test_webhook_on_a_closed_port_is_named_by_its_variable(
    tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A hook URL from the environment is a credential: the line names the variable, not the URL."""
    monkeypatch.setenv("NEWSROOM_HOOK", f"http://127.0.0.1:{free_port()}/services/T0/B0/xoxb-secret")
    code, lines = _only(
        tmp_path, database_url, '[[channels]]\ntype = "webhook"\nname = "hook"\nurl_env = "NEWSROOM_HOOK"\n'
    )
    assert code == 1
    ((status, part, detail),) = [_columns(line) for line in lines]
    assert (status, part) == ("FAIL", "channel hook (webhook)")
    assert detail.startswith("HEAD $NEWSROOM_HOOK: cannot connect: ")
    assert "xoxb-secret" not in detail


@pytest.mark.sqlite_only
@pytest.mark.usefixtures("secrets")
def test_smtp_refusing_auth(
    tmp_path: Path, database_url: str, relay: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RELAY_PASSWORD", "wrong-pass")
    code, lines = _only(tmp_path, database_url, _smtp(relay))
    assert code == 1
    assert [_columns(line) for line in lines] == [
        [
            "FAIL",
            "mail smtp",
            (
                f"smtp 127.0.0.1:{relay}: the relay refused the login of 'news': 535 "
                "(check mail.smtp.username and the password variable)"
            ),
        ]
    ]
    assert "wrong-pass" not in "\n".join(lines)


@pytest.mark.sqlite_only
@pytest.mark.usefixtures("secrets")
def test_smtp_unreachable(tmp_path: Path, database_url: str) -> None:
    port = free_port()
    code, lines = _only(tmp_path, database_url, _smtp(port))
    assert code == 1
    ((status, part, detail),) = [_columns(line) for line in lines]
    assert (status, part) == ("FAIL", "mail smtp")
    assert detail.startswith(f"smtp 127.0.0.1:{port}: cannot connect: ")


@pytest.mark.sqlite_only
def test_a_missing_secret_names_its_variable(tmp_path: Path, database_url: str) -> None:
    code, lines = _only(
        tmp_path,
        database_url,
        '[[channels]]\ntype = "mastodon"\nname = "masto"\napi_base_url = "https://m.example"\n',
    )
    assert code == 1
    ((status, part, detail),) = [_columns(line) for line in lines]
    assert (status, part) == ("FAIL", "channel masto (mastodon)")
    assert (
        "channels[0] (masto).access_token_env: environment variable MASTODON_ACCESS_TOKEN is not set"
        in detail
    )


@pytest.mark.sqlite_only
def test_a_source_answering_404_with_its_credentials_redacted(
    tmp_path: Path, database_url: str, httpserver: HTTPServer
) -> None:
    httpserver.expect_request("/feed.xml", method="GET").respond_with_data("gone", status=404)
    url = httpserver.url_for("/feed.xml") + "?apikey=sekrit-123"
    code, lines = _only(tmp_path, database_url, f'[[sources]]\ntype = "rss"\nname = "wire"\nurl = "{url}"\n')
    assert code == 1
    shown = httpserver.url_for("/feed.xml") + "?apikey=***"
    assert [_columns(line) for line in lines] == [
        [
            "FAIL",
            "source wire (rss)",
            f"source wire: {shown} answered HTTP 404 NOT FOUND (check the URL)",
        ]
    ]


def test_an_empty_sqlite_file_is_not_migrated_and_stays_empty(tmp_path: Path) -> None:
    database = tmp_path / "empty.db"
    database.touch()
    code, lines = _only(tmp_path, f"sqlite:///{database}", "")
    assert code == 1
    assert [_columns(line) for line in lines] == [
        [
            "FAIL",
            f"database {database}",
            "connected, but no schema: not migrated; `nashra run` migrates it",
        ]
    ]
    assert database.stat().st_size == 0


def test_a_missing_sqlite_file_is_not_created(tmp_path: Path) -> None:
    database = tmp_path / "data" / "nashra.db"
    code, lines = _only(tmp_path, f"sqlite:///{database}", "")
    assert code == 1
    assert [_columns(line) for line in lines] == [
        ["FAIL", f"database {database}", f"no database file {database}; `nashra run` creates and migrates it"]
    ]
    assert not (tmp_path / "data").exists()


@pytest.fixture
def empty_postgres(postgres_database: Any) -> Iterator[str]:
    """A scratch PostgreSQL database with nothing in it, on the server of this process's test
    database (so skipped, or failed under NASHRA_REQUIRE_POSTGRES, as that one is); dropped afterwards."""
    url = make_url(postgres_database.url)
    server = create_engine(url.set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT")
    name = f"nashra_empty_{uuid.uuid4().hex[:10]}"
    with server.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield url.set(database=name).render_as_string(hide_password=False)
    with server.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    server.dispose()


@pytest.mark.postgres
def test_an_empty_postgres_database_is_not_migrated(tmp_path: Path, empty_postgres: str) -> None:
    code, lines = _only(tmp_path, empty_postgres, "")
    assert code == 1
    ((status, part, detail),) = [_columns(line) for line in lines]
    assert (status, part) == ("FAIL", f"database {empty_postgres}")
    assert detail == "connected, but no schema: not migrated; `nashra run` migrates it"


@pytest.mark.sqlite_only
def test_json_for_monitoring(tmp_path: Path, database_url: str, httpserver: HTTPServer) -> None:
    httpserver.expect_request("/feed.xml", method="GET").respond_with_data("gone", status=404)
    url = httpserver.url_for("/feed.xml")
    code, lines = _check(
        tmp_path,
        WEB + _db(database_url) + f'[[sources]]\ntype = "rss"\nname = "wire"\nurl = "{url}"\n',
        "--format",
        "json",
    )
    assert code == 1
    report = json.loads("\n".join(lines))
    assert report["ok"] is False
    assert [(c["status"], c["part"]) for c in report["checks"]][2:] == [
        ("ok", "mail file"),
        ("ok", "channel outbox (file)"),
        ("FAIL", "source wire (rss)"),
    ]
    assert report["checks"][-1]["detail"] == f"source wire: {url} answered HTTP 404 NOT FOUND (check the URL)"


def test_a_share_card_font_that_cannot_be_read_fails_its_line(tmp_path: Path, database_url: str) -> None:
    (tmp_path / "broken.ttf").write_bytes(b"not a font")
    code, lines = _only(
        tmp_path, database_url, '[cards]\nfont = "broken.ttf"\n\n[[channels]]\ntype = "file"\nname = "f"\n'
    )
    assert code == 1
    assert any(
        line.startswith("FAIL") and "share cards" in line and "cannot read the font" in line for line in lines
    ), lines


def test_a_config_error_is_exit_2_before_anything_is_checked(tmp_path: Path) -> None:
    config = tmp_path / "nashra.toml"
    config.write_text('[[channels]]\ntype = "mastodon"\nname = "masto"\n', encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "nashra", "--config", str(config), "check"],
        capture_output=True,
        text=True,
        timeout=120,
        env={k: v for k, v in os.environ.items() if not k.startswith("NASHRA_")},
    )
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.strip() == (
        f"config error: {config}:1: channels[0] (masto).api_base_url: required key is missing"
    )


QUEUE = '[queue]\nbackend = "procrastinate"\nstalled_after_seconds = 3600\n\n'
"""Workers are taken for dead after an hour, so heartbeats minutes old read the same however slow the test."""


def _queue_lines(lines: list[str]) -> list[list[str]]:
    return [_columns(line) for line in lines if _columns(line)[1].startswith("queue")]


@pytest.fixture
def queue_app(tmp_path: Path, database_url: str) -> Iterator[App]:
    """procrastinate's app on this test's database (a connection not named like a scheduler's)."""
    settings = parse_settings(_db(database_url) + QUEUE, origin="nashra.toml", base_dir=tmp_path)
    app = open_app(settings, role="test", pool_size=1).open()
    yield app
    app.close()


@pytest.fixture
def scheduler(database_url: str) -> Iterator[Callable[[str], bool]]:
    """Starts a scheduler's lock session by name; True when it took the lock (the active one)."""
    sessions: list[Leadership] = []

    def start(name: str) -> bool:
        sessions.append(Leadership(conninfo(database_url), f"nashra-scheduler {name}"))
        return sessions[-1].try_acquire()

    yield start
    for session in sessions:
        session.close()


def _worker(store: Store, heartbeat_ago: str) -> int:
    with store.begin() as conn:
        return int(
            conn.execute(
                text(
                    "INSERT INTO procrastinate_workers (last_heartbeat)"
                    " VALUES (now() - CAST(:ago AS interval)) RETURNING id"
                ),
                {"ago": heartbeat_ago},
            ).scalar_one()
        )


def _job(app: App, store: Store, unit: Unit, *steps: str, worker: int | None = None) -> None:
    """Queue `unit`, then move its job through `steps` ("doing", then an end state), as a worker would."""
    defer(app, unit)
    with store.begin() as conn:
        for status in steps:
            conn.execute(
                text("UPDATE procrastinate_jobs SET status = :s, worker_id = :w WHERE lock = :lock"),
                {"s": status, "w": worker, "lock": unit.key},
            )


@pytest.mark.postgres_only
def test_the_queue_lines_name_the_active_scheduler_the_live_workers_and_the_jobs(
    tmp_path: Path, database_url: str, store: Store, queue_app: App, scheduler: Callable[[str], bool]
) -> None:
    assert scheduler("sched-a:1") and not scheduler("sched-b:1")
    _worker(store, "10 minutes")
    _job(queue_app, store, Unit("ingest", "wire"))
    _job(queue_app, store, Unit("feeds"))

    code, lines = _check(tmp_path, WEB + _db(database_url) + QUEUE)

    assert code == 0, "\n".join(lines)
    assert _queue_lines(lines) == [
        ["ok", "queue schema", "procrastinate's tables are among the database's migrations: at head (above)"],
        ["ok", "queue scheduler", "nashra-scheduler sched-a:1 holds the lock; 1 standby"],
        ["ok", "queue workers", "1 alive, last heartbeat 10m ago"],
        ["ok", "queue jobs", "0 failed, 2 waiting, 0 running"],
    ]


@pytest.mark.postgres_only
def test_no_scheduler_no_live_worker_and_failed_jobs_each_fail(
    tmp_path: Path, database_url: str, store: Store, queue_app: App
) -> None:
    silent = _worker(store, "2 hours")
    _job(queue_app, store, Unit("ingest", "wire"))
    _job(queue_app, store, Unit("feeds"), "doing", worker=silent)
    _job(queue_app, store, Unit("social", "x"), "doing", "failed")

    code, lines = _check(tmp_path, WEB + _db(database_url) + QUEUE)

    assert code == 1
    with store.connect() as conn:
        jobs = dict(conn.execute(text("SELECT lock, status::text FROM procrastinate_jobs")).all())
    assert jobs == {"ingest:wire": "todo", "feeds": "doing", "social:x": "failed"}, "a check moves nothing"
    assert _queue_lines(lines)[1:] == [
        ["FAIL", "queue scheduler", "none holds the lock: nothing is queued on schedule; start `nashra run`"],
        [
            "FAIL",
            "queue workers",
            "none alive; 1 silent, last heartbeat 2h ago (their jobs go back to the queue); start `nashra worker`",
        ],
        [
            "FAIL",
            "queue jobs",
            "1 failed (social 1), 1 waiting, 1 running; see the workers' logs: failed jobs stay until deleted",
        ],
    ]


@pytest.mark.postgres
def test_the_queue_is_not_read_from_a_database_that_is_not_ready(tmp_path: Path, empty_postgres: str) -> None:
    code, lines = _only(tmp_path, empty_postgres, QUEUE)
    assert code == 1
    assert [_columns(line)[:2] for line in lines] == [
        ["FAIL", f"database {empty_postgres}"],
        ["skip", "queue"],
    ]
    assert _columns(lines[1])[2] == "not checked: the database above is not ready"
