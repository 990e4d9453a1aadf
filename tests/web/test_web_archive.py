"""The public archive on `nashra serve`: an index of the issues sent, each issue at the link its mail
carries, and an RSS feed of them; on SQLite and PostgreSQL, with a live app on loopback."""

from __future__ import annotations

import email
import email.policy
import re
from collections.abc import Callable
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path

import feedparser
import httpx
import lxml.etree
import lxml.html
import pytest
import time_machine
from archive_kit import ARCHIVE_TOML, PREFIX, app_path, at, listed_issues, store_issue

from mail.mailkit import populate
from nashra.digest.archive import public_copy
from nashra.ingest import ingest
from nashra.mail.send import send_digest
from nashra.runtime import Runtime
from nashra.store.digests import IssueStatus, get_issue
from nashra.web.headers import EMAIL_POLICY

ARCHIVE_INDEX = "/digests/"

Site = tuple[Runtime, httpx.Client]


@pytest.fixture
def archive(make_site: Callable[[str], Site]) -> Site:
    return make_site(ARCHIVE_TOML)


def test_index_lists_issues_sent_or_being_sent_newest_first_with_arabic_dates(archive: Site) -> None:
    runtime, client = archive
    first = store_issue(runtime, "daily", at(2026, 11, 28), stories=1)
    second = store_issue(runtime, "daily", at(2026, 11, 29), stories=2)
    sending = store_issue(runtime, "daily", at(2026, 11, 30), status=IssueStatus.SENDING, stories=11)
    store_issue(runtime, "daily", at(2026, 12, 1), status=IssueStatus.READY)  # not sent yet: not listed
    weekly = store_issue(runtime, "weekly", at(2026, 11, 30, 23), stories=3)  # 1 December in Algiers
    store_issue(runtime, "retired", at(2026, 12, 1))  # a digest no longer in the config: not listed

    page = client.get(ARCHIVE_INDEX)
    assert page.status_code == 200
    assert re.search(r'<html lang="ar" dir="rtl">', page.text)
    listed = listed_issues(page.text)
    assert [i.subject for i in listed] == [weekly.subject, sending.subject, second.subject, first.subject]
    assert [i.date for i in listed] == ["1 ديسمبر 2026", "30 نوفمبر 2026", "29 نوفمبر 2026", "28 نوفمبر 2026"]
    assert [i.stories for i in listed] == ["3 أخبار", "11 خبرًا", "خبران", "خبر واحد"]
    assert [i.digest for i in listed] == ["weekly", "daily", "daily", "daily"]
    assert [i.href for i in listed] == [
        f"{PREFIX}{app_path(i.archive_url)}" for i in (weekly, sending, second, first)
    ]
    # Latin words and numbers inside the Arabic text are isolated for the reader's renderer.
    assert '<bdi dir="ltr">2026</bdi>' in page.text
    assert '<a class="digest" href="/news/digests/daily/"><bdi>daily</bdi></a>' in page.text
    assert f'href="{PREFIX}/digests/rss.xml"' in page.text  # the archive's feed, announced

    daily = client.get("/digests/daily/")
    assert daily.status_code == 200
    assert [i.subject for i in listed_issues(daily.text)] == [sending.subject, second.subject, first.subject]
    assert f'href="{PREFIX}/digests/daily/rss.xml"' in daily.text


def test_index_is_paginated_twenty_to_a_page(archive: Site) -> None:
    runtime, client = archive
    issues = [store_issue(runtime, "daily", at(2026, 10, 1) + timedelta(days=n)) for n in range(23)]
    newest_first = [i.subject for i in reversed(issues)]

    first = client.get("/digests/daily/")
    second = client.get("/digests/daily/?page=2")
    assert [i.subject for i in listed_issues(first.text)] == newest_first[:20]
    assert [i.subject for i in listed_issues(second.text)] == newest_first[20:]
    older = lxml.html.fromstring(first.text).xpath("//a[@rel='next']/@href")
    newer = lxml.html.fromstring(second.text).xpath("//a[@rel='prev']/@href")
    assert older == [f"{PREFIX}/digests/daily/?page=2"]
    assert newer == [f"{PREFIX}/digests/daily/"]
    assert not lxml.html.fromstring(second.text).xpath("//a[@rel='next']")
    for beyond in ("?page=3", "?page=0", "?page=-1", "?page=two"):
        assert client.get(f"/digests/daily/{beyond}").status_code == 404, beyond


def test_an_empty_archive_says_so(archive: Site) -> None:
    _runtime, client = archive
    page = client.get(ARCHIVE_INDEX)
    assert page.status_code == 200
    assert listed_issues(page.text) == []
    assert "لم تُرسل أي نشرة بعد" in page.text


