"""Each adapter through its real SDK against a fake of the platform's HTTP API, asserting the exact request.

tweepy's host is hard-coded (https://api.twitter.com), so X is intercepted with `responses`; every
other platform is a real HTTP server on 127.0.0.1 given to the SDK as its base URL.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs

import pytest
import regex
import responses
from mastodon import Mastodon
from pytest_httpserver import HTTPServer
from requests import PreparedRequest
from social_helpers import FakeTime, fake_jwt, make_article
from typer.testing import CliRunner
from werkzeug import Request, Response
from werkzeug.test import EnvironBuilder

from nashra.cli import app
from nashra.config import Settings
from nashra.model import Image
from nashra.runtime import Runtime
from nashra.social.channels.bluesky import record_key
from nashra.social.channels.mastodon_limits import ServerLimits
from nashra.social.channels.webhook import SIGNATURE_HEADER, TIMESTAMP_HEADER
from nashra.social.post import post_pending
from nashra.social.protocol import Channel
from nashra.store import posts as records
from nashra.store.articles import upsert_articles
from nashra.store.posts import FailureKind, PostStatus

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
)
TITLE = "شركة BlueDune ترعى بطولة كرة اليد النسوية لعام 2026 😀"
LEAD = (
    "أعلنت الشركة عن رعاية تمتدّ ثلاث سنوات للبطولة، في خطوة يراها المدرّبون دعمًا طال انتظاره للرياضة النسوية."
)
URL = "https://news.example.org/sport/bluedune-handball"


def _article(image_url: str | None = None):  # type: ignore[no-untyped-def]
    image = Image(url=image_url, alt="لاعبات المنتخب خلال التدريب") if image_url else None
    return make_article(
        "handball",
        title=TITLE,
        lead=LEAD,
        tags=("كرة اليد", "رياضة نسوية", "BlueDune"),
        url=URL,
        image=image,
        section="رياضة",
    )


# --- X ----------------------------------------------------------------------------------------


X_SECRETS = ("X_CONSUMER_KEY", "X_CONSUMER_SECRET", "X_ACCESS_TOKEN", "X_ACCESS_TOKEN_SECRET")
X_UPLOAD = "https://api.x.com/2/media/upload"


def _multipart(request: PreparedRequest) -> Request:
    """The multipart body `responses` recorded, parsed as a server parses it (fields and files)."""
    body = request.body
    assert isinstance(body, bytes)
    builder = EnvironBuilder(method="POST", data=body, content_type=request.headers["Content-Type"])
    return Request(builder.get_environ())


@responses.activate
def test_x_uploads_through_v2_media_then_creates_the_tweet_with_its_id(
    channel_from: Callable[..., Channel], httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in X_SECRETS:
        monkeypatch.setenv(name, name.lower())
    httpserver.expect_request("/media/handball.png").respond_with_data(PNG, content_type="image/png")
    responses.post(
        X_UPLOAD,
        json={
            "data": {
                "id": "1880028106020515840",
                "media_key": "3_1880028106020515840",
                "size": len(PNG),
                "expires_after_secs": 86400,
                "image": {"image_type": "image/png", "w": 1, "h": 1},
            }
        },
    )
    responses.post(
        "https://api.twitter.com/2/tweets",
        status=201,
        json={"data": {"id": "1861000000000000001", "text": "…"}},
    )
    channel = channel_from('[[channels]]\ntype = "x"\nname = "x"\nusername = "@nashra"\n')
    post = channel.render(_article(httpserver.url_for("/media/handball.png")))
    published = channel.publish(post)

    assert published.remote_id == "1861000000000000001"
    assert published.url == "https://x.com/nashra/status/1861000000000000001"
    upload, tweet = responses.calls
    assert (upload.request.method, upload.request.url) == ("POST", X_UPLOAD)
    form = _multipart(upload.request)
    assert form.form.to_dict() == {"media_category": "tweet_image"}
    assert list(form.files) == ["media"]
    media = form.files["media"]
    assert media.read() == PNG and media.filename == "handball.png" and media.mimetype == "image/png"
    assert tweet.request.url == "https://api.twitter.com/2/tweets"
    assert json.loads(tweet.request.body) == {
        "text": post.text,
        "media": {"media_ids": ["1880028106020515840"]},
    }
    for call in (upload, tweet):
        auth = call.request.headers["Authorization"]
        assert auth.startswith("OAuth ") and 'oauth_consumer_key="x_consumer_key"' in auth
        assert 'oauth_token="x_access_token"' in auth and "oauth_signature=" in auth
    assert post.length <= 280 and post.text.endswith("\n" + URL)


@pytest.mark.parametrize(
    ("status", "body", "recorded", "kind", "said"),
    [
        (
            429,
            {
                "title": "Too Many Requests",
                "detail": "Too Many Requests",
                "type": "about:blank",
                "status": 429,
            },
            PostStatus.RETRY,
            FailureKind.RATE_LIMITED,
            "429 Too Many Requests",
        ),
        (503, {"title": "Service Unavailable"}, PostStatus.RETRY, FailureKind.TRANSIENT, "503"),
        (
            400,
            {
                "errors": [{"message": "media type unrecognized."}],
                "title": "Invalid Request",
                "detail": "One or more parameters to your request was invalid.",
                "type": "https://api.twitter.com/2/problems/invalid-request",
            },
            PostStatus.FAILED,
            FailureKind.BAD_REQUEST,
            "400 Bad Request — media type unrecognized.",
        ),
        (
            401,
            {"title": "Unauthorized", "detail": "Unauthorized", "type": "about:blank", "status": 401},
            PostStatus.FAILED,
            FailureKind.AUTH,
            "401 Unauthorized — Unauthorized",
        ),
    ],
    ids=["429", "503", "400", "401"],
)
@responses.activate
def test_x_upload_refused_is_recorded_like_any_x_error_and_no_tweet_is_made(
    make_runtime: Callable[[str], Runtime],
    httpserver: HTTPServer,
    fake_time: FakeTime,
    monkeypatch: pytest.MonkeyPatch,
    status: int,
    body: dict[str, object],
    recorded: PostStatus,
    kind: FailureKind,
    said: str,
) -> None:
    for name in X_SECRETS:
        monkeypatch.setenv(name, name.lower())
    httpserver.expect_request("/media/handball.png").respond_with_data(PNG, content_type="image/png")
    reset = fake_time.current + timedelta(minutes=5)
    headers = {"x-rate-limit-reset": str(int(reset.timestamp())), "x-rate-limit-remaining": "0"}
    responses.post(X_UPLOAD, status=status, json=body, headers=headers if status == 429 else {})
    runtime = make_runtime('[[channels]]\ntype = "x"\nname = "x"\n')
    article = make_article(
        "x1",
        image=Image(url=httpserver.url_for("/media/handball.png"), alt="صورة"),
        published_at=datetime.now(UTC) - timedelta(hours=1),
    ).article
    with runtime.store.begin() as conn:
        upsert_articles(conn, [article], now=datetime.now(UTC))
    post_pending(runtime, timing=fake_time.timing)

    assert [c.request.url for c in responses.calls] == [X_UPLOAD]  # no tweet without its image
    with runtime.store.connect() as conn:
        (row,) = records.list_records(conn)
    assert (row.status, row.error_kind, row.attempts) == (recorded, kind, 1)
    assert row.last_error is not None and row.last_error.startswith(said)
    if status == 429:
        assert row.next_attempt_at == reset
    elif status == 503:
        assert row.next_attempt_at == fake_time.current + timedelta(seconds=60)


# --- Mastodon ---------------------------------------------------------------------------------


def _status(text: str) -> dict[str, object]:
    return {
        "id": "113500000000000001",
        "uri": "https://social.example/users/nashra/statuses/113500000000000001",
        "url": "https://social.example/@nashra/113500000000000001",
        "content": f"<p>{text}</p>",
        "created_at": "2026-11-28T10:00:00.000Z",
        "visibility": "public",
        "language": "ar",
        "media_attachments": [],
        "mentions": [],
        "tags": [],
        "emojis": [],
    }


def _instance(
    server: HTTPServer,
    prefix: str = "",
    *,
    max_characters: int = 500,
    characters_reserved_per_url: int = 23,
    image_size_limit: int = 16_777_216,
) -> None:
    """The server's GET /api/v2/instance, trimmed to what a Mastodon 4.3 server sends around the limits."""
    server.expect_request(f"{prefix}/api/v2/instance", method="GET").respond_with_json(
        {
            "domain": "social.example",
            "title": "الواحة",
            "version": "4.3.2",
            "configuration": {
                "accounts": {"max_featured_tags": 10, "max_pinned_statuses": 5},
                "statuses": {
                    "max_characters": max_characters,
                    "max_media_attachments": 4,
                    "characters_reserved_per_url": characters_reserved_per_url,
                },
                "media_attachments": {
                    "supported_mime_types": ["image/jpeg", "image/png", "image/webp"],
                    "image_size_limit": image_size_limit,
                    "image_matrix_limit": 33_177_600,
                    "video_size_limit": 103_809_024,
                },
                "polls": {"max_options": 4, "max_characters_per_option": 50},
                "translation": {"enabled": False},
            },
            "registrations": {"enabled": False, "approval_required": False},
        }
    )


