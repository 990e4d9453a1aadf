"""Click counting in the rendered digest: with it off every story link goes straight to the story (the
bytes of today's render); with it on, every link to a story — title, image, "read more", in the HTML
and in the text part — goes through the signed redirect at web.public_url, and per-subscriber
records add a placeholder the mail layer fills per recipient and every public copy drops."""

from __future__ import annotations

import re
from collections.abc import Callable

import lxml.html
import pytest
from digest_helpers import DEMO_NOW

from nashra.digest import RenderedDigest, find_digest, prepare_digest
from nashra.digest.archive import public_copy
from nashra.digest.clicks import ClickTokens
from nashra.digest.placeholders import CLICK_READER, UNSUBSCRIBE_URL
from nashra.errors import ConfigError
from nashra.runtime import Runtime

WEB = '\n[web]\npublic_url = "https://oasis.example/news"\n'
CLICKS = "count_clicks = true\n"
PER_SUBSCRIBER = "count_clicks = true\nclicks_per_subscriber = true\n"
REDIRECT = "https://oasis.example/news/c/"

pytestmark = [pytest.mark.sqlite_only, pytest.mark.usefixtures("click_secret")]


@pytest.fixture
def click_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NASHRA_SECRET", "click-test-secret")


def _render(runtime: Runtime) -> RenderedDigest:
    rendered = prepare_digest(runtime, find_digest(runtime.settings, "daily"), now=DEMO_NOW)
    assert rendered is not None
    return rendered


def _story_urls(runtime: Runtime, rendered: RenderedDigest) -> dict[str, str]:
    from nashra.store.articles import get_articles

    with runtime.store.connect() as conn:
        return {a.id: a.article.url for a in get_articles(conn, rendered.article_ids)}


def _hrefs(html: str) -> list[str]:
    return [a.get("href") for a in lxml.html.fromstring(html).iter("a") if a.get("href")]


def test_off_by_default_every_story_link_goes_straight_to_the_story(
    demo_runtime: Callable[[str], Runtime],
) -> None:
    runtime = demo_runtime(WEB)
    rendered = _render(runtime)
    stories = _story_urls(runtime, rendered)
    assert "/c/" not in rendered.html and "/c/" not in rendered.text and CLICK_READER not in rendered.html
    hrefs = _hrefs(rendered.html)
    assert all(url in hrefs for url in stories.values())
    assert all(f"اقرأ المزيد: {url}" in rendered.text for url in stories.values())


def test_on_every_story_link_goes_through_the_signed_redirect(
    demo_runtime: Callable[[str], Runtime],
) -> None:
    off = _render(demo_runtime(WEB))  # the fragment cache holds the plain blocks now
    runtime = demo_runtime(CLICKS + WEB)
    rendered = _render(runtime)
    stories = _story_urls(runtime, rendered)
    assert rendered.article_ids == off.article_ids
    hrefs = _hrefs(rendered.html)
    # No link to a story is left bare, in either part.
    assert not set(stories.values()) & set(hrefs)
    assert not any(url in rendered.text for url in stories.values())
    tokens = ClickTokens.from_settings(runtime.settings)
    tracked = [h for h in hrefs if h.startswith(REDIRECT)]
    read = [tokens.read_link(h.removeprefix(REDIRECT)) for h in tracked]
    assert {(link.digest, link.article_id) for link in read} == {("daily", i) for i in rendered.article_ids}
    # Title and "read more" for every story, the image too where there is one.
    for article_id in rendered.article_ids:
        count = sum(1 for link in read if link.article_id == article_id)
        assert count in (2, 3), (article_id, count)
    text_links = re.findall(r"اقرأ المزيد: (\S+)", rendered.text)
    assert [tokens.read_link(u.removeprefix(REDIRECT)).article_id for u in text_links] == list(
        rendered.article_ids
    )
    # The masthead, archive and unsubscribe links are not stories: untouched.
    assert runtime.settings.site.base_url in hrefs and rendered.archive_url in hrefs
    assert UNSUBSCRIBE_URL in hrefs
    assert CLICK_READER not in rendered.html and CLICK_READER not in rendered.text
    # Off again in the same process: the cached plain blocks come back, byte for byte.
    assert _render(demo_runtime(WEB)).html == off.html


def test_per_subscriber_links_carry_the_reader_placeholder_and_public_copies_drop_it(
    demo_runtime: Callable[[str], Runtime],
) -> None:
    runtime = demo_runtime(PER_SUBSCRIBER + WEB)
    rendered = _render(runtime)
    tracked = [h for h in _hrefs(rendered.html) if h.startswith(REDIRECT)]
    assert tracked and all(h.endswith(CLICK_READER) for h in tracked)
    text_links = re.findall(r"اقرأ المزيد: (\S+)", rendered.text)
    assert text_links and all(u.startswith(REDIRECT) and u.endswith(CLICK_READER) for u in text_links)
    digest = find_digest(runtime.settings, "daily")
    for part in (rendered.html, rendered.text):
        copy = public_copy(runtime.settings, part, digest)
        assert CLICK_READER not in copy and "%%" not in copy
    copied = _hrefs(public_copy(runtime.settings, rendered.html, digest))
    assert [h for h in copied if h.startswith(REDIRECT)] == [h.removesuffix(CLICK_READER) for h in tracked]


def test_per_subscriber_records_need_click_counting(demo_runtime: Callable[[str], Runtime]) -> None:
    with pytest.raises(ConfigError, match="clicks_per_subscriber needs count_clicks"):
        demo_runtime("clicks_per_subscriber = true\n" + WEB)