def test_the_issue_page_answers_at_the_link_in_the_mail_with_no_subscriber_in_it(
    archive: Site, tmp_path: Path
) -> None:
    """The whole way: demo articles ingested, a digest sent to a subscriber through the file
    transport, and the link the .eml carries followed on the app."""
    runtime, client = archive  # no [[sources]]: the demo articles stand in
    now = at(2026, 11, 30)
    with time_machine.travel(now - timedelta(hours=1), tick=False):
        ingest(runtime)
    populate(runtime, ["reader@example.com"])
    summary = send_digest(runtime, runtime.settings.digests[0], now=now)
    assert summary.sent == 1, summary
    [eml] = (tmp_path / "outbox" / "mail").rglob("*.eml")
    message = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    body = message.get_body(("html",))
    assert body is not None
    html = body.get_content()
    [link] = lxml.html.fromstring(html).xpath("//a[normalize-space(.)='اقرأها في المتصفح']/@href")
    assert link.startswith("https://oasis.example/news/digests/daily/")

    page = client.get(app_path(link))
    assert page.status_code == 200
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert page.headers["content-security-policy"] == EMAIL_POLICY  # email HTML: inline styles, images
    assert "reader@example.com" not in page.text
    assert "%%" not in page.text
    assert "/unsubscribe/" not in page.text  # no subscriber's one-click link, only the generic page
    with runtime.store.connect() as conn:
        issue = get_issue(conn, summary.issue_id or 0)
    assert issue is not None and issue.archive_url == link
    assert page.text == public_copy(runtime.settings, issue.html, runtime.settings.digests[0])
    assert 'dir="rtl"' in page.text

    listed = listed_issues(client.get(ARCHIVE_INDEX).text)
    assert [i.href for i in listed] == [f"{PREFIX}{app_path(link)}"]
    assert listed[0].stories == "10 أخبار"


def test_unknown_issues_and_digests_get_an_arabic_404(archive: Site) -> None:
    runtime, client = archive
    sent = store_issue(runtime, "daily", at(2026, 11, 28))
    ready = store_issue(runtime, "daily", at(2026, 11, 29), status=IssueStatus.READY)
    wrong_digest = app_path(sent.archive_url).replace("/daily/", "/weekly/")
    for path in (
        app_path(ready.archive_url),  # recorded but not sent: not public yet
        wrong_digest,  # the right file name under another digest
        "/digests/daily/2026-11-28-0000000000.html",
        "/digests/nothing/",
        "/digests/nothing/rss.xml",
    ):
        page = client.get(path)
        assert page.status_code == 404, path
        assert page.headers["content-type"] == "text/html; charset=utf-8", path
        assert "<h1>الصفحة غير موجودة</h1>" in page.text, path
        assert '<html lang="ar" dir="rtl">' in page.text
    assert client.get(app_path(sent.archive_url)).status_code == 200
    escape = client.get("/digests/daily/..%2F..%2Fnashra.db.html")  # no file is ever read: not found
    assert escape.status_code == 404 and "SQLite" not in escape.text


def test_an_issue_of_a_digest_since_removed_from_the_config_still_answers(archive: Site) -> None:
    """Mail already sent links to it; the index no longer lists it."""
    runtime, client = archive
    retired = store_issue(runtime, "retired", at(2026, 11, 28))
    page = client.get(app_path(retired.archive_url))
    assert page.status_code == 200
    assert retired.subject in page.text
    assert listed_issues(client.get(ARCHIVE_INDEX).text) == []


def _rss_problems(document: bytes) -> list[str]:
    """What RSS 2.0 requires of a channel and its items, beyond what feedparser tolerates."""
    root = lxml.etree.fromstring(document)
    problems = [] if root.tag == "rss" and root.get("version") == "2.0" else ["not <rss version=2.0>"]
    [channel] = root.findall("channel")
    problems += [
        f"channel lacks <{tag}>" for tag in ("title", "link", "description") if not channel.findtext(tag)
    ]
    for n, item in enumerate(channel.findall("item")):
        problems += [
            f"item {n} lacks <{tag}>"
            for tag in ("title", "link", "guid", "pubDate")
            if not item.findtext(tag)
        ]
    return problems


def test_rss_feed_of_the_archive_validates_and_lists_each_issue_once(archive: Site) -> None:
    runtime, client = archive
    first = store_issue(runtime, "daily", at(2026, 11, 28), subject="نشرة الواحة: قمة G20 يوم 9 May")
    second = store_issue(runtime, "weekly", at(2026, 11, 29))
    store_issue(runtime, "daily", at(2026, 11, 30), status=IssueStatus.READY)

    response = client.get("/digests/rss.xml")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/rss+xml; charset=utf-8"
    assert "max-age=" in response.headers["cache-control"]
    assert _rss_problems(response.content) == []
    feed = feedparser.parse(response.content)
    assert feed.bozo == 0, feed.get("bozo_exception")
    assert feed.version == "rss20"
    assert feed.feed.language == "ar"
    assert feed.feed.link == "https://oasis.example/news/digests/"  # the index, for readers
    assert {link.rel: link.href for link in feed.feed.links}[
        "self"
    ] == "https://oasis.example/news/digests/rss.xml"
    assert [e.title for e in feed.entries] == [second.subject, first.subject]  # isolates cleaned away
    assert [e.link for e in feed.entries] == [second.archive_url, first.archive_url]
    assert [e.id for e in feed.entries] == [second.archive_url, first.archive_url]
    assert feed.entries[1].published == "Sat, 28 Nov 2026 07:00:00 +0100"  # the site's zone
    assert feed.entries[1].summary == "حصاد الزيتون • انتخابات البلديات"

    daily = feedparser.parse(client.get("/digests/daily/rss.xml").content)
    assert daily.bozo == 0
    assert [e.link for e in daily.entries] == [first.archive_url]
    assert daily.feed.link == "https://oasis.example/news/digests/daily/"
    # The same bytes for the same archive: aggregators polling it see no change.
    assert client.get("/digests/rss.xml").content == response.content
