"""RSS 2.0 / Atom feeds, parsed by feedparser (the reference parser) from bytes fetched with httpx."""

from __future__ import annotations

import calendar
from datetime import UTC, datetime
from typing import Any

import feedparser

from nashra.errors import SourceError
from nashra.model import Article, Image
from nashra.sources.base import FetchResult, HttpUrl, SourceBase, SourceOptions
from nashra.sources.http import get
from nashra.store.sources import SourceState
from nashra.text import clean_text, html_to_text
from nashra.text.urls import redact_credentials


class RssOptions(SourceOptions):
    url: HttpUrl
    section: str | None = None
    """Section for every item (a per-section feed); otherwise the item's first category."""


def _time(entry: Any, *keys: str) -> datetime | None:
    for key in keys:
        # dict.get: feedparser's own get() maps a missing "updated" to "published" (with a warning).
        parsed = dict.get(entry, f"{key}_parsed")
        if parsed:
            return datetime.fromtimestamp(calendar.timegm(parsed), tz=UTC)
    return None


def _image(entry: Any) -> Image | None:
    for media in entry.get("media_content", []) or []:
        if media.get("url") and (
            media.get("medium") == "image" or str(media.get("type", "")).startswith("image/")
        ):
            length = media.get("filesize")
            return Image(
                url=media["url"], mime_type=media.get("type"), length=int(length) if length else None
            )
    for link in entry.get("links", []) or []:
        if link.get("rel") == "enclosure" and str(link.get("type", "")).startswith("image/"):
            length = link.get("length")
            return Image(
                url=link["href"],
                mime_type=link.get("type"),
                length=int(length) if length and str(length).isdigit() else None,
            )
    for thumb in entry.get("media_thumbnail", []) or []:
        if thumb.get("url"):
            return Image(url=thumb["url"])
    return None


def _canonical_link(entry: Any) -> str | None:
    """The entry's `rel="canonical"` link: the publisher's own permalink, where `link` may be a
    tracking or redirect address (feedparser already falls back to a permalink guid for `link`)."""
    for link in entry.get("links", []) or []:
        if link.get("rel") == "canonical" and link.get("href"):
            return str(link["href"])
    return None


class RssSource(SourceBase[RssOptions]):
    kind = "rss"

    def fetch(self, state: SourceState) -> FetchResult:
        fetched = get(
            self.context.http,
            self.options.url,
            source=self.name,
            deadline=self.context.settings.ingest.deadline_seconds,
            state=state,
        )
        if fetched.not_modified:
            return FetchResult(etag=fetched.etag, last_modified=fetched.last_modified, not_modified=True)
        # Relative URLs in an item belong to the article's page, not to wherever the feed was served
        # from (a proxy or CDN's Content-Location): the feed step resolves them against the article.
        parsed = feedparser.parse(
            fetched.content, response_headers=dict(fetched.headers), resolve_relative_uris=False
        )
        if not parsed.get("version") and not parsed.entries:
            reason = parsed.get("bozo_exception") or "no RSS or Atom root element"
            raise SourceError(f"{self.options.url} is not an RSS or Atom feed: {reason}", where=self.name)
        result = FetchResult(etag=fetched.etag, last_modified=fetched.last_modified, status=fetched.status)
        if parsed.bozo:
            result.problems.append(
                f"{self.name}: feed is not well-formed, read what could be: {parsed.bozo_exception}"
            )
        now = datetime.now(UTC)
        for position, entry in enumerate(parsed.entries, start=1):
            try:
                result.articles.append(self._article(entry, now))
            except (KeyError, ValueError) as exc:
                result.problems.append(f"{self.name}: item {position} skipped: {exc}")
        return result

    def verify(self) -> str:
        return f"GET {redact_credentials(self.options.url)}: {super().verify()}"

    def _article(self, entry: Any, now: datetime) -> Article:
        link = _canonical_link(entry) or entry.get("link")
        guid = entry.get("id") or link
        title = clean_text(entry.get("title", ""))
        if not link or not guid:
            raise ValueError("it has no link and no guid")
        if not title:
            raise ValueError(f"{link} has no title")
        terms = [clean_text(t.get("term", "")) for t in entry.get("tags", []) or []]
        terms = [t for t in terms if t]
        section = self.options.section or (terms[0] if terms else "")
        tags = tuple(t for t in terms if t != section)
        content = entry.get("content") or []
        summary_html = entry.get("summary", "")
        body = content[0].get("value", "") if content else summary_html
        # With content:encoded and no description, feedparser copies the content into the summary:
        # that is the whole body, not an editor's lead. Leave the lead empty, as for any article
        # without one: teasers, feed summaries and posts then start from the body's first real
        # paragraph (`excerpt_source`), instead of storing and re-cutting the body twice over.
        copied = any(summary_html == part.get("value") for part in content)
        lead = html_to_text(summary_html) if content and summary_html and not copied else ""
        published = _time(entry, "published", "updated", "created")
        return Article(
            source=self.name,
            guid=guid,
            url=link,
            title=title,
            published_at=published or now,
            undated=published is None,
            updated_at=_time(entry, "updated"),
            author=clean_text(entry.get("author", "")),
            section=section,
            tags=tags,
            lead=lead,
            body_html=body,
            image=_image(entry),
            language=(entry.get("language") or self.context.settings.site.language),
        )
