"""Facebook Pages, Instagram and Threads against a fake Graph API on 127.0.0.1, asserting exact requests.

The adapters call the Graph API with the shared httpx client; the fake answers as Meta does (errors
as `{"error": {"code", "error_subcode", "message", "fbtrace_id"}}`, mostly with HTTP 400), so what
is checked is the endpoint, the form parameters, the Bearer token, the Arabic text, and what the
posting loop records for each of Meta's answers.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest
from PIL import Image as PILImage
from pytest_httpserver import HTTPServer
from social_helpers import FakeTime, make_article
from typer.testing import CliRunner
from werkzeug import Request, Response

from nashra.cli import app
from nashra.config import Settings
from nashra.model import Image, StoredArticle
from nashra.runtime import Runtime
from nashra.social import post as post_module
from nashra.social.channels.graph import GraphError, classify_graph, regain_access_seconds
from nashra.social.counting import meta_length
from nashra.social.post import post_pending
from nashra.social.protocol import Channel, ChannelContext, ErrorKind
from nashra.social.registry import build_channels
from nashra.store import posts as records
from nashra.store.articles import upsert_articles
from nashra.store.posts import FailureKind, PostStatus

TOKEN = "EAAG-page-token-123"
TITLE = "وزارة الفلاحة تطلق برنامج GreenOasis لدعم 3000 فلاح في الجنوب 🌴"
LEAD = "أعلنت الوزارة عن برنامج يمتد خمس سنوات لتحديث الري في الواحات، بتمويل مشترك مع شركاء محليين ودوليين."
URL = "https://news.example.org/economy/green-oasis"
TAGS = ("الفلاحة", "الواحات", "الري")
V = "v25.0"


def _article(guid: str = "oasis", *, image: str | None = None, **fields: Any) -> StoredArticle:
    picture = Image(url=image, alt="نخيل في واحة") if image else None
    defaults: dict[str, Any] = {"title": TITLE, "lead": LEAD, "tags": TAGS, "url": URL, "image": picture}
    return make_article(guid, **{**defaults, **fields})


def _form(request: Request) -> dict[str, str]:
    """The form-encoded body of a Graph write, one value per key."""
    fields = parse_qs(request.get_data(as_text=True), keep_blank_values=True)
    assert all(len(values) == 1 for values in fields.values()), fields
    return {key: values[0] for key, values in fields.items()}


def _calls(server: HTTPServer) -> list[tuple[str, str, str]]:
    return [(r.method, r.path, r.query_string.decode()) for r, _ in server.log]


def _graph_error(
    code: int,
    message: str,
    *,
    status: int = 400,
    subcode: int | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    error: dict[str, Any] = {"message": message, "type": "OAuthException", "code": code, "fbtrace_id": "AbC1"}
    if subcode is not None:
        error["error_subcode"] = subcode
    return Response(
        json.dumps({"error": error}), status=status, content_type="application/json", headers=headers
    )


def _json(body: dict[str, Any]) -> Response:
    return Response(json.dumps(body), content_type="application/json")


Handler = Callable[[Request], Response]


def _answers(*answers: Response | Handler, then: Handler) -> Handler:
    """A handler giving each of `answers` (a response, or a handler's) in turn, then `then`'s for ever."""
    queue = list(answers)

    def handle(request: Request) -> Response:
        answer = queue.pop(0) if queue else then
        return answer if isinstance(answer, Response) else answer(request)

    return handle


def _hang_up(request: Request) -> Response:
    """Read the request, then close the connection without a word: sent, and never answered."""
    connection: socket.socket = request.environ["werkzeug.socket"]
    connection.shutdown(socket.SHUT_RDWR)
    return Response("", status=204)


def _base(server: HTTPServer) -> str:
    return server.url_for("/").rstrip("/")


def _facebook(server: HTTPServer, extra: str = "") -> str:
    return f'[[channels]]\ntype = "facebook"\nname = "fb"\npage_id = "1122"\nbase_url = "{_base(server)}"\n{extra}'


def _instagram(server: HTTPServer, extra: str = "") -> str:
    return (
        f'[[channels]]\ntype = "instagram"\nname = "ig"\nig_user_id = "1789"\nbase_url = "{_base(server)}"\n'
        f"container_check_seconds = 0\n{extra}"
    )


def _threads(server: HTTPServer, extra: str = "") -> str:
    return (
        f'[[channels]]\ntype = "threads"\nname = "th"\nthreads_user_id = "4455"\nbase_url = "{_base(server)}"\n'
        f"container_check_seconds = 0\n{extra}"
    )


@pytest.fixture(autouse=True)
def _tokens(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("FACEBOOK_PAGE_TOKEN", "INSTAGRAM_ACCESS_TOKEN", "THREADS_ACCESS_TOKEN"):
        monkeypatch.setenv(name, TOKEN)


def _store_article(runtime: Runtime, article: StoredArticle | None = None) -> None:
    recent = datetime.now(UTC) - timedelta(hours=2)
    stored = article or _article(published_at=recent)
    with runtime.store.begin() as conn:
        upsert_articles(conn, [stored.article], now=datetime.now(UTC))


def _row(runtime: Runtime) -> records.PostRecord:
    with runtime.store.connect() as conn:
        (row,) = records.list_records(conn)
    return row


def _assert_bearer(server: HTTPServer) -> None:
    """Every request carried the token in its header, and none in its URL or body."""
    for request, _ in server.log:
        assert request.headers["Authorization"] == f"Bearer {TOKEN}"
        assert "access_token" not in request.query_string.decode()
        assert TOKEN not in request.get_data(as_text=True)


# --- Facebook ---------------------------------------------------------------------------------


def test_facebook_link_post_sends_message_and_link_to_the_page_feed(
    channel_from: Callable[..., Channel], httpserver: HTTPServer
) -> None:
    httpserver.expect_request(f"/{V}/1122/feed", method="POST").respond_with_json({"id": "1122_98765"})
    channel = channel_from(_facebook(httpserver))
    post = channel.render(_article(image="https://news.example.org/media/oasis.jpg"))
    published = channel.publish(post)

    assert _calls(httpserver) == [("POST", f"/{V}/1122/feed", "")]
    ((request, _),) = httpserver.log
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert _form(request) == {"message": post.text, "link": URL}
    # Latin and digit runs isolated inside the Arabic title, as on every channel
    assert post.text.startswith("وزارة الفلاحة تطلق برنامج \u2066GreenOasis\u2069 لدعم \u20663000\u2069 فلاح")
    assert post.text.endswith("#الفلاحة #الواحات #الري") and URL not in post.text  # Facebook shows the link
    assert post.image is None  # a link post: Facebook draws its card from the link
    _assert_bearer(httpserver)
    assert (published.remote_id, published.url) == ("1122_98765", "https://www.facebook.com/1122_98765")


def test_facebook_photo_post_sends_the_image_url_with_the_caption(
    channel_from: Callable[..., Channel], httpserver: HTTPServer
) -> None:
    httpserver.expect_request("/v24.0/1122/photos", method="POST").respond_with_json(
        {"id": "555", "post_id": "1122_777"}
    )
    httpserver.expect_request("/v24.0/1122/feed", method="POST").respond_with_json({"id": "1122_778"})
    channel = channel_from(_facebook(httpserver, 'post_as = "photo"\napi_version = "v24.0"\n'))
    photo = channel.render(_article(image="https://news.example.org/media/oasis.jpg"))
    assert channel.publish(photo).remote_id == "1122_777"
    ((request, _),) = httpserver.log
    assert request.path == "/v24.0/1122/photos"  # the pinned version is the configured one
    assert _form(request) == {"url": "https://news.example.org/media/oasis.jpg", "caption": photo.text}
    assert photo.text.endswith("#الري\n" + URL)  # the caption is the only place for the link

    bare = channel.render(_article("no-image"))  # no image: a link post after all
    assert channel.publish(bare).remote_id == "1122_778"
    assert httpserver.log[-1][0].path == "/v24.0/1122/feed" and _form(httpserver.log[-1][0])["link"] == URL


def test_facebook_rate_limit_waits_for_metas_estimate_then_posts(
    make_runtime: Callable[[str], Runtime], httpserver: HTTPServer, fake_time: FakeTime
) -> None:
    usage = {"1122": [{"type": "pages", "call_count": 100, "total_cputime": 20, "total_time": 30}]}
    usage["1122"][0]["estimated_time_to_regain_access"] = 7
    throttled = _graph_error(
        32,
        "(#32) Page request limit reached",
        status=400,
        headers={
            "X-Business-Use-Case-Usage": json.dumps(usage),
            "X-App-Usage": json.dumps({"call_count": 12, "total_cputime": 3, "total_time": 4}),
        },
    )
    httpserver.expect_request(f"/{V}/1122/feed", method="POST").respond_with_handler(
        _answers(throttled, then=lambda _r: _json({"id": "1122_1"}))
    )
    runtime = make_runtime(_facebook(httpserver))
    _store_article(runtime)

    (result,) = post_pending(runtime, timing=fake_time.timing).results
    row = _row(runtime)
    assert row.status is PostStatus.RETRY and row.error_kind is FailureKind.RATE_LIMITED
    assert row.next_attempt_at == fake_time.current + timedelta(minutes=7)
    assert result.error == "400 (#32) Page request limit reached (code 32, fbtrace_id AbC1)"

    fake_time.current += timedelta(minutes=6)  # still throttled: nothing is sent
    assert post_pending(runtime, timing=fake_time.timing).results == [] and len(httpserver.log) == 1

    fake_time.current += timedelta(minutes=1)
    post_pending(runtime, timing=fake_time.timing)
    row = _row(runtime)
    assert (row.status, row.remote_id, row.attempts) == (PostStatus.POSTED, "1122_1", 2)


def test_http_429_and_a_throttle_without_an_estimate_still_wait(
    make_runtime: Callable[[str], Runtime], httpserver: HTTPServer, fake_time: FakeTime
) -> None:
    httpserver.expect_request(f"/{V}/1122/feed", method="POST").respond_with_handler(
        _answers(
            Response("slow down", status=429, headers={"Retry-After": "120"}),
            _graph_error(4, "(#4) Application request limit reached", status=403),
            then=lambda _r: _json({"id": "1122_2"}),
        )
    )
    runtime = make_runtime(_facebook(httpserver, "max_wait_seconds = 600\n"))
    _store_article(runtime)

    post_pending(runtime, timing=fake_time.timing)
    first = _row(runtime)
    assert first.error_kind is FailureKind.RATE_LIMITED and first.last_error == "429 slow down"
    assert first.next_attempt_at == fake_time.current + timedelta(seconds=120)

    fake_time.current += timedelta(seconds=120)
    post_pending(runtime, timing=fake_time.timing)
    second = _row(runtime)
    assert second.error_kind is FailureKind.RATE_LIMITED  # code 4 with HTTP 403 is a throttle, not a refusal
    assert second.next_attempt_at == fake_time.current + timedelta(seconds=600)  # the channel's max_wait

    fake_time.current += timedelta(seconds=600)
    post_pending(runtime, timing=fake_time.timing)
    assert _row(runtime).status is PostStatus.POSTED


@pytest.mark.parametrize(
    ("answer", "status", "kind", "error"),
    [
        (
            _graph_error(190, "Error validating access token: Session has expired", subcode=463),
            PostStatus.FAILED,
            FailureKind.AUTH,
            "400 Error validating access token: Session has expired (code 190, subcode 463, fbtrace_id AbC1)",
        ),
        (
            _graph_error(100, "(#100) Invalid parameter"),
            PostStatus.FAILED,
            FailureKind.BAD_REQUEST,
            "400 (#100) Invalid parameter (code 100, fbtrace_id AbC1)",
        ),
        (
            _graph_error(368, "The action attempted has been deemed abusive or is otherwise disallowed"),
            PostStatus.FAILED,
            FailureKind.BAD_REQUEST,
            "400 The action attempted has been deemed abusive or is otherwise disallowed (code 368, fbtrace_id AbC1)",
        ),
        (
            _graph_error(2, "An unexpected error has occurred. Please retry your request later.", status=500),
            PostStatus.RETRY,
            FailureKind.TRANSIENT,
            "500 An unexpected error has occurred. Please retry your request later. (code 2, fbtrace_id AbC1)",
        ),
        (
            Response("<html>Bad Gateway</html>", status=502),
            PostStatus.RETRY,
            FailureKind.TRANSIENT,
            "502 <html>Bad Gateway</html>",
        ),
    ],
    ids=["190-expired-token", "100-invalid-parameter", "368-blocked", "code-2-500", "502-html"],
)
def test_facebook_errors_are_recorded_by_code(
    make_runtime: Callable[[str], Runtime],
    httpserver: HTTPServer,
    fake_time: FakeTime,
    answer: Response,
    status: PostStatus,
    kind: FailureKind,
    error: str,
) -> None:
    httpserver.expect_request(f"/{V}/1122/feed", method="POST").respond_with_response(answer)
    runtime = make_runtime(_facebook(httpserver))
    _store_article(runtime)
    post_pending(runtime, timing=fake_time.timing)
    row = _row(runtime)
    assert (row.status, row.error_kind, row.last_error) == (status, kind, error)
    if status is PostStatus.RETRY:  # transient: the backoff, not a rate limit's wait
        assert row.next_attempt_at == fake_time.current + timedelta(seconds=60)


def test_facebook_connection_dropped_after_sending_is_unknown_and_never_repeated(
    make_runtime: Callable[[str], Runtime], httpserver: HTTPServer, fake_time: FakeTime
) -> None:
    httpserver.expect_request(f"/{V}/1122/feed", method="POST").respond_with_handler(_hang_up)
    runtime = make_runtime(_facebook(httpserver))
    _store_article(runtime)
    post_pending(runtime, timing=fake_time.timing)
    row = _row(runtime)
    assert row.status is PostStatus.UNKNOWN and row.error_kind is FailureKind.OUTCOME_UNKNOWN
    assert row.last_error == "RemoteProtocolError: Server disconnected without sending a response."
    fake_time.current += timedelta(hours=1)
    post_pending(runtime, timing=fake_time.timing)
    assert len(httpserver.log) == 1  # the operator decides; Facebook does not deduplicate


# --- Instagram --------------------------------------------------------------------------------


def _instagram_api(server: HTTPServer, *statuses: str) -> None:
    """Container 17900, processed through `statuses` (then FINISHED), published as media 17999."""
    server.expect_request(f"/{V}/1789/media", method="POST").respond_with_json({"id": "17900"})
    queue = list(statuses)

    def status(_request: Request) -> Response:
        code = queue.pop(0) if queue else "FINISHED"
        return _json({"status_code": code, "status": f"{code.title()}: …", "id": "17900"})

    server.expect_request(f"/{V}/17900", method="GET").respond_with_handler(status)
    server.expect_request(f"/{V}/1789/media_publish", method="POST").respond_with_json({"id": "17999"})


def test_instagram_creates_a_container_waits_for_it_then_publishes_it(
    channel_from: Callable[..., Channel], httpserver: HTTPServer
) -> None:
    _instagram_api(httpserver, "IN_PROGRESS")
    channel = channel_from(_instagram(httpserver))
    post = channel.render(_article(image="https://news.example.org/media/oasis.jpg"))
    published = channel.publish(post)

    assert _calls(httpserver) == [
        ("POST", f"/{V}/1789/media", ""),
        ("GET", f"/{V}/17900", "fields=status_code%2Cstatus"),
        ("GET", f"/{V}/17900", "fields=status_code%2Cstatus"),
        ("POST", f"/{V}/1789/media_publish", ""),
    ]
    assert _form(httpserver.log[0][0]) == {
        "image_url": "https://news.example.org/media/oasis.jpg",
        "caption": post.text,
    }
    assert _form(httpserver.log[3][0]) == {"creation_id": "17900"}
    assert post.text.endswith("#الفلاحة #الواحات #الري\n" + URL) and post.limit == 2200
    _assert_bearer(httpserver)
    assert (published.remote_id, published.url) == ("17999", None)


def test_instagram_caption_without_the_link_and_with_at_most_30_hashtags(
    channel_from: Callable[..., Channel], httpserver: HTTPServer
) -> None:
    channel = channel_from(_instagram(httpserver, "link_in_caption = false\nmax_hashtags = 50\n"))
    tags = tuple(f"وسم {n}" for n in range(40))
    post = channel.render(_article(image="https://news.example.org/media/oasis.jpg", tags=tags))
    assert URL not in post.text and len(post.hashtags) == 30
    assert post.text.endswith(" ".join(f"#وسم_{n}" for n in range(30)))


def test_instagram_container_that_meta_cannot_process_fails_with_its_reason(
    make_runtime: Callable[[str], Runtime], httpserver: HTTPServer, fake_time: FakeTime
) -> None:
    httpserver.expect_request(f"/{V}/1789/media", method="POST").respond_with_json({"id": "17900"})
    httpserver.expect_request(f"/{V}/17900", method="GET").respond_with_json(
        {"status_code": "ERROR", "status": "Error: Media download has failed.", "id": "17900"}
    )
    runtime = make_runtime(_instagram(httpserver))
    _store_article(runtime, _article(image="https://news.example.org/a.webp", published_at=datetime.now(UTC)))
    post_pending(runtime, timing=fake_time.timing)
    row = _row(runtime)
    assert (row.status, row.error_kind) == (PostStatus.FAILED, FailureKind.BAD_REQUEST)
    assert (
        row.last_error
        == "Meta could not process the media of container 17900: Error: Media download has failed."
    )
    assert all(r.path != f"/{V}/1789/media_publish" for r, _ in httpserver.log)


def test_instagram_container_still_processing_is_tried_again_and_not_published(
    make_runtime: Callable[[str], Runtime], httpserver: HTTPServer, fake_time: FakeTime
) -> None:
    _instagram_api(httpserver, "IN_PROGRESS", "IN_PROGRESS")
    runtime = make_runtime(_instagram(httpserver, "container_checks = 2\n"))
    _store_article(runtime, _article(image="https://news.example.org/a.jpg", published_at=datetime.now(UTC)))
    post_pending(runtime, timing=fake_time.timing)
    row = _row(runtime)
    assert (row.status, row.error_kind) == (PostStatus.RETRY, FailureKind.TRANSIENT)
    assert row.last_error == "container 17900 not ready to publish (IN_PROGRESS)"
    assert all(r.path != f"/{V}/1789/media_publish" for r, _ in httpserver.log)
    fake_time.current = row.next_attempt_at or fake_time.current
    post_pending(runtime, timing=fake_time.timing)
    assert _row(runtime).status is PostStatus.POSTED


def test_instagram_publish_sent_without_an_answer_is_unknown_and_the_container_is_not_published_again(
    make_runtime: Callable[[str], Runtime], httpserver: HTTPServer, fake_time: FakeTime
) -> None:
    httpserver.expect_request(f"/{V}/1789/media", method="POST").respond_with_json({"id": "17900"})
    httpserver.expect_request(f"/{V}/17900", method="GET").respond_with_json({"status_code": "FINISHED"})
    httpserver.expect_request(f"/{V}/1789/media_publish", method="POST").respond_with_handler(_hang_up)
    runtime = make_runtime(_instagram(httpserver))
    _store_article(runtime, _article(image="https://news.example.org/a.jpg", published_at=datetime.now(UTC)))
    post_pending(runtime, timing=fake_time.timing)
    row = _row(runtime)
    assert (row.status, row.error_kind) == (PostStatus.UNKNOWN, FailureKind.OUTCOME_UNKNOWN)
    fake_time.current += timedelta(hours=1)
    post_pending(runtime, timing=fake_time.timing)
    assert [r.path for r, _ in httpserver.log].count(f"/{V}/1789/media_publish") == 1


def test_instagram_container_step_without_an_answer_is_retried_as_nothing_was_published(
    make_runtime: Callable[[str], Runtime], httpserver: HTTPServer, fake_time: FakeTime
) -> None:
    httpserver.expect_request(f"/{V}/1789/media", method="POST").respond_with_handler(
        _answers(_hang_up, then=lambda _r: _json({"id": "17900"}))
    )
    httpserver.expect_request(f"/{V}/17900", method="GET").respond_with_json({"status_code": "FINISHED"})
    httpserver.expect_request(f"/{V}/1789/media_publish", method="POST").respond_with_json({"id": "17999"})
    runtime = make_runtime(_instagram(httpserver))
    _store_article(runtime, _article(image="https://news.example.org/a.jpg", published_at=datetime.now(UTC)))
    post_pending(runtime, timing=fake_time.timing)
    row = _row(runtime)
    assert (row.status, row.error_kind) == (PostStatus.RETRY, FailureKind.TRANSIENT)
    assert (row.last_error or "").startswith("RemoteProtocolError before publishing: ")
    fake_time.current = row.next_attempt_at or fake_time.current
    post_pending(runtime, timing=fake_time.timing)
    assert (_row(runtime).status, _row(runtime).remote_id) == (PostStatus.POSTED, "17999")


def test_instagram_draws_a_real_share_card_for_an_article_without_an_image(
    make_runtime: Callable[[str], Runtime], httpserver: HTTPServer, fake_time: FakeTime
) -> None:
    """The worker's own context: a JPEG card drawn by nashra.cards, published and posted by URL."""
    _instagram_api(httpserver)
    runtime = make_runtime(
        '[site]\nbase_url = "https://news.example.org"\n' + _instagram(httpserver, 'card_preset = "square"\n')
    )
    _store_article(runtime)

    (result,) = post_pending(runtime, timing=fake_time.timing).results

    assert result.status is PostStatus.POSTED
    image_url = _form(httpserver.log[0][0])["image_url"]
    assert image_url.startswith("https://news.example.org/cards/") and image_url.endswith(".jpg")
    card = runtime.settings.public_dir / "cards" / image_url.rsplit("/", 1)[1]
    with PILImage.open(card) as drawn:
        assert (drawn.format, drawn.size) == ("JPEG", (1080, 1080))


def test_instagram_without_an_image_or_a_card_maker_fails_before_sending_anything(
    make_runtime: Callable[[str], Runtime],
    httpserver: HTTPServer,
    fake_time: FakeTime,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A process that draws no cards (an embedding without nashra.cards' context)."""
    monkeypatch.setattr(post_module, "channel_context", lambda settings, http: ChannelContext(settings, http))
    runtime = make_runtime(_instagram(httpserver))
    _store_article(runtime)
    (result,) = post_pending(runtime, timing=fake_time.timing).results
    reason = "Instagram needs an image: the article has none and no share card can be drawn"
    assert result.status is PostStatus.FAILED and result.error == reason
    row = _row(runtime)
    assert (row.status, row.error_kind, row.last_error, row.attempts) == (
        PostStatus.FAILED,
        FailureKind.BAD_REQUEST,
        reason,
        0,
    )
    assert httpserver.log == []


@pytest.fixture
def card_context(
    settings_from: Callable[[str], Settings], tmp_path: Path
) -> Iterator[Callable[[str], Channel]]:
    """The channel configured by `toml`, in a context whose card maker draws into tmp_path/drawn."""
    clients: list[httpx.Client] = []
    drawn = tmp_path / "drawn"
    drawn.mkdir()

    def cards(article: StoredArticle, preset: str) -> Path:
        card = drawn / f"{article.id}-{preset}.jpg"
        card.write_bytes(b"\xff\xd8\xff\xe0 card of " + article.title.encode())
        return card

    def make(toml: str) -> Channel:
        settings = settings_from('[site]\nbase_url = "https://news.example.org/"\n' + toml)
        client = httpx.Client(timeout=5)
        clients.append(client)
        (channel,) = build_channels(settings, ChannelContext(settings, client, cards=cards))
        return channel

    yield make
    for client in clients:
        client.close()


def test_instagram_posts_a_share_card_published_under_the_public_folder(
    card_context: Callable[[str], Channel], httpserver: HTTPServer, tmp_path: Path
) -> None:
    _instagram_api(httpserver)
    channel = card_context(_instagram(httpserver, 'card_preset = "square"\n'))
    article = _article()
    post = channel.render(article)
    card_url = f"https://news.example.org/cards/{article.id}-square.jpg"
    assert post.image is not None and post.image.url == card_url and post.image.alt == TITLE
    published = tmp_path / "public" / "cards" / f"{article.id}-square.jpg"
    assert published.read_bytes() == (tmp_path / "drawn" / published.name).read_bytes()
    assert channel.validate(post) == []
    channel.publish(post)
    assert _form(httpserver.log[0][0])["image_url"] == card_url

    with_image = channel.render(_article("photo", image="https://news.example.org/media/oasis.jpg"))
    assert with_image.image is not None and with_image.image.url == "https://news.example.org/media/oasis.jpg"
    cards_only = card_context(_instagram(httpserver, "attach_image = false\n"))  # the brand's cards always
    card = cards_only.render(_article("photo", image="https://news.example.org/media/oasis.jpg")).image
    assert card is not None and card.url.startswith("https://news.example.org/cards/")


# --- Threads ----------------------------------------------------------------------------------


def _threads_api(server: HTTPServer) -> None:
    server.expect_request("/v1.0/4455/threads", method="POST").respond_with_json({"id": "3300"})
    server.expect_request("/v1.0/3300", method="GET").respond_with_json({"status": "FINISHED", "id": "3300"})
    server.expect_request("/v1.0/4455/threads_publish", method="POST").respond_with_json({"id": "3399"})


def test_threads_text_container_with_a_link_attachment_then_publish(
    channel_from: Callable[..., Channel], httpserver: HTTPServer
) -> None:
    _threads_api(httpserver)
    channel = channel_from(_threads(httpserver))
    post = channel.render(_article(image="https://news.example.org/media/oasis.jpg"))
    assert channel.publish(post).remote_id == "3399"

    assert _calls(httpserver) == [
        ("POST", "/v1.0/4455/threads", ""),
        ("GET", "/v1.0/3300", "fields=status%2Cerror_message"),
        ("POST", "/v1.0/4455/threads_publish", ""),
    ]
    assert _form(httpserver.log[0][0]) == {"media_type": "TEXT", "text": post.text, "link_attachment": URL}
    assert _form(httpserver.log[2][0]) == {"creation_id": "3300"}
    assert post.hashtags == ("#الفلاحة",) and post.text.endswith("#الفلاحة\n" + URL)  # one topic tag
    assert post.image is None and post.limit == 500
    _assert_bearer(httpserver)


def test_threads_shortens_to_500_counting_emoji_by_their_bytes(
    channel_from: Callable[..., Channel], httpserver: HTTPServer
) -> None:
    channel = channel_from(_threads(httpserver, "link_attachment = false\n"))
    lead = " ".join(["موسم التمور يبدأ في الواحات 🌴"] * 40)
    post = channel.render(_article(lead=lead))
    assert 480 < post.length <= 500 and post.length == meta_length(post.text)
    assert post.length == len(post.text) + 3 * post.text.count("🌴")  # every 🌴 weighs its 4 bytes
    assert post.summary.endswith("…") and post.text.endswith("\n" + URL)
    assert meta_length("🌴") == 4 and meta_length("👨‍👩‍👧") == 18 and meta_length("مُحَمَّد") == 8


def test_threads_5xx_on_the_container_is_retried_then_posted(
    make_runtime: Callable[[str], Runtime], httpserver: HTTPServer, fake_time: FakeTime
) -> None:
    httpserver.expect_request("/v1.0/4455/threads", method="POST").respond_with_handler(
        _answers(
            _graph_error(1, "An unknown error occurred", status=500), then=lambda _r: _json({"id": "3300"})
        )
    )
    httpserver.expect_request("/v1.0/3300", method="GET").respond_with_json({"status": "FINISHED"})
    httpserver.expect_request("/v1.0/4455/threads_publish", method="POST").respond_with_json({"id": "3399"})
    runtime = make_runtime(_threads(httpserver))
    _store_article(runtime)
    post_pending(runtime, timing=fake_time.timing)
    row = _row(runtime)
    assert (row.status, row.error_kind) == (PostStatus.RETRY, FailureKind.TRANSIENT)
    assert row.last_error == "500 An unknown error occurred (code 1, fbtrace_id AbC1)"
    fake_time.current = row.next_attempt_at or fake_time.current
    post_pending(runtime, timing=fake_time.timing)
    row = _row(runtime)
    assert (row.status, row.remote_id, row.attempts) == (PostStatus.POSTED, "3399", 2)


def test_threads_revoked_token_stops_the_channel(
    make_runtime: Callable[[str], Runtime], httpserver: HTTPServer, fake_time: FakeTime
) -> None:
    httpserver.expect_request("/v1.0/4455/threads", method="POST").respond_with_response(
        _graph_error(
            190, "Error validating access token: The user has not authorized application.", subcode=458
        )
    )
    runtime = make_runtime(_threads(httpserver))
    now = datetime.now(UTC)
    _store_article(runtime, _article("one", published_at=now - timedelta(hours=2)))
    _store_article(runtime, _article("two", published_at=now - timedelta(hours=1)))
    post_pending(runtime, timing=fake_time.timing)
    with runtime.store.connect() as conn:
        (row,) = records.list_records(conn)  # the second article was not tried
    assert (row.status, row.error_kind) == (PostStatus.FAILED, FailureKind.AUTH)
    assert "(code 190, subcode 458, fbtrace_id AbC1)" in (row.last_error or "")


# --- classification and usage headers ------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "status", "kind", "waits"),
    [
        (4, 400, ErrorKind.RETRY, True),
        (17, 400, ErrorKind.RETRY, True),
        (32, 400, ErrorKind.RETRY, True),
        (613, 400, ErrorKind.RETRY, True),
        (80001, 400, ErrorKind.RETRY, True),
        (80002, 400, ErrorKind.RETRY, True),
        (None, 429, ErrorKind.RETRY, True),
        (1, 500, ErrorKind.RETRY, False),
        (2, 503, ErrorKind.RETRY, False),
        (None, 502, ErrorKind.RETRY, False),
        (190, 400, ErrorKind.AUTH, False),
        (102, 400, ErrorKind.AUTH, False),
        (10, 400, ErrorKind.AUTH, False),
        (200, 403, ErrorKind.AUTH, False),
        (299, 400, ErrorKind.AUTH, False),
        (None, 401, ErrorKind.AUTH, False),
        (100, 400, ErrorKind.BAD_REQUEST, False),
        (368, 400, ErrorKind.BAD_REQUEST, False),
        (9004, 400, ErrorKind.BAD_REQUEST, False),
        (506, 400, ErrorKind.DUPLICATE, False),
    ],
)
def test_graph_codes_map_to_verdicts(code: int | None, status: int, kind: ErrorKind, waits: bool) -> None:
    error = GraphError(status, {"code": code, "message": "m"} if code else {}, "reason", None)
    verdict = classify_graph(error, unstated_wait=900)
    assert verdict is not None and verdict.kind is kind and verdict.status == status
    assert verdict.retry_after == (900 if waits else None)


def test_an_is_transient_flag_retries_an_unlisted_code() -> None:
    error = GraphError(400, {"code": 9007, "is_transient": True, "message": "m"}, "reason", None)
    verdict = classify_graph(error, unstated_wait=900)
    assert verdict is not None and verdict.kind is ErrorKind.RETRY and verdict.retry_after is None


def test_regain_access_comes_from_any_usage_header_in_minutes() -> None:
    buc = {
        "1122": [{"type": "pages", "call_count": 100, "estimated_time_to_regain_access": 3}],
        "1789": [{"type": "instagram", "call_count": 90, "estimated_time_to_regain_access": 0}],
    }
    assert regain_access_seconds(httpx.Headers({"X-Business-Use-Case-Usage": json.dumps(buc)})) == 180
    page = {"call_count": 100, "total_time": 20, "total_cputime": 20, "estimated_time_to_regain_access": 11}
    assert regain_access_seconds(httpx.Headers({"X-Page-Usage": json.dumps(page)})) == 660
    app_usage = {"call_count": 100, "total_time": 20, "total_cputime": 20}
    assert regain_access_seconds(httpx.Headers({"X-App-Usage": json.dumps(app_usage)})) is None
    assert regain_access_seconds(httpx.Headers({"X-App-Usage": "not json", "Retry-After": "30"})) == 30
    assert regain_access_seconds(httpx.Headers()) is None


# --- nashra check ---------------------------------------------------------------------------------


def _check(tmp_path: Path, database_url: str, channels: str) -> tuple[int, dict[str, tuple[str, str]]]:
    """`nashra check` through the CLI: exit code and (status, detail) by part."""
    config = tmp_path / "nashra.toml"
    config.write_text(
        f'[web]\npublic_url = "https://oasis.example/news"\n[database]\nurl = "{database_url}"\n\n{channels}',
        encoding="utf-8",
    )
    result = CliRunner().invoke(app, ["--config", str(config), "--quiet", "check", "--format", "json"])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    checks = json.loads(result.stdout)["checks"]
    return result.exit_code, {c["part"]: (c["status"], c["detail"]) for c in checks}


@pytest.mark.sqlite_only
@pytest.mark.usefixtures("restore_logging")
def test_check_reads_each_account_with_its_token(
    tmp_path: Path, database_url: str, httpserver: HTTPServer
) -> None:
    httpserver.expect_request(f"/{V}/1122", method="GET").respond_with_json(
        {"id": "1122", "name": "أخبار الواحة"}
    )
    httpserver.expect_request(f"/{V}/1789", method="GET").respond_with_json(
        {"id": "1789", "username": "oasis.news"}
    )
    httpserver.expect_request("/v1.0/4455", method="GET").respond_with_json(
        {"id": "4455", "username": "oasis"}
    )
    base = _base(httpserver)
    code, parts = _check(
        tmp_path, database_url, _facebook(httpserver) + _instagram(httpserver) + _threads(httpserver)
    )
    assert code == 0, parts
    assert parts["channel fb (facebook)"] == (
        "ok",
        f"GET /{V}/1122?fields=id,name at {base}: Page أخبار الواحة (1122)",
    )
    assert parts["channel ig (instagram)"] == (
        "ok",
        f"GET /{V}/1789?fields=id,username at {base}: @oasis.news",
    )
    assert parts["channel th (threads)"] == ("ok", f"GET /v1.0/4455?fields=id,username at {base}: @oasis")
    assert sorted(_calls(httpserver)) == sorted(
        [
            ("GET", f"/{V}/1122", "fields=id%2Cname"),
            ("GET", f"/{V}/1789", "fields=id%2Cusername"),
            ("GET", "/v1.0/4455", "fields=id%2Cusername"),
        ]
    )
    _assert_bearer(httpserver)


@pytest.mark.sqlite_only
@pytest.mark.usefixtures("restore_logging")
def test_check_fails_on_an_expired_token_and_on_a_missing_one(
    tmp_path: Path, database_url: str, httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    httpserver.expect_request(f"/{V}/1122", method="GET").respond_with_response(
        _graph_error(190, "Error validating access token: Session has expired", subcode=463)
    )
    monkeypatch.delenv("THREADS_ACCESS_TOKEN")
    code, parts = _check(tmp_path, database_url, _facebook(httpserver) + _threads(httpserver))
    assert code == 1
    assert parts["channel fb (facebook)"] == (
        "FAIL",
        (
            f"GET /{V}/1122?fields=id,name: 400 Error validating access token: Session has expired "
            "(code 190, subcode 463, fbtrace_id AbC1)"
        ),
    )
    status, detail = parts["channel th (threads)"]
    assert status == "FAIL" and "environment variable THREADS_ACCESS_TOKEN is not set" in detail
    assert TOKEN not in json.dumps(parts)
