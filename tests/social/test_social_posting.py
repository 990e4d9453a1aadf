"""The once-only posting loop against fake platforms, on SQLite and PostgreSQL.

Time is a fake clock the test moves: the loop never sleeps, a retry waits for a later run.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import responses
from pytest_httpserver import HTTPServer
from social_helpers import FakeTime
from sqlalchemy import select
from werkzeug import Request, Response

from loopback import wait_until
from nashra.ingest import ingest
from nashra.runtime import Runtime
from nashra.social.open_posts import open_posts
from nashra.social.post import post_pending
from nashra.store import posts as records
from nashra.store.articles import list_articles, upsert_articles
from nashra.store.posts import PostStatus

EVERYTHING = "max_age_hours = 1000000\n"  # the demo articles are days old


def _telegram_ok(message_id: int) -> Response:
    body = {"ok": True, "result": {"message_id": message_id, "chat": {"id": -100, "username": "nashra_news"}}}
    return Response(json.dumps(body), status=200, content_type="application/json")


def _telegram_error(status: int, description: str, retry_after: int | None = None) -> Response:
    body: dict[str, object] = {"ok": False, "error_code": status, "description": description}
    if retry_after is not None:
        body["parameters"] = {"retry_after": retry_after}
    return Response(json.dumps(body), status=status, content_type="application/json")


def _sequence(*responses_: Response | Callable[[], Response]) -> Callable[[Request], Response]:
    """A handler answering with each response in turn, then success for ever."""
    queue = list(responses_)
    counter = iter(range(1000, 100000))

    def handle(_request: Request) -> Response:
        if queue:
            item = queue.pop(0)
            return item if isinstance(item, Response) else item()
        return _telegram_ok(next(counter))

    return handle


def _telegram_toml(httpserver: HTTPServer, extra: str = "") -> str:
    return (
        f'[[channels]]\ntype = "telegram"\nname = "tg"\nchat_id = "@nashra_news"\n'
        f'api_base_url = "{httpserver.url_for("/").rstrip("/")}"\n{EVERYTHING}{extra}'
    )


def _rows(runtime: Runtime, channel: str | None = None) -> list[records.PostRecord]:
    with runtime.store.connect() as conn:
        return records.list_records(conn, channel=channel)


def test_demo_is_posted_once_per_channel_and_a_second_run_posts_nothing(
    make_runtime: Callable[[str], Runtime],
    httpserver: HTTPServer,
    fake_time: FakeTime,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123:secret")
    monkeypatch.setenv("HOOK_SECRET", "s3cret")
    httpserver.expect_request("/bot123:secret/sendPhoto", method="POST").respond_with_handler(_sequence())
    httpserver.expect_request("/bot123:secret/sendMessage", method="POST").respond_with_handler(_sequence())
    httpserver.expect_request("/hook", method="POST").respond_with_data("ok")
    runtime = make_runtime(
        f'[[channels]]\ntype = "file"\nname = "archive"\n{EVERYTHING}\n'
        + _telegram_toml(httpserver)
        + f'\n[[channels]]\ntype = "webhook"\nname = "slack"\nurl = "{httpserver.url_for("/hook")}"\n'
        f'secret_env = "HOOK_SECRET"\n{EVERYTHING}'
    )
    ingested = ingest(runtime)
    assert ingested.counts["new"] == 10

    first = post_pending(runtime, timing=fake_time.timing)
    assert first.problems == []
    posted = [(r.channel, r.article_id) for r in first.results if r.status == PostStatus.POSTED]
    assert len(posted) == len(set(posted)) == 30
    assert len(httpserver.log) == 20  # telegram and webhook; the file channel writes locally
    lines = (tmp_path / "outbox" / "social" / "archive.jsonl").read_text(encoding="utf-8").splitlines()
    assert sorted(json.loads(line)["article_id"] for line in lines) == sorted(
        a for c, a in posted if c == "archive"
    )
    rows = _rows(runtime)
    assert len(rows) == 30 and {r.status for r in rows} == {PostStatus.POSTED}
    assert all(
        r.remote_url and r.remote_url.startswith("https://t.me/nashra_news/")
        for r in rows
        if r.channel == "tg"
    )

    second = post_pending(runtime, timing=fake_time.timing)
    assert second.results == [] and len(httpserver.log) == 20
    assert (
        len((tmp_path / "outbox" / "social" / "archive.jsonl").read_text(encoding="utf-8").splitlines()) == 10
    )


def _one_article_runtime(make_runtime: Callable[[str], Runtime], toml: str) -> Runtime:
    """A runtime holding a single (own) article, so each scenario makes exactly one post."""
    from social_helpers import make_article

    runtime = make_runtime(toml)
    article = make_article("scenario", published_at=datetime.now(UTC) - timedelta(hours=1)).article
    with runtime.store.begin() as conn:
        upsert_articles(conn, [article], now=datetime.now(UTC))
    return runtime


def test_429_is_retried_by_the_first_run_after_telegrams_retry_after(
    make_runtime: Callable[[str], Runtime],
    httpserver: HTTPServer,
    fake_time: FakeTime,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123:secret")
    httpserver.expect_request("/bot123:secret/sendMessage").respond_with_handler(
        _sequence(_telegram_error(429, "Too Many Requests: retry after 37", retry_after=37))
    )
    runtime = _one_article_runtime(make_runtime, _telegram_toml(httpserver))
    run = post_pending(runtime, timing=fake_time.timing)
    assert [r.status for r in run.results] == [PostStatus.RETRY]
    (row,) = _rows(runtime)
    assert row.next_attempt_at == fake_time.current + timedelta(seconds=37)
    fake_time.current += timedelta(seconds=36)
    assert post_pending(runtime, timing=fake_time.timing).results == [] and len(httpserver.log) == 1
    fake_time.current += timedelta(seconds=1)
    run = post_pending(runtime, timing=fake_time.timing)
    assert [r.status for r in run.results] == [PostStatus.POSTED] and len(httpserver.log) == 2
    (row,) = _rows(runtime)
    assert row.status == PostStatus.POSTED and row.attempts == 2 and row.remote_id == "1000"


def test_5xx_backs_off_across_runs_and_posts_once(
    make_runtime: Callable[[str], Runtime],
    httpserver: HTTPServer,
    fake_time: FakeTime,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123:secret")
    httpserver.expect_request("/bot123:secret/sendMessage").respond_with_handler(
        _sequence(_telegram_error(500, "Internal Server Error"), _telegram_error(502, "Bad Gateway"))
    )
    runtime = _one_article_runtime(make_runtime, _telegram_toml(httpserver))
    waits = []
    for _ in range(2):
        post_pending(runtime, timing=fake_time.timing)
        (row,) = _rows(runtime)
        assert row.status == PostStatus.RETRY and row.next_attempt_at is not None
        waits.append((row.next_attempt_at - fake_time.current).total_seconds())
        fake_time.current = row.next_attempt_at
    assert waits == [60.0, 120.0]  # exponential backoff, one attempt per run
    post_pending(runtime, timing=fake_time.timing)
    (row,) = _rows(runtime)
    assert row.status == PostStatus.POSTED and row.attempts == 3 and len(httpserver.log) == 3


def test_persistent_5xx_is_tried_once_per_run_then_given_up_as_failed(
    make_runtime: Callable[[str], Runtime],
    httpserver: HTTPServer,
    fake_time: FakeTime,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123:secret")
    httpserver.expect_request("/bot123:secret/sendMessage").respond_with_data(
        json.dumps({"ok": False, "error_code": 503, "description": "Service Unavailable"}), status=503
    )
    runtime = _one_article_runtime(
        make_runtime, _telegram_toml(httpserver, "max_attempts = 3\nmax_wait_seconds = 90\n")
    )
    post_pending(runtime, timing=fake_time.timing)
    (row,) = _rows(runtime)
    assert row.status == PostStatus.RETRY and row.attempts == 1 and len(httpserver.log) == 1
    assert row.next_attempt_at is not None and "Service Unavailable" in (row.last_error or "")
    post_pending(runtime, timing=fake_time.timing)  # not due yet
    assert len(httpserver.log) == 1
    with runtime.store.connect() as conn:
        (waiting,) = open_posts(conn, fake_time.current)
    assert waiting.state == "retrying after attempt 1: 503 Service Unavailable"
    assert waiting.action == f"nothing: tried again by the first run after {row.next_attempt_at.isoformat()}"
    fake_time.current = row.next_attempt_at
    post_pending(runtime, timing=fake_time.timing)
    (row,) = _rows(runtime)
    assert row.attempts == 2 and row.next_attempt_at == fake_time.current + timedelta(seconds=90)  # capped
    fake_time.current = row.next_attempt_at
    post_pending(runtime, timing=fake_time.timing)
    (row,) = _rows(runtime)
    assert row.status == PostStatus.FAILED and row.attempts == 3 and len(httpserver.log) == 3
    assert row.last_error == "gave up after 3 attempts: 503 Service Unavailable"


def test_permanent_403_is_recorded_with_the_message_and_not_retried(
    make_runtime: Callable[[str], Runtime],
    httpserver: HTTPServer,
    fake_time: FakeTime,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123:secret")
    httpserver.expect_request("/bot123:secret/sendMessage").respond_with_handler(
        _sequence(_telegram_error(403, "Forbidden: bot is not a member of the channel chat"))
    )
    runtime = _one_article_runtime(make_runtime, _telegram_toml(httpserver))
    run = post_pending(runtime, timing=fake_time.timing)
    assert [r.status for r in run.results] == [PostStatus.FAILED]
    (row,) = _rows(runtime)
    assert row.status == PostStatus.FAILED and row.attempts == 1
    assert row.last_error == "403 Forbidden: bot is not a member of the channel chat"
    post_pending(runtime, timing=fake_time.timing)
    assert len(httpserver.log) == 1


def test_timeout_after_sending_to_telegram_is_unknown_for_the_operator(
    make_runtime: Callable[[str], Runtime],
    httpserver: HTTPServer,
    fake_time: FakeTime,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123:secret")

    answer = threading.Event()  # the platform answers the first request only after the client gave up

    def slow() -> Response:
        answer.wait(30)
        return _telegram_ok(1)

    httpserver.expect_request("/bot123:secret/sendMessage").respond_with_handler(_sequence(slow))
    runtime = _one_article_runtime(make_runtime, _telegram_toml(httpserver, "timeout_seconds = 0.2\n"))
    run = post_pending(runtime, timing=fake_time.timing)
    assert [r.status for r in run.results] == [PostStatus.UNKNOWN]
    post_pending(runtime, timing=fake_time.timing)
    answer.set()
    wait_until(lambda: len(httpserver.log) == 1, "the slow answer to be logged")
    assert len(httpserver.log) == 1  # never repeated blindly
    (row,) = _rows(runtime)
    with runtime.store.begin() as conn:
        assert records.resolve(conn, row.id, posted=False, now=fake_time.now())
    post_pending(runtime, timing=fake_time.timing)
    assert _rows(runtime)[0].status == PostStatus.POSTED
    assert len(httpserver.log) == 2


def test_quiet_hours_and_spacing_hold_posts(
    make_runtime: Callable[[str], Runtime], fake_time: FakeTime, tmp_path: Path
) -> None:
    runtime = make_runtime(
        '[site]\ntimezone = "Africa/Algiers"\n[[channels]]\ntype = "file"\nname = "f"\n'
        f'quiet_hours = "23:00-07:00"\nmin_spacing_minutes = 30\n{EVERYTHING}'
    )
    ingest(runtime)
    fake_time.current = datetime(2026, 11, 29, 22, 30, tzinfo=UTC)  # 23:30 in Algiers (UTC+1)
    run = post_pending(runtime, timing=fake_time.timing)
    assert {r.status for r in run.results} == {"held"} and _rows(runtime) == []

    fake_time.current = datetime(2026, 11, 30, 7, 0, tzinfo=UTC)  # 08:00 local
    run = post_pending(runtime, timing=fake_time.timing)
    assert [r.status for r in run.results].count(PostStatus.POSTED) == 1
    fake_time.current += timedelta(minutes=10)
    post_pending(runtime, timing=fake_time.timing)
    assert len(_rows(runtime)) == 1
    fake_time.current += timedelta(minutes=21)
    post_pending(runtime, timing=fake_time.timing)
    assert len(_rows(runtime)) == 2


def test_edits_are_reposted_only_when_configured(
    make_runtime: Callable[[str], Runtime], fake_time: FakeTime
) -> None:
    from dataclasses import replace

    runtime = make_runtime(
        f'[[channels]]\ntype = "file"\nname = "keep"\n{EVERYTHING}'
        f'[[channels]]\ntype = "file"\nname = "again"\nrepost_on_edit = true\n{EVERYTHING}'
    )
    ingest(runtime)
    post_pending(runtime, timing=fake_time.timing)
    with runtime.store.begin() as conn:
        article = list_articles(conn, limit=1)[0].article
        upsert_articles(conn, [replace(article, lead="تحديث: " + article.lead)], now=datetime.now(UTC))
    run = post_pending(runtime, timing=fake_time.timing)
    assert [(r.channel, r.status) for r in run.results] == [("again", PostStatus.POSTED)]
    again = {r.article_id: r for r in _rows(runtime, "again")}
    assert again[run.results[0].article_id].article_version == 2
    assert run.results[0].post is not None and run.results[0].post.text.split("\n")[2].startswith("تحديث: ")


def test_old_articles_filters_and_a_crashed_attempt(
    make_runtime: Callable[[str], Runtime],
    fake_time: FakeTime,
    httpserver: HTTPServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123:secret")
    httpserver.expect_request("/bot123:secret/sendPhoto").respond_with_handler(_sequence())
    runtime = make_runtime(
        '[[channels]]\ntype = "file"\nname = "recent"\n'  # default max_age_hours = 48: not the archive
        f'[[channels]]\ntype = "file"\nname = "sport"\nsections = ["رياضة"]\n{EVERYTHING}'
        + _telegram_toml(httpserver, 'tags = ["الانتخابات المحلية"]\n')
    )
    ingest(runtime)
    with runtime.store.connect() as conn:
        stored = list_articles(conn)
    sport = {a.id for a in stored if a.article.section == "رياضة"}
    elections = {a.id for a in stored if "الانتخابات المحلية" in a.article.tags}
    assert sport and elections
    # a previous process claimed one telegram post and died during the call
    victim = min(elections)
    with runtime.store.begin() as conn:
        records.claim_new(
            conn,
            article_id=victim,
            channel="tg",
            channel_type="telegram",
            version=1,
            text="…",
            now=fake_time.now() - timedelta(hours=1),
        )
    post_pending(runtime, timing=fake_time.timing)
    recent = {a.id for a in stored if a.article.published_at >= fake_time.now() - timedelta(hours=48)}
    assert len(recent) < len(stored)
    assert {r.article_id for r in _rows(runtime, "recent")} == recent
    assert {r.article_id for r in _rows(runtime, "sport")} == sport
    tg = {r.article_id: r.status for r in _rows(runtime, "tg")}
    assert tg == {a: PostStatus.UNKNOWN if a == victim else PostStatus.POSTED for a in elections}
    assert len(httpserver.log) == len(elections) - 1


@responses.activate
def test_x_429_is_retried_by_the_first_run_after_the_reset_header(
    make_runtime: Callable[[str], Runtime], fake_time: FakeTime, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("X_CONSUMER_KEY", "X_CONSUMER_SECRET", "X_ACCESS_TOKEN", "X_ACCESS_TOKEN_SECRET"):
        monkeypatch.setenv(name, name.lower())
    reset = int(fake_time.now().timestamp()) + 120
    responses.post(
        "https://api.twitter.com/2/tweets",
        status=429,
        json={"title": "Too Many Requests"},
        headers={"x-rate-limit-reset": str(reset), "x-rate-limit-remaining": "0"},
    )
    responses.post("https://api.twitter.com/2/tweets", status=201, json={"data": {"id": "1861", "text": "…"}})
    runtime = _one_article_runtime(
        make_runtime, '[[channels]]\ntype = "x"\nname = "x"\nattach_image = false\n'
    )
    post_pending(runtime, timing=fake_time.timing)
    (row,) = _rows(runtime)
    assert row.status == PostStatus.RETRY and row.next_attempt_at == fake_time.current + timedelta(
        seconds=120
    )
    fake_time.current = row.next_attempt_at
    post_pending(runtime, timing=fake_time.timing)
    (row,) = _rows(runtime)
    assert row.status == PostStatus.POSTED and row.remote_url == "https://x.com/i/web/status/1861"


@responses.activate
def test_x_duplicate_content_counts_as_posted_and_other_403_fails(
    make_runtime: Callable[[str], Runtime], fake_time: FakeTime, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("X_CONSUMER_KEY", "X_CONSUMER_SECRET", "X_ACCESS_TOKEN", "X_ACCESS_TOKEN_SECRET"):
        monkeypatch.setenv(name, name.lower())
    responses.post(
        "https://api.twitter.com/2/tweets",
        status=403,
        json={
            "detail": "You are not allowed to create a Tweet with duplicate content.",
            "type": "about:blank",
            "title": "Forbidden",
            "status": 403,
        },
    )
    runtime = _one_article_runtime(
        make_runtime, '[[channels]]\ntype = "x"\nname = "x"\n[[channels]]\ntype = "x"\nname = "x2"\n'
    )
    responses.post(
        "https://api.twitter.com/2/tweets",
        status=403,
        json={
            "detail": "You are not permitted to perform this action.",
            "type": "about:blank",
            "title": "Forbidden",
            "status": 403,
        },
    )
    post_pending(runtime, timing=fake_time.timing)
    rows = {r.channel: r for r in _rows(runtime)}
    assert rows["x"].status == PostStatus.POSTED and rows["x"].remote_id is None
    assert rows["x2"].status == PostStatus.FAILED and "not permitted" in (rows["x2"].last_error or "")
    assert len(responses.calls) == 2


def test_missing_credentials_hold_the_channel_and_name_the_variable(
    make_runtime: Callable[[str], Runtime],
    fake_time: FakeTime,
    monkeypatch: pytest.MonkeyPatch,
    httpserver: HTTPServer,
) -> None:
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    runtime = _one_article_runtime(make_runtime, _telegram_toml(httpserver))
    run = post_pending(runtime, timing=fake_time.timing)
    assert [r.held for r in run.results] == ["environment variable(s) not set: TELEGRAM_BOT_TOKEN"]
    assert _rows(runtime) == [] and httpserver.log == []  # nothing claimed, nothing burnt


def test_claiming_is_once_only_on_both_databases(make_runtime: Callable[[str], Runtime]) -> None:
    runtime = make_runtime("")
    now = datetime.now(UTC)
    with runtime.store.begin() as conn:
        first = records.claim_new(
            conn, article_id="a", channel="c", channel_type="file", version=1, text="t", now=now
        )
        again = records.claim_new(
            conn, article_id="a", channel="c", channel_type="file", version=1, text="t", now=now
        )
        other = records.claim_new(
            conn, article_id="a", channel="d", channel_type="file", version=1, text="t", now=now
        )
    assert first is not None and again is None and other is not None
    with runtime.store.begin() as conn:
        records.finish(conn, first, status=PostStatus.RETRY, now=now, attempts=1, error="503")
        (row,) = records.list_records(conn, channel="c")
        assert records.reclaim(conn, row, version=1, text="t", now=now)
        assert not records.reclaim(conn, row, version=1, text="t", now=now)  # the status moved on
        record = records.get_record(conn, first)
        assert record is not None and record.status == PostStatus.PUBLISHING
        records.finish(
            conn, first, status=PostStatus.POSTED, now=now, attempts=2, remote_id="9", remote_url="u"
        )
        assert records.last_posted_at(conn, "c") == now.replace(microsecond=now.microsecond)
        assert conn.execute(select(records.social_posts.c.remote_id)).scalars().all().count("9") == 1


def _two_articles_runtime(make_runtime: Callable[[str], Runtime], toml: str) -> Runtime:
    from social_helpers import make_article

    runtime = make_runtime(toml)
    now = datetime.now(UTC)
    with runtime.store.begin() as conn:
        upsert_articles(
            conn,
            [
                make_article("first", published_at=now - timedelta(hours=2)).article,
                make_article("second", published_at=now - timedelta(hours=1)).article,
            ],
            now=now,
        )
    return runtime


def test_refused_credentials_pause_the_channel_until_the_operator_acts(
    make_runtime: Callable[[str], Runtime],
    httpserver: HTTPServer,
    fake_time: FakeTime,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123:secret")
    httpserver.expect_request("/bot123:secret/sendMessage").respond_with_handler(
        _sequence(_telegram_error(401, "Unauthorized"))
    )
    runtime = _two_articles_runtime(make_runtime, _telegram_toml(httpserver))
    run = post_pending(runtime, timing=fake_time.timing)
    assert [r.status for r in run.results] == [PostStatus.FAILED]  # the second article is not even tried
    fake_time.current += timedelta(minutes=30)
    run = post_pending(runtime, timing=fake_time.timing)
    assert {r.status for r in run.results} == {"held"} and "credentials refused (401 Unauthorized)" in (
        run.results[0].held or ""
    )
    assert len(httpserver.log) == 1
    (refused,) = [r for r in _rows(runtime) if r.status == PostStatus.FAILED]
    with runtime.store.begin() as conn:  # the operator fixed the token and asks for the post again
        assert records.resolve(conn, refused.id, posted=False, now=fake_time.now())
    post_pending(runtime, timing=fake_time.timing)
    assert {r.status for r in _rows(runtime)} == {PostStatus.POSTED} and len(httpserver.log) == 3


def test_a_long_rate_limit_holds_the_channel_until_the_reset(
    make_runtime: Callable[[str], Runtime],
    httpserver: HTTPServer,
    fake_time: FakeTime,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123:secret")
    httpserver.expect_request("/bot123:secret/sendMessage").respond_with_handler(
        _sequence(_telegram_error(429, "Too Many Requests: retry after 3600", retry_after=3600))
    )
    runtime = _two_articles_runtime(make_runtime, _telegram_toml(httpserver))
    run = post_pending(runtime, timing=fake_time.timing)
    assert [r.status for r in run.results] == [PostStatus.RETRY]
    (waiting,) = _rows(runtime)
    assert waiting.next_attempt_at == fake_time.now() + timedelta(seconds=3600)
    fake_time.current += timedelta(minutes=59)
    run = post_pending(runtime, timing=fake_time.timing)
    assert [r.held for r in run.results] == [f"rate limited until {waiting.next_attempt_at.isoformat()}"]
    assert len(httpserver.log) == 1
    fake_time.current += timedelta(minutes=2)
    post_pending(runtime, timing=fake_time.timing)
    assert [r.status for r in _rows(runtime)] == [PostStatus.POSTED, PostStatus.POSTED] and len(
        httpserver.log
    ) == 3


def test_the_attempt_is_committed_before_the_platform_is_called(
    make_runtime: Callable[[str], Runtime], fake_time: FakeTime, monkeypatch: pytest.MonkeyPatch
) -> None:
    from nashra.social.channels.file import FileChannel

    runtime = _one_article_runtime(make_runtime, '[[channels]]\ntype = "file"\nname = "f"\n')
    seen: list[str] = []
    original = FileChannel.publish

    def publish(self: FileChannel, post):  # type: ignore[no-untyped-def]
        with runtime.store.engine.connect() as other:  # another connection sees only committed rows
            (row,) = records.list_records(other, channel="f")
        seen.append(row.status)
        assert row.text == post.text
        return original(self, post)

    monkeypatch.setattr(FileChannel, "publish", publish)
    post_pending(runtime, timing=fake_time.timing)
    assert seen == [PostStatus.PUBLISHING] and _rows(runtime)[0].status == PostStatus.POSTED