def _mastodon(base: str, extra: str = "") -> str:
    return f'[[channels]]\ntype = "mastodon"\nname = "m"\napi_base_url = "{base}"\n{extra}'


def test_mastodon_sends_text_language_media_and_the_idempotency_key(
    channel_from: Callable[..., Channel], httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MASTODON_ACCESS_TOKEN", "tok-123")
    _instance(httpserver)
    httpserver.expect_request("/media/handball.png").respond_with_data(PNG, content_type="image/png")
    httpserver.expect_request("/api/v2/media", method="POST").respond_with_json(
        {"id": "media-77", "type": "image", "url": None, "preview_url": None, "description": "alt"}
    )
    httpserver.expect_request("/api/v1/statuses", method="POST").respond_with_json(_status("x"))
    base = httpserver.url_for("/").rstrip("/")
    channel = channel_from(_mastodon(base))
    post = channel.render(_article(httpserver.url_for("/media/handball.png")))
    published = channel.publish(post)

    assert published.remote_id == "113500000000000001"
    assert published.url == "https://social.example/@nashra/113500000000000001"
    requests = {r.path: r for r, _ in httpserver.log}
    # The limits before composing; no version probe.
    assert list(requests) == ["/api/v2/instance", "/media/handball.png", "/api/v2/media", "/api/v1/statuses"]
    assert "Authorization" not in requests["/api/v2/instance"].headers  # a public endpoint
    media = requests["/api/v2/media"]
    assert media.headers["Authorization"] == "Bearer tok-123"
    assert media.files["file"].read() == PNG and media.form["description"] == "لاعبات المنتخب خلال التدريب"
    status = requests["/api/v1/statuses"]
    assert (
        status.headers["Idempotency-Key"] == post.key and status.headers["Authorization"] == "Bearer tok-123"
    )
    form = parse_qs(status.get_data(as_text=True))
    assert form["status"] == [post.text] and form["language"] == ["ar"] and form["visibility"] == ["public"]
    assert form["media_ids[]"] == ["media-77"]


def test_mastodon_500_then_success_repeats_the_same_idempotency_key(
    make_runtime: Callable[[str], Runtime],
    httpserver: HTTPServer,
    fake_time: FakeTime,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MASTODON_ACCESS_TOKEN", "tok-123")
    answers = [Response(json.dumps({"error": "Internal error"}), status=500, content_type="application/json")]

    def statuses(_request: Request) -> Response:
        return (
            answers.pop(0) if answers else Response(json.dumps(_status("x")), content_type="application/json")
        )

    _instance(httpserver)
    httpserver.expect_request("/api/v1/statuses", method="POST").respond_with_handler(statuses)
    base = httpserver.url_for("/").rstrip("/")
    runtime = make_runtime(_mastodon(base))
    with runtime.store.begin() as conn:
        upsert_articles(
            conn,
            [make_article("m1", published_at=datetime.now(UTC) - timedelta(hours=2)).article],
            now=datetime.now(UTC),
        )
    post_pending(runtime, timing=fake_time.timing)
    with runtime.store.connect() as conn:
        (waiting,) = records.list_records(conn)
    assert waiting.status == PostStatus.RETRY and waiting.next_attempt_at is not None
    fake_time.current = waiting.next_attempt_at  # the retry is the first run's after that
    post_pending(runtime, timing=fake_time.timing)
    assert [r.path for r, _ in httpserver.log].count("/api/v2/instance") == 1  # the second run too
    keys = [r.headers["Idempotency-Key"] for r, _ in httpserver.log if r.path == "/api/v1/statuses"]
    assert len(keys) == 2 and keys[0] == keys[1]
    with runtime.store.connect() as conn:
        (row,) = records.list_records(conn)
    assert row.status == PostStatus.POSTED and row.remote_id == "113500000000000001" and row.attempts == 2


LONG_LEAD = " ".join(
    ["افتتحت الدورة الثانية عشرة لمهرجان الشعر الشعبي في الواحات مساء أمس بحضور شعراء من عشر ولايات."] * 7
)


def test_mastodon_composes_within_each_servers_own_limit_read_once_per_server(
    channel_from: Callable[..., Channel], httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MASTODON_ACCESS_TOKEN", "tok-123")
    _instance(httpserver, "/big", max_characters=1000)
    _instance(httpserver, "/small", max_characters=300, characters_reserved_per_url=30)
    for prefix in ("/big", "/small"):
        httpserver.expect_request(f"{prefix}/api/v1/statuses", method="POST").respond_with_json(_status("x"))
    base = httpserver.url_for("/").rstrip("/")
    article = make_article("long", lead=LONG_LEAD, url=URL)
    assert len(LONG_LEAD) > 600  # more than the 500 a stock server allows

    big = channel_from(_mastodon(f"{base}/big"))
    long_post = big.render(article)
    assert long_post.limit == 1000 and LONG_LEAD in long_post.text  # whole, not shortened
    big.publish(long_post)
    small = channel_from(_mastodon(f"{base}/small"))
    short_post = small.render(article)
    assert short_post.limit == 300 and LONG_LEAD not in short_post.text
    assert short_post.length <= 300 and short_post.text.endswith("\n" + URL)
    assert short_post.length == Mastodon.get_status_length(short_post.text) + 30 - 23  # its URL counts 30
    small.publish(short_post)
    # The next run builds its channels anew: the servers are not asked again.
    again = channel_from(_mastodon(f"{base}/big"))
    again.publish(again.render(make_article("other")))

    paths = [r.path for r, _ in httpserver.log]
    assert paths.count("/big/api/v2/instance") == 1 and paths.count("/small/api/v2/instance") == 1
    sent = [parse_qs(r.get_data(as_text=True))["status"] for r, _ in httpserver.log if r.method == "POST"]
    assert sent[:2] == [[long_post.text], [short_post.text]] and len(sent) == 3


def test_mastodon_limits_in_the_config_win_and_spare_the_request(
    channel_from: Callable[..., Channel], httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MASTODON_ACCESS_TOKEN", "tok-123")
    _instance(httpserver, max_characters=5000)
    httpserver.expect_request("/api/v1/statuses", method="POST").respond_with_json(_status("x"))
    base = httpserver.url_for("/").rstrip("/")
    channel = channel_from(_mastodon(base, "max_characters = 400\ncharacters_reserved_per_url = 40\n"))
    post = channel.render(make_article("long", lead=LONG_LEAD, url=URL))
    channel.publish(post)

    assert post.limit == 400 and post.length <= 400
    assert post.length == Mastodon.get_status_length(post.text) + 40 - 23
    assert [r.path for r, _ in httpserver.log] == ["/api/v1/statuses"]


@pytest.mark.parametrize(
    "answer",
    [
        Response("Not Found", status=404),  # a server older than Mastodon 4.0
        Response(json.dumps({"error": "Internal error"}), status=500, content_type="application/json"),
        Response("<html>maintenance</html>", content_type="text/html"),
    ],
    ids=["404", "500", "not-json"],
)
def test_mastodon_without_its_limits_posts_within_the_stock_ones_and_says_so_once(
    channel_from: Callable[..., Channel],
    httpserver: HTTPServer,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    answer: Response,
) -> None:
    monkeypatch.setenv("MASTODON_ACCESS_TOKEN", "tok-123")
    httpserver.expect_request("/api/v2/instance").respond_with_response(answer)
    httpserver.expect_request("/api/v1/statuses", method="POST").respond_with_json(_status("x"))
    base = httpserver.url_for("/").rstrip("/")
    caplog.set_level(logging.WARNING, logger="nashra")
    for guid in ("long", "other"):
        channel = channel_from(_mastodon(base))
        post = channel.render(make_article(guid, lead=LONG_LEAD, url=URL))
        assert post.limit == 500 and post.length <= 500
        assert post.length == Mastodon.get_status_length(post.text)
        assert channel.publish(post).remote_id == "113500000000000001"

    assert [r.path for r, _ in httpserver.log] == ["/api/v2/instance", "/api/v1/statuses", "/api/v1/statuses"]
    (logged,) = [r for r in caplog.records if r.getMessage() == "social.mastodon_limits_unavailable"]
    assert logged.__dict__["server"] == base and logged.__dict__["max_characters"] == 500


def test_a_servers_limits_are_kept_a_day_and_a_failure_an_hour() -> None:
    from nashra.social.channels.mastodon_limits import KEEP_FAILURE_SECONDS, KEEP_SECONDS, LimitsCache

    clock = [0.0]
    cache = LimitsCache(clock=lambda: clock[0])
    reads: list[str] = []

    def read(server: str, answer: ServerLimits) -> Callable[[], ServerLimits]:
        def once() -> ServerLimits:
            reads.append(server)
            return answer

        return once

    big, stock = ServerLimits(max_characters=1000), ServerLimits(problem="404 NOT FOUND")
    assert cache.get("https://big.example", read("big", big)) == big
    assert cache.get("https://down.example", read("down", stock)) == stock
    assert cache.get("https://big.example", read("big", stock)) == big  # another server's entry is not it
    clock[0] = KEEP_FAILURE_SECONDS  # an hour on: the failing server is asked again, the other not
    assert cache.get("https://down.example", read("down", big)) == big
    assert cache.get("https://big.example", read("big", stock)) == big
    clock[0] = KEEP_SECONDS
    assert cache.get("https://big.example", read("big", stock)) == stock
    assert reads == ["big", "down", "down", "big"]


@pytest.mark.usefixtures("restore_logging")
def test_post_dry_run_shows_the_servers_limit(
    make_settings: Callable[[str], Settings], httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MASTODON_ACCESS_TOKEN", "tok-123")
    _instance(httpserver, max_characters=1000)
    settings = make_settings(_mastodon(httpserver.url_for("/").rstrip("/")))
    with Runtime.open(settings) as runtime, runtime.store.begin() as conn:
        article = make_article("long", lead=LONG_LEAD, published_at=datetime.now(UTC) - timedelta(hours=1))
        upsert_articles(conn, [article.article], now=datetime.now(UTC))
    shown = CliRunner().invoke(
        app, ["--config", str(settings.origin), "--quiet", "post", "--dry-run", "--format", "json"]
    )
    assert shown.exit_code == 0, shown.output
    (item,) = json.loads(shown.stdout)
    assert item["limit"] == 1000 and item["length"] > 500 and LONG_LEAD in item["text"]
    assert [r.path for r, _ in httpserver.log] == ["/api/v2/instance"]  # nothing posted


# --- Telegram ---------------------------------------------------------------------------------


def test_telegram_send_message_and_send_photo_in_html_mode(
    channel_from: Callable[..., Channel], httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TG_TOKEN", "42:AAE-token")
    ok = {
        "ok": True,
        "result": {"message_id": 321, "chat": {"id": -1001, "username": "nashra_news", "type": "channel"}},
    }
    httpserver.expect_request("/bot42:AAE-token/sendMessage", method="POST").respond_with_json(ok)
    httpserver.expect_request("/bot42:AAE-token/sendPhoto", method="POST").respond_with_json(ok)
    base = httpserver.url_for("/").rstrip("/")
    channel = channel_from(
        f'[[channels]]\ntype = "telegram"\nname = "t"\nchat_id = "@nashra_news"\n'
        f'bot_token_env = "TG_TOKEN"\napi_base_url = "{base}"\n'
    )
    article = make_article("law", title="نقاش حول المادة 12 <مكرّر> & ضمانات الشفافية", url=URL)
    post = channel.render(article)
    assert channel.publish(post).url == "https://t.me/nashra_news/321"
    message = httpserver.log[-1][0]
    assert message.path == "/bot42:AAE-token/sendMessage"
    assert message.get_json() == {
        "chat_id": "@nashra_news",
        "text": post.text,
        "parse_mode": "HTML",
        "link_preview_options": {"url": URL, "prefer_large_media": True},
    }
    first_line = message.get_json()["text"].split("\n")[0]
    assert "&lt;مكرّر&gt; &amp; ضمانات" in first_line and "<" not in message.get_json()["text"]

    photo_post = channel.render(_article("https://news.example.org/media/handball.png"))
    channel.publish(photo_post)
    photo = httpserver.log[-1][0]
    assert photo.path == "/bot42:AAE-token/sendPhoto"
    assert photo.get_json() == {
        "chat_id": "@nashra_news",
        "photo": "https://news.example.org/media/handball.png",
        "caption": photo_post.text,
        "parse_mode": "HTML",
    }
    assert photo_post.limit == 1024


# --- Bluesky ----------------------------------------------------------------------------------

BLOB_CID = "bafkreibme22gw2h7y2h7tg2fhqotaqjucnbc24deqo72b6mkl2egezxhvy"
SLICE = "app.bsky.richtext.facet#byteSlice"
RECORD_CID = "bafyreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm"


def test_bluesky_put_record_with_byte_offset_facets_langs_and_link_card(
    channel_from: Callable[..., Channel], httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BLUESKY_APP_PASSWORD", "app-pass-1234")
    did = "did:plc:nashra7test"
    token = fake_jwt(did)
    httpserver.expect_request("/media/handball.png").respond_with_data(PNG, content_type="image/png")
    httpserver.expect_request("/xrpc/com.atproto.server.createSession", method="POST").respond_with_json(
        {"did": did, "handle": "news.example.org", "accessJwt": token, "refreshJwt": token, "active": True}
    )
    httpserver.expect_request("/xrpc/com.atproto.repo.uploadBlob", method="POST").respond_with_json(
        {"blob": {"$type": "blob", "ref": {"$link": BLOB_CID}, "mimeType": "image/png", "size": len(PNG)}}
    )

    def put_record(request: Request) -> Response:
        body = request.get_json()
        uri = f"at://{did}/app.bsky.feed.post/{body['rkey']}"
        return Response(json.dumps({"uri": uri, "cid": RECORD_CID}), content_type="application/json")

    httpserver.expect_request("/xrpc/com.atproto.repo.putRecord", method="POST").respond_with_handler(
        put_record
    )
    base = httpserver.url_for("/").rstrip("/")
    channel = channel_from(
        f'[[channels]]\ntype = "bluesky"\nname = "b"\nhandle = "news.example.org"\nbase_url = "{base}"\n'
    )
    article = _article(httpserver.url_for("/media/handball.png"))
    post = channel.render(article)
    published = channel.publish(post)

    paths = [r.path for r, _ in httpserver.log]
    assert paths == [
        "/xrpc/com.atproto.server.createSession",
        "/media/handball.png",
        "/xrpc/com.atproto.repo.uploadBlob",
        "/xrpc/com.atproto.repo.putRecord",
    ]
    session = httpserver.log[0][0].get_json()
    assert session["identifier"] == "news.example.org" and session["password"] == "app-pass-1234"
    upload = httpserver.log[2][0]
    assert upload.get_data() == PNG and upload.headers["Authorization"] == f"Bearer {token}"
    put = httpserver.log[3][0]
    assert put.headers["Authorization"] == f"Bearer {token}"
    body = put.get_json()
    rkey = record_key(post.key, article.article.published_at)
    assert body["repo"] == did and body["collection"] == "app.bsky.feed.post" and body["rkey"] == rkey
    assert regex.fullmatch(r"[234567abcdefghij][234567abcdefghijklmnopqrstuvwxyz]{12}", rkey)
    record = body["record"]
    assert (
        record["$type"] == "app.bsky.feed.post" and record["text"] == post.text and record["langs"] == ["ar"]
    )

    # facets: byte offsets checked against our own UTF-8 encoding of the Arabic text
    encoded = post.text.encode("utf-8")
    expected = []
    for tag in post.hashtags:
        start = encoded.index(tag.encode("utf-8"))
        expected.append(
            (
                {"$type": SLICE, "byteStart": start, "byteEnd": start + len(tag.encode("utf-8"))},
                {"$type": "app.bsky.richtext.facet#tag", "tag": tag[1:]},
            )
        )
    start = encoded.rindex(URL.encode())
    expected.append(
        (
            {"$type": SLICE, "byteStart": start, "byteEnd": start + len(URL)},
            {"$type": "app.bsky.richtext.facet#link", "uri": URL},
        )
    )
    got = [(f["index"], f["features"][0]) for f in record["facets"]]
    assert sorted(got, key=lambda x: x[0]["byteStart"]) == sorted(expected, key=lambda x: x[0]["byteStart"])
    assert post.hashtags == ("#كرة_اليد", "#رياضة_نسوية", "#BlueDune")
    assert encoded[expected[0][0]["byteStart"] : expected[0][0]["byteEnd"]].decode() == "#كرة_اليد"

    embed = record["embed"]
    assert embed["$type"] == "app.bsky.embed.external"
    assert embed["external"]["uri"] == URL and embed["external"]["title"] == TITLE.replace("\u2066", "")
    assert embed["external"]["description"] == LEAD
    assert embed["external"]["thumb"]["ref"]["$link"] == BLOB_CID
    assert published.remote_id == f"at://{did}/app.bsky.feed.post/{rkey}"
    assert published.url == f"https://bsky.app/profile/news.example.org/post/{rkey}"


def test_bluesky_record_keys_are_stable_and_distinct() -> None:
    published = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)
    assert record_key("k1", published) == record_key("k1", published)
    assert len({record_key(f"k{i}", published) for i in range(500)}) == 500


# --- webhook ----------------------------------------------------------------------------------


def test_webhook_posts_slack_and_discord_fields_with_a_verifiable_signature(
    channel_from: Callable[..., Channel], httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOOK_SECRET", "shh-its-a-secret")
    httpserver.expect_request("/hooks/newsroom", method="POST").respond_with_data("", status=204)
    channel = channel_from(
        f'[[channels]]\ntype = "webhook"\nname = "w"\nurl = "{httpserver.url_for("/hooks/newsroom")}"\n'
        'secret_env = "HOOK_SECRET"\n'
    )
    post = channel.render(_article())
    channel.publish(post)
    ((request, _),) = httpserver.log
    raw = request.get_data()
    mac = hmac.new(
        b"shh-its-a-secret", request.headers[TIMESTAMP_HEADER].encode() + b"." + raw, hashlib.sha256
    )
    assert request.headers[SIGNATURE_HEADER] == f"sha256={mac.hexdigest()}"
    assert request.headers["Idempotency-Key"] == post.key
    body = json.loads(raw)
    assert body["text"] == body["content"] == post.text
    assert body["article"]["url"] == URL and body["channel"] == "w"
    assert post.length <= 2000


def test_webhook_403_and_429_are_classified(
    channel_from: Callable[..., Channel], httpserver: HTTPServer
) -> None:
    from nashra.social.channels.webhook import WebhookError
    from nashra.social.protocol import ErrorKind

    channel = channel_from(
        f'[[channels]]\ntype = "webhook"\nname = "w"\nurl = "{httpserver.url_for("/h")}"\n'
    )
    httpserver.expect_request("/h").respond_with_data("slow down", status=429, headers={"Retry-After": "12"})
    with pytest.raises(WebhookError) as caught:
        channel.publish(channel.render(_article()))
    verdict = channel.classify_error(caught.value)
    assert verdict is not None and verdict.kind is ErrorKind.RETRY and verdict.retry_after == 12.0


def test_mastodon_429_waits_until_x_ratelimit_reset(
    make_runtime: Callable[[str], Runtime],
    httpserver: HTTPServer,
    fake_time: FakeTime,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from email.utils import format_datetime

    monkeypatch.setenv("MASTODON_ACCESS_TOKEN", "tok-123")
    answers: list[Response] = []

    def statuses(_request: Request) -> Response:
        if answers:
            return answers.pop(0)
        return Response(json.dumps(_status("x")), content_type="application/json")

    httpserver.expect_request("/api/v1/statuses", method="POST").respond_with_handler(statuses)
    base = httpserver.url_for("/").rstrip("/")
    runtime = make_runtime(f'[[channels]]\ntype = "mastodon"\nname = "m"\napi_base_url = "{base}"\n')
    with runtime.store.begin() as conn:
        upsert_articles(
            conn,
            [make_article("m1", published_at=datetime.now(UTC) - timedelta(hours=2)).article],
            now=datetime.now(UTC),
        )
    server_now = datetime.now(UTC).replace(microsecond=0)
    reset = server_now + timedelta(minutes=5)
    answers.append(
        Response(
            json.dumps({"error": "Too many requests"}),
            status=429,
            content_type="application/json",
            headers={
                "X-RateLimit-Limit": "300",
                "X-RateLimit-Remaining": "0",
                "X-RateLimit-Reset": reset.isoformat().replace("+00:00", ".000Z"),
                "Date": format_datetime(server_now, usegmt=True),
            },
        )
    )
    post_pending(runtime, timing=fake_time.timing)
    with runtime.store.connect() as conn:
        (waiting,) = records.list_records(conn)
    assert waiting.status == PostStatus.RETRY and waiting.next_attempt_at is not None
    waited = (waiting.next_attempt_at - fake_time.current).total_seconds()
    fake_time.current = waiting.next_attempt_at
    post_pending(runtime, timing=fake_time.timing)
    assert 295 <= waited <= 305  # until the server's reset, whatever the clocks' skew within a second or so
    with runtime.store.connect() as conn:
        (row,) = records.list_records(conn)
    assert row.status == PostStatus.POSTED and row.attempts == 2


def test_bluesky_retry_after_a_5xx_rewrites_the_same_record_key(
    make_runtime: Callable[[str], Runtime],
    httpserver: HTTPServer,
    fake_time: FakeTime,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("BLUESKY_APP_PASSWORD", "app-pass-1234")
    did = "did:plc:nashra7test"
    token = fake_jwt(did)
    httpserver.expect_request("/xrpc/com.atproto.server.createSession", method="POST").respond_with_json(
        {"did": did, "handle": "news.example.org", "accessJwt": token, "refreshJwt": token, "active": True}
    )
    failures = [
        Response(
            json.dumps({"error": "InternalServerError", "message": "db down"}),
            status=500,
            content_type="application/json",
        )
    ]

    def put_record(request: Request) -> Response:
        if failures:
            return failures.pop(0)
        uri = f"at://{did}/app.bsky.feed.post/{request.get_json()['rkey']}"
        return Response(json.dumps({"uri": uri, "cid": RECORD_CID}), content_type="application/json")

    httpserver.expect_request("/xrpc/com.atproto.repo.putRecord", method="POST").respond_with_handler(
        put_record
    )
    base = httpserver.url_for("/").rstrip("/")
    runtime = make_runtime(
        f'[[channels]]\ntype = "bluesky"\nname = "b"\nhandle = "news.example.org"\n'
        f'base_url = "{base}"\nattach_image = false\n'
    )
    with runtime.store.begin() as conn:
        upsert_articles(
            conn,
            [make_article("b1", published_at=datetime.now(UTC) - timedelta(hours=2)).article],
            now=datetime.now(UTC),
        )
    post_pending(runtime, timing=fake_time.timing)
    with runtime.store.connect() as conn:
        (waiting,) = records.list_records(conn)
    assert waiting.status == PostStatus.RETRY and waiting.next_attempt_at is not None
    fake_time.current = waiting.next_attempt_at  # the retry is the first run's after that
    post_pending(runtime, timing=fake_time.timing)
    rkeys = [r.get_json()["rkey"] for r, _ in httpserver.log if r.path.endswith("putRecord")]
    assert len(rkeys) == 2 and rkeys[0] == rkeys[1]
    with runtime.store.connect() as conn:
        (row,) = records.list_records(conn)
    assert row.status == PostStatus.POSTED and row.remote_id == f"at://{did}/app.bsky.feed.post/{rkeys[0]}"


def test_bluesky_facets_for_an_arabic_link_and_tags_inside_text() -> None:
    from nashra.social.channels.bluesky import rich_text

    url = "https://news.example.org/اقتصاد/olive-harvest"
    text = f"موسم الزيتون #زيت_الزيتون يبدأ 🫒\n#التصدير\n{url}"
    builder = rich_text(text, url, ("#زيت_الزيتون", "#التصدير"))
    assert builder.build_text() == text
    encoded = text.encode("utf-8")
    spans = {(f.index.byte_start, f.index.byte_end): f.features[0] for f in builder.build_facets()}
    tag_start = encoded.index("#زيت_الزيتون".encode())
    assert spans[(tag_start, tag_start + len("#زيت_الزيتون".encode()))].tag == "زيت_الزيتون"
    link_start = encoded.index(url.encode())
    link = spans[(link_start, len(encoded))]
    assert link.uri == "https://news.example.org/%D8%A7%D9%82%D8%AA%D8%B5%D8%A7%D8%AF/olive-harvest"
    assert len(spans) == 3


@responses.activate
def test_x_posts_without_the_image_when_it_cannot_be_fetched(
    channel_from: Callable[..., Channel], httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in X_SECRETS:
        monkeypatch.setenv(name, name.lower())
    httpserver.expect_request("/media/gone.png").respond_with_data("not found", status=404)
    httpserver.expect_request("/media/huge.png").respond_with_data(b"\x89PNG" + b"0" * 5_000_001)
    responses.post("https://api.twitter.com/2/tweets", status=201, json={"data": {"id": "7", "text": "…"}})
    channel = channel_from('[[channels]]\ntype = "x"\nname = "x"\n')
    for path in ("/media/gone.png", "/media/huge.png"):
        post = channel.render(_article(httpserver.url_for(path)))
        assert channel.publish(post).remote_id == "7"
    assert [c.request.url for c in responses.calls] == ["https://api.twitter.com/2/tweets"] * 2
    assert all(json.loads(c.request.body) == {"text": post.text} for c in responses.calls)
