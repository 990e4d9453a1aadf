"""WebSub: feeds advertise the hub, and the hub (a real server on 127.0.0.1) hears about changed feeds."""

from __future__ import annotations

import json
from datetime import timedelta
from urllib.parse import parse_qsl

import feedparser
import lxml.etree
from feeds_helpers import INGESTED_AT, article, feed_files, store_articles
from pytest_httpserver import HTTPServer

from nashra.feeds import public_url, run_feeds
from nashra.feeds.stage import WEBSUB_QUEUE


def _pings(httpserver: HTTPServer) -> list[dict[str, str]]:
    pings = []
    for request, _response in httpserver.log:
        assert request.method == "POST" and request.path == "/hub"
        assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
        pings.append(dict(parse_qsl(request.get_data(as_text=True), strict_parsing=True)))
    return pings


def test_hub_is_advertised_and_pinged_for_changed_feeds_only(
    make_runtime, httpserver: HTTPServer, atom_schema, jsonfeed_validator
) -> None:  # type: ignore[no-untyped-def]
    hub = httpserver.url_for("/hub")
    httpserver.expect_request("/hub", method="POST").respond_with_data("", status=204)
    runtime = make_runtime(f'[feeds]\nhub_url = "{hub}"\n')
    settings = runtime.settings
    first = article(1, section="رياضة", tags=["كرة اليد"])
    store_articles(runtime, [first])

    report = run_feeds(runtime)
    files = sorted(feed_files(settings.public_dir))
    assert report.counts["hub_pinged"] == len(files) == 9
    pings = _pings(httpserver)
    assert sorted(pings, key=lambda p: p["hub.url"]) == sorted(
        ({"hub.mode": "publish", "hub.url": public_url(settings, rel)} for rel in files),
        key=lambda p: p["hub.url"],
    )

    public = settings.public_dir
    rss = lxml.etree.parse(str(public / "feeds/rss.xml"))
    assert rss.xpath(
        "/rss/channel/atom:link[@rel='hub']/@href", namespaces={"atom": "http://www.w3.org/2005/Atom"}
    ) == [hub]
    rss_links = feedparser.parse((public / "feeds/rss.xml").read_bytes()).feed.links
    assert [link.href for link in rss_links if link.rel == "hub"] == [hub]
    atom = feedparser.parse((public / "feeds/atom.xml").read_bytes())
    assert [link.href for link in atom.feed.links if link.rel == "hub"] == [hub]
    assert json.loads((public / "feeds/feed.json").read_bytes())["hubs"] == [{"type": "WebSub", "url": hub}]
    assert atom_schema.validate(lxml.etree.parse(str(public / "feeds/atom.xml"))), atom_schema.error_log
    assert not list(jsonfeed_validator.iter_errors(json.loads((public / "feeds/feed.json").read_bytes())))

    httpserver.clear_log()
    assert "hub_pinged" not in run_feeds(runtime).counts  # nothing changed: no ping
    assert httpserver.log == []

    second = article(2, section="رياضة", tags=["ألعاب القوى"])
    store_articles(runtime, [second], now=INGESTED_AT + timedelta(hours=1))
    run_feeds(runtime)
    changed = {p["hub.url"] for p in _pings(httpserver)}
    expected = {
        public_url(settings, f"{folder}/{name}")
        for folder in ("feeds", "feeds/sections/رياضة", "feeds/tags/ألعاب-القوى")
        for name in ("rss.xml", "atom.xml", "feed.json")
    }
    assert changed == expected


def test_failed_ping_is_queued_and_retried(make_runtime, httpserver: HTTPServer) -> None:  # type: ignore[no-untyped-def]
    httpserver.expect_ordered_request("/hub", method="POST").respond_with_data("busy", status=503)
    runtime = make_runtime(f'[feeds]\nhub_url = "{httpserver.url_for("/hub")}"\n')
    settings = runtime.settings
    store_articles(runtime, [article(1, section="", tags=[])])

    report = run_feeds(runtime)
    site = [public_url(settings, f"feeds/{name}") for name in ("rss.xml", "atom.xml", "feed.json")]
    assert report.counts["hub_queued"] == 3
    assert "HTTP 503" in report.problems[0]
    assert len(httpserver.log) == 1  # the first failure stops the round
    queue = settings.data_dir / WEBSUB_QUEUE
    assert sorted(queue.read_text(encoding="utf-8").split()) == sorted(site)

    httpserver.clear()
    httpserver.expect_request("/hub", method="POST").respond_with_data("", status=202)
    report = run_feeds(runtime)  # no file changed, but the queue is retried
    assert report.counts["hub_pinged"] == 3 and report.problems == []
    assert sorted(p["hub.url"] for p in _pings(httpserver)) == sorted(site)
    assert not queue.exists()
