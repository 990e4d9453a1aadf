"""Ingest stores one canonical URI per article: links survive Arabic paths, tracking copies are duplicates,
and an undated item keeps the date it was first seen."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from urllib.parse import unquote, urlsplit

from feedmaker import rss, rss_item
from pytest_httpserver import HTTPServer
from twitter_text import extract_urls_with_indices
from werkzeug import Request, Response

from nashra.feeds import build_feeds
from nashra.ingest import ingest
from nashra.model import StoredArticle
from nashra.runtime import Runtime
from nashra.social.protocol import ChannelContext
from nashra.social.registry import build_channels
from nashra.store.articles import list_articles

MakeRuntime = Callable[[str], Runtime]

_X = '[[channels]]\ntype = "x"\nname = "x"\n'


def _stored(runtime: Runtime) -> list[StoredArticle]:
    with runtime.store.connect() as conn:
        return list_articles(conn)


def _x_post(runtime: Runtime, stored: StoredArticle) -> str:
    (channel,) = build_channels(runtime.settings, ChannelContext(runtime.settings, runtime.http))
    return channel.render(stored).text


def _rss_source(url: str) -> str:
    return f'[[sources]]\ntype = "rss"\nname = "wire"\nurl = "{url}"\n'


def test_x_links_the_whole_url_of_an_arabic_path(tmp_path: Path, make_runtime: MakeRuntime) -> None:
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "budget.md").write_text(
        "---\ntitle: البرلمان يصادق على قانون المالية\ndate: 2026-11-20T09:00:00+01:00\n"
        "section: سياسة\n---\nصادق النواب اليوم على القانون بعد نقاش طويل حول الضرائب.\n",
        encoding="utf-8",
    )
    runtime = make_runtime(
        f'[site]\nbase_url = "https://nashra.dz"\n\n[[sources]]\ntype = "folder"\nname = "desk"\n'
        f'path = "{folder}"\n\n{_X}'
    )
    assert ingest(runtime).counts["new"] == 1
    (stored,) = _stored(runtime)
    assert stored.url.isascii()
    assert unquote(urlsplit(stored.url).path) == "/سياسة/budget"
    text = _x_post(runtime, stored)
    found = extract_urls_with_indices(text)
    assert [u["url"] for u in found] == [stored.url]
    start, end = found[0]["indices"]
    assert text[start:end] == stored.url


def test_tracking_copy_is_a_duplicate_and_every_output_uses_the_clean_url(
    httpserver: HTTPServer, make_runtime: MakeRuntime
) -> None:
    clean = "https://news.dz/politics/1"
    item = rss_item(1).replace("news.example", "news.dz")
    tracked = item.replace(f"<link>{clean}</link>", f"<link>{clean}?utm_source=x&amp;utm_medium=y</link>")
    copy = item.replace("news-1</guid>", "news-1-b</guid>").replace(
        f"<link>{clean}</link>", "<link>https://NEWS.dz:443/politics/1?fbclid=abc#top</link>"
    )
    assert tracked != item and copy != item
    feed = rss([tracked, copy])
    httpserver.expect_request("/feed.xml").respond_with_data(feed, content_type="application/rss+xml")
    runtime = make_runtime(_rss_source(httpserver.url_for("/feed.xml")) + _X)
    report = ingest(runtime)
    assert (report.counts["new"], report.counts["duplicates"]) == (1, 1)
    (stored,) = _stored(runtime)
    assert stored.url == clean
    assert clean in _x_post(runtime, stored)
    result = build_feeds(runtime)
    assert result.written
    for relative in result.written:
        data = (result.out_dir / relative).read_text(encoding="utf-8")
        assert "utm_" not in data and "fbclid" not in data
        assert clean in data


def test_atom_rel_canonical_wins_over_a_tracking_link(
    httpserver: HTTPServer, make_runtime: MakeRuntime
) -> None:
    atom = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>وكالة</title><id>tag:news.dz,2026:feed</id>
<updated>2026-11-20T08:00:00Z</updated>
<entry><title>خبر عاجل</title><id>tag:news.dz,2026:1</id><updated>2026-11-20T08:00:00Z</updated>
<link href="https://news.dz/r?utm_campaign=feed&amp;id=1"/>
<link rel="canonical" href="https://news.dz/اقتصاد/الميناء"/>
<summary>ملخص</summary></entry></feed>"""
    httpserver.expect_request("/atom.xml").respond_with_data(atom, content_type="application/atom+xml")
    runtime = make_runtime(_rss_source(httpserver.url_for("/atom.xml")))
    ingest(runtime)
    (stored,) = _stored(runtime)
    assert (
        stored.url
        == "https://news.dz/%D8%A7%D9%82%D8%AA%D8%B5%D8%A7%D8%AF/%D8%A7%D9%84%D9%85%D9%8A%D9%86%D8%A7%D8%A1"
    )


def _undated(n: int) -> str:
    item = rss_item(n)
    start = item.index("<pubDate>")
    return item[:start] + item[item.index("</pubDate>") + len("</pubDate>") :]


def test_undated_item_keeps_its_first_seen_date(httpserver: HTTPServer, make_runtime: MakeRuntime) -> None:
    versions = [
        rss([_undated(1), rss_item(2)]),
        # New bytes (a rebuilt channel), the same items: nothing a reader sees has changed.
        rss([_undated(1), rss_item(2)]).replace(
            "<description>اختبار</description>", "<description>v2</description>"
        ),
    ]
    served: list[int] = []

    def handler(_request: Request) -> Response:
        body = versions[min(len(served), len(versions) - 1)]
        served.append(1)
        return Response(body, content_type="application/rss+xml; charset=utf-8")

    httpserver.expect_request("/feed.xml").respond_with_handler(handler)
    runtime = make_runtime(_rss_source(httpserver.url_for("/feed.xml")))
    assert ingest(runtime).counts["new"] == 2
    first_dates = {s.id: s.article.published_at for s in _stored(runtime)}
    assert build_feeds(runtime).written

    report = ingest(runtime)
    assert (report.counts["new"], report.counts["updated"], report.counts["unchanged"]) == (0, 0, 2)
    assert {s.id: s.article.published_at for s in _stored(runtime)} == first_dates
    assert all(s.version == 1 for s in _stored(runtime))
    assert build_feeds(runtime).written == []


def test_relative_images_resolve_against_the_article_not_the_feed_host(
    httpserver: HTTPServer, make_runtime: MakeRuntime, tmp_path: Path
) -> None:
    """A feed served from elsewhere (a feed proxy, here 127.0.0.1) must not turn the article's
    `/img/x.jpg` into a picture on the feed's host: relative URLs belong to the article's page."""
    body = '<p>ناقش النواب بنود المشروع وسط جدل.</p><p><img src="/img/port.jpg" alt="الميناء"></p>'
    feed = rss([rss_item(1, body=body)])
    httpserver.expect_request("/feed.xml").respond_with_data(
        feed,
        content_type="application/rss+xml",
        headers={"Content-Location": httpserver.url_for("/feed.xml")},  # as proxies and CDNs send
    )
    runtime = make_runtime(_rss_source(httpserver.url_for("/feed.xml")))
    ingest(runtime)
    build_feeds(runtime)
    written = (runtime.settings.public_dir / "feeds" / "rss.xml").read_text(encoding="utf-8")
    assert "https://news.example/img/port.jpg" in written
    assert httpserver.url_for("/img/port.jpg") not in written
