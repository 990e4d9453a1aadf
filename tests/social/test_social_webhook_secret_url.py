"""A webhook URL is a credential (whoever has a Slack or Discord hook URL can post as the
newsroom): it can come from an environment variable, and it never reaches a log or a report."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from pytest_httpserver import HTTPServer
from social_helpers import FakeTime, make_article

from nashra.config import Settings
from nashra.errors import ConfigError
from nashra.runtime import Runtime
from nashra.social.post import post_pending
from nashra.social.protocol import ChannelContext
from nashra.social.registry import build_channels
from nashra.store import posts as records
from nashra.store.articles import upsert_articles
from nashra.store.posts import PostStatus

HOOK_PATH = "/services/T0NASHRA/B0DESK/xoxb-very-secret-token"


class Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def nashra_log() -> Iterator[Records]:
    """Every record of the `nashra` loggers, whatever an earlier CLI test did to propagation."""
    handler = Records()
    logger = logging.getLogger("nashra")
    saved = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    yield handler
    logger.removeHandler(handler)
    logger.setLevel(saved)


def _runtime(make_runtime: Callable[[str], Runtime], toml: str) -> Runtime:
    runtime = make_runtime(toml)
    with runtime.store.begin() as conn:
        upsert_articles(
            conn,
            [make_article("w1", published_at=datetime.now(UTC) - timedelta(hours=2)).article],
            now=datetime.now(UTC),
        )
    return runtime


def test_url_env_posts_to_the_url_in_the_environment_and_never_logs_it(
    make_runtime: Callable[[str], Runtime],
    httpserver: HTTPServer,
    fake_time: FakeTime,
    monkeypatch: pytest.MonkeyPatch,
    nashra_log: Records,
) -> None:
    monkeypatch.setenv("NEWSROOM_HOOK", httpserver.url_for(HOOK_PATH))
    httpserver.expect_request(HOOK_PATH, method="POST").respond_with_data("", status=204)
    runtime = _runtime(
        make_runtime, '[[channels]]\ntype = "webhook"\nname = "desk"\nurl_env = "NEWSROOM_HOOK"\n'
    )
    run = post_pending(runtime, timing=fake_time.timing)
    assert len(httpserver.log) == 1
    with runtime.store.connect() as conn:
        (row,) = records.list_records(conn)
    assert row.status == PostStatus.POSTED
    logged = "\n".join(f"{r.getMessage()} {r.__dict__}" for r in nashra_log.records)
    assert nashra_log.records and "very-secret" not in logged and "very-secret" not in repr(run)


def test_a_refused_post_reports_without_the_url(
    make_runtime: Callable[[str], Runtime],
    httpserver: HTTPServer,
    fake_time: FakeTime,
    monkeypatch: pytest.MonkeyPatch,
    nashra_log: Records,
) -> None:
    monkeypatch.setenv("NEWSROOM_HOOK", httpserver.url_for(HOOK_PATH))
    httpserver.expect_request(HOOK_PATH, method="POST").respond_with_data("invalid_token", status=403)
    runtime = _runtime(
        make_runtime, '[[channels]]\ntype = "webhook"\nname = "desk"\nurl_env = "NEWSROOM_HOOK"\n'
    )
    run = post_pending(runtime, timing=fake_time.timing)
    assert len(httpserver.log) == 1
    with runtime.store.connect() as conn:
        (row,) = records.list_records(conn)
    assert row.status != PostStatus.POSTED
    logged = "\n".join(f"{r.getMessage()} {r.__dict__}" for r in nashra_log.records)
    assert "invalid_token" in logged + repr(run) + repr(row)  # the refusal is reported...
    assert "very-secret" not in logged + repr(run) + repr(row)  # ...but not where it was sent


def test_an_unset_url_env_holds_the_channel_and_names_the_variable(
    make_runtime: Callable[[str], Runtime],
    httpserver: HTTPServer,
    fake_time: FakeTime,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("NEWSROOM_HOOK", raising=False)
    runtime = _runtime(
        make_runtime, '[[channels]]\ntype = "webhook"\nname = "desk"\nurl_env = "NEWSROOM_HOOK"\n'
    )
    run = post_pending(runtime, timing=fake_time.timing)
    assert [r.held for r in run.results] == ["environment variable(s) not set: NEWSROOM_HOOK"]
    assert httpserver.log == []


def test_a_url_env_that_is_not_an_http_url_is_a_config_error_without_its_value(
    settings_from: Callable[[str], Settings], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEWSROOM_HOOK", "hooks.example/very-secret")
    settings = settings_from('[[channels]]\ntype = "webhook"\nname = "desk"\nurl_env = "NEWSROOM_HOOK"\n')
    with httpx.Client() as client:
        (channel,) = build_channels(settings, ChannelContext(settings, client))
        with pytest.raises(ConfigError) as caught:
            channel.publish(channel.render(make_article("w2")))
    (problem,) = caught.value.problems
    assert "NEWSROOM_HOOK" in problem and "http" in problem and "very-secret" not in problem


@pytest.mark.parametrize(
    ("keys", "line"),
    [
        (
            'url = "https://hooks.example/x"\nurl_env = "NEWSROOM_HOOK"\n',
            "exactly one of `url` and `url_env`",
        ),
        ("", "exactly one of `url` and `url_env`"),
    ],
)
def test_exactly_one_of_url_and_url_env(
    settings_from: Callable[[str], Settings], keys: str, line: str
) -> None:
    settings = settings_from(f'[[channels]]\ntype = "webhook"\nname = "desk"\n{keys}')
    with httpx.Client() as client, pytest.raises(ConfigError) as caught:
        build_channels(settings, ChannelContext(settings, client))
    assert any(line in p for p in caught.value.problems), caught.value.problems
