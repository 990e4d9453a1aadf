"""Issues for the public-archive tests, stored as the digest step stores them, and a page reader.

A uniquely named module (not conftest) so the browser test and the route tests share it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import lxml.html

from nashra.config.digests import DigestSettings
from nashra.digest.archive import archive_url
from nashra.digest.placeholders import SUBSCRIBER_EMAIL, UNSUBSCRIBE_URL
from nashra.runtime import Runtime
from nashra.store.digests import IncludedArticle, IssueStatus, insert_issue, set_status

# site.base_url and web.public_url agree: the mail's archive links reach `nashra serve` under /news.
ARCHIVE_TOML = """
[site]
name = "نشرة الواحة"
base_url = "https://oasis.example/news"
locale = "ar_DZ"
timezone = "Africa/Algiers"

[web]
public_url = "https://oasis.example/news"

[[digests]]
name = "daily"

[[digests]]
name = "weekly"
"""
PREFIX = "/news"  # the path of public_url, which the proxy strips before the app sees a request

# What an issue's stored HTML holds: the per-recipient placeholders the mail layer fills in.
ISSUE_HTML = (
    '<!doctype html><html lang="ar" dir="rtl"><body><h1>{subject}</h1>'
    f'<p>مرحبًا {SUBSCRIBER_EMAIL}</p><a href="{UNSUBSCRIBE_URL}">إلغاء الاشتراك</a></body></html>'
)


@dataclass(frozen=True)
class Stored:
    id: int
    digest: str
    subject: str
    archive_url: str


def store_issue(
    runtime: Runtime,
    digest: str,
    when: datetime,
    *,
    status: IssueStatus = IssueStatus.SENT,
    subject: str | None = None,
    stories: int = 3,
) -> Stored:
    """An issue of `digest` made at `when` with `stories` articles, moved on to `status`."""
    subject = subject or f"نشرة {digest} ليوم {when.date().isoformat()}"
    ids = [f"{digest}-{when.isoformat()}-{n}" for n in range(stories)]
    url = archive_url(runtime.settings, DigestSettings(name=digest), ids, when)
    with runtime.store.begin() as conn:
        issue_id = insert_issue(
            conn,
            digest=digest,
            subject=subject,
            preheader="حصاد الزيتون • انتخابات البلديات",
            html=ISSUE_HTML.format(subject=subject),
            text=subject,
            archive_url=url,
            articles=[
                IncludedArticle(article_id=i, url=f"https://oasis.example/{i}", title_key=i) for i in ids
            ],
            now=when,
        )
        if status != IssueStatus.READY:
            set_status(conn, issue_id, IssueStatus.SENDING, now=when)
        if status == IssueStatus.SENT:
            set_status(conn, issue_id, IssueStatus.SENT, now=when)
    return Stored(issue_id, digest, subject, url)


def app_path(url: str) -> str:
    """The path the app sees for an absolute link to the site (the proxy strips PREFIX)."""
    return url.split("oasis.example", 1)[1].removeprefix(PREFIX)


def at(year: int, month: int, day: int, hour: int = 6) -> datetime:
    return datetime(year, month, day, hour, tzinfo=UTC)


@dataclass(frozen=True)
class Listed:
    subject: str
    href: str
    date: str
    stories: str
    digest: str


def _one(element: lxml.html.HtmlElement, css_class: str) -> lxml.html.HtmlElement:
    [found] = element.xpath(f".//*[contains(concat(' ', @class, ' '), ' {css_class} ')]")
    return found


def listed_issues(page: str) -> list[Listed]:
    """The issues an index page lists, in its order, as a reader sees their text."""
    tree = lxml.html.fromstring(page)
    return [
        Listed(
            subject=_one(item, "subject").text_content(),
            href=_one(item, "subject").get("href"),
            date=item.xpath(".//time")[0].text_content(),
            stories=_one(item, "stories").text_content(),
            digest=_one(item, "digest").text_content(),
        )
        for item in tree.xpath("//ol[@class='issues']/li")
    ]
