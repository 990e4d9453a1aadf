"""The web route serves feed files with their content types, ETag, Last-Modified and 304s."""

from __future__ import annotations

from email.utils import formatdate
from pathlib import Path

import pytest
from feeds_helpers import INGESTED_AT, article, store_articles
from starlette.applications import Starlette
from starlette.testclient import TestClient

from nashra.config.loader import parse_settings
from nashra.feeds import build_feeds, build_from_articles
from nashra.model import StoredArticle
from nashra.web.app import create_app
from nashra.web.feeds import feed_routes


def _stored(title: str = "مهرجان الفيلم القصير يفتتح دورته العاشرة", version: int = 1) -> list[StoredArticle]:
    """The article as the store returns it; an edit comes back with the next version, as from the store."""
    a = article(1, section="ثقافة", tags=["سينما"], title=title)
    return [
        StoredArticle(
            id=a.id, article=a, first_seen_at=INGESTED_AT, last_changed_at=INGESTED_AT, version=version
        )
    ]


@pytest.fixture
def site(tmp_path: Path):  # type: ignore[no-untyped-def]
    settings = parse_settings("[feeds]\ncache_seconds = 120\n", origin="test", base_dir=tmp_path)
    build_from_articles(_stored(), settings, settings.public_dir)
    client = TestClient(Starlette(routes=feed_routes(settings)))
    return settings, client


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("feeds/rss.xml", "application/rss+xml; charset=utf-8"),
        ("feeds/atom.xml", "application/atom+xml; charset=utf-8"),
        ("feeds/feed.json", "application/feed+json; charset=utf-8"),
        ("feeds/sections/ثقافة/rss.xml", "application/rss+xml; charset=utf-8"),
        ("feeds/tags/سينما/feed.json", "application/feed+json; charset=utf-8"),
    ],
)
def test_serves_files_with_content_type_and_validators(site, path: str, content_type: str) -> None:  # type: ignore[no-untyped-def]
    settings, client = site
    file = settings.public_dir / path
    response = client.get("/" + path)
    assert response.status_code == 200
    assert response.headers["content-type"] == content_type
    assert response.content == file.read_bytes()
    assert response.headers["last-modified"] == formatdate(file.stat().st_mtime, usegmt=True)
    assert response.headers["etag"].startswith('"') and len(response.headers["etag"]) == 34
    assert response.headers["cache-control"] == "public, max-age=120"


def test_conditional_requests_get_304(site) -> None:  # type: ignore[no-untyped-def]
    _, client = site
    first = client.get("/feeds/rss.xml")
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    for headers in (
        {"If-None-Match": etag},
        {"If-None-Match": f'"other", W/{etag}'},
        {"If-None-Match": "*"},
        {"If-Modified-Since": modified},
        {"If-Modified-Since": "Fri, 01 Jan 2100 00:00:00 GMT"},
    ):
        response = client.get("/feeds/rss.xml", headers=headers)
        assert response.status_code == 304, headers
        assert response.content == b""
        assert response.headers["etag"] == etag
        assert response.headers["last-modified"] == modified
    for headers in (
        {"If-None-Match": '"other"'},
        {"If-Modified-Since": "Sat, 01 Jan 2000 00:00:00 GMT"},
        {"If-Modified-Since": "not a date"},
        # If-None-Match wins over If-Modified-Since (RFC 9110 13.2.2)
        {"If-None-Match": '"other"', "If-Modified-Since": modified},
    ):
        assert client.get("/feeds/rss.xml", headers=headers).status_code == 200, headers


def test_etag_changes_with_the_content_and_head_works(site) -> None:  # type: ignore[no-untyped-def]
    settings, client = site
    old = client.get("/feeds/atom.xml").headers["etag"]
    build_from_articles(
        _stored("مهرجان الفيلم القصير: قائمة الأفلام الفائزة", version=2), settings, settings.public_dir
    )
    response = client.get("/feeds/atom.xml", headers={"If-None-Match": old})
    assert response.status_code == 200
    assert response.headers["etag"] != old
    assert "قائمة الأفلام الفائزة".encode() in response.content
    head = client.head("/feeds/atom.xml")
    assert head.status_code == 200
    assert head.headers["etag"] == response.headers["etag"]
    assert head.content == b""


@pytest.mark.parametrize(
    "path",
    [
        "/feeds/nothing.xml",
        "/feeds/sections/غير-موجود/rss.xml",
        "/feeds/%2e%2e/nashra.toml",
        "/feeds/sections/%2e%2e/rss.xml",
        "/feeds/.rss.xml.tmp",
        "/feeds/",
    ],
)
def test_anything_else_is_404(site, path: str) -> None:  # type: ignore[no-untyped-def]
    settings, client = site
    (settings.public_dir / "feeds/.rss.xml.tmp").write_bytes(b"half a file")
    assert client.get(path).status_code == 404


@pytest.mark.sqlite_only
def test_the_web_app_serves_built_feeds(make_runtime) -> None:  # type: ignore[no-untyped-def]
    runtime = make_runtime("")
    store_articles(runtime, [a.article for a in _stored()])
    build_feeds(runtime)
    with TestClient(create_app(runtime.settings, runtime=runtime)) as client:
        response = client.get("/feeds/tags/سينما/atom.xml")
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/atom+xml; charset=utf-8"
        assert (
            client.get(
                "/feeds/tags/سينما/atom.xml", headers={"If-None-Match": response.headers["etag"]}
            ).status_code
            == 304
        )
