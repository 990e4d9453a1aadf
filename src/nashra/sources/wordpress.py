"""WordPress REST API (`/wp-json/wp/v2/posts`), with embedded featured image, categories and tags.

Polls by modification time (`modified_after`, WordPress 5.7+) so edits are seen as well as new
posts; the first poll may be bounded with `since` (sent as `after=`) to skip an old archive.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from html import unescape
from typing import Annotated, Any

from pydantic import Field

from nashra.config import SourceSettings
from nashra.errors import SourceError
from nashra.model import Article, Image
from nashra.sources.base import FetchResult, HttpUrl, SourceBase, SourceContext, SourceOptions
from nashra.sources.http import get
from nashra.store.sources import SourceState
from nashra.text import clean_text, html_to_text
from nashra.text.urls import redact_credentials


class WordPressOptions(SourceOptions):
    url: HttpUrl
    """Site root (https://site.example) or API root (https://site.example/wp-json/wp/v2)."""
    per_page: Annotated[int, Field(gt=0, le=100)] = 50
    max_pages: Annotated[int, Field(gt=0)] = 20
    since: datetime | None = None


def _gmt(value: str | None) -> datetime | None:
    if not value:
        return None
    return datetime.fromisoformat(value).replace(tzinfo=UTC)


def _text(field: Any) -> str:
    if isinstance(field, dict):
        field = field.get("rendered", "")
    return clean_text(html_to_text(str(field or ""))) if field else ""


class WordPressSource(SourceBase[WordPressOptions]):
    kind = "wordpress"

    def __init__(self, config: SourceSettings, options: WordPressOptions, context: SourceContext) -> None:
        super().__init__(config, options, context)
        root = options.url.rstrip("/")
        self.endpoint = root + "/posts" if root.endswith("/wp/v2") else root + "/wp-json/wp/v2/posts"

    def fetch(self, state: SourceState) -> FetchResult:
        result = FetchResult(cursor=state.cursor)
        params: dict[str, str | int] = {
            "per_page": self.options.per_page,
            "_embed": 1,
            "orderby": "modified",
            "order": "asc",
        }
        if state.cursor:
            params["modified_after"] = state.cursor + "+00:00"  # cursor is GMT
        elif self.options.since:
            params["after"] = self.options.since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")
        newest = state.cursor
        for page in range(1, self.options.max_pages + 1):
            fetched = get(
                self.context.http,
                self.endpoint,
                source=self.name,
                deadline=self.context.settings.ingest.deadline_seconds,
                params={**params, "page": page},
            )
            try:
                posts = json.loads(fetched.content)
            except ValueError as exc:
                raise SourceError(
                    f"{self.endpoint} page {page} is not JSON: {exc}", where=self.name
                ) from None
            if not isinstance(posts, list):
                raise SourceError(f"{self.endpoint} page {page} is not a list of posts", where=self.name)
            for post in posts:
                try:
                    result.articles.append(self._article(post))
                except (KeyError, TypeError, ValueError) as exc:
                    result.problems.append(
                        f"{self.name}: post {post.get('id', '?') if isinstance(post, dict) else '?'} skipped: {exc}"
                    )
                    continue
                modified = post.get("modified_gmt")
                if modified and (newest is None or modified > newest):
                    newest = modified
            total_pages = int(fetched.headers.get("X-WP-TotalPages", page))
            if page >= total_pages or len(posts) < self.options.per_page:
                break
        result.cursor = newest
        return result

    def verify(self) -> str:
        """One post of the newest page: the API answers and says how many there are, cheaply."""
        fetched = get(
            self.context.http,
            self.endpoint,
            source=self.name,
            deadline=self.context.settings.ingest.deadline_seconds,
            params={"per_page": 1},
        )
        total = fetched.headers.get("X-WP-Total", "?")
        return f"GET {redact_credentials(self.endpoint)}: {fetched.status}, {total} posts"

    def _article(self, post: dict[str, Any]) -> Article:
        embedded = post.get("_embedded", {})
        terms = [t for group in embedded.get("wp:term", []) for t in group]
        categories = [clean_text(unescape(t["name"])) for t in terms if t.get("taxonomy") == "category"]
        tags = [clean_text(unescape(t["name"])) for t in terms if t.get("taxonomy") == "post_tag"]
        image = None
        media = embedded.get("wp:featuredmedia") or []
        if media and isinstance(media[0], dict) and media[0].get("source_url"):
            first = media[0]
            size = first.get("media_details", {}).get("filesize")
            image = Image(
                url=first["source_url"],
                alt=clean_text(first.get("alt_text", "")),
                caption=_text(first.get("caption")),
                mime_type=first.get("mime_type"),
                length=int(size) if size else None,
            )
        authors = embedded.get("author") or []
        published = _gmt(post.get("date_gmt"))
        if published is None:
            raise ValueError("it has no date_gmt")
        title = _text(post.get("title"))
        if not title:
            raise ValueError("it has no title")
        return Article(
            source=self.name,
            guid=str(post["id"]),
            url=post["link"],
            title=title,
            published_at=published,
            updated_at=_gmt(post.get("modified_gmt")),
            author=clean_text(authors[0].get("name", "")) if authors and isinstance(authors[0], dict) else "",
            section=categories[0] if categories else "",
            tags=tuple(categories[1:] + tags),
            lead=_text(post.get("excerpt")),
            body_html=(post.get("content") or {}).get("rendered", ""),
            image=image,
            language=self.context.settings.site.language,
        )
