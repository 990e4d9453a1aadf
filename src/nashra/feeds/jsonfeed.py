"""JSON Feed 1.1 (https://jsonfeed.org/version/1.1), written with the standard library.

feedgen has no JSON Feed. Item objects are built once per article per build and shared by every feed
that lists the article; keys are emitted in a fixed order so unchanged feeds are byte-identical.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from nashra.feeds.document import FeedMeta, PreparedItem, SelfLink
from nashra.feeds.items import FeedItem

VERSION = "https://jsonfeed.org/version/1.1"


def json_item(item: FeedItem) -> dict[str, Any]:
    data: dict[str, Any] = {"id": item.guid, "url": item.url, "title": item.title}
    if item.content_html:
        data["content_html"] = item.content_html
    else:
        # Every item needs content_html or content_text; without full content the teaser is the text.
        data["content_text"] = item.summary or item.title
    if item.summary:
        data["summary"] = item.summary
    if item.image is not None:
        data["image"] = item.image.url
    data["date_published"] = item.published.isoformat()
    data["date_modified"] = item.updated.isoformat()
    if item.author:
        data["authors"] = [{"name": item.author}]
    if item.categories:
        data["tags"] = list(item.categories)
    data["language"] = item.language
    return data


def render_json(meta: FeedMeta, items: Sequence[PreparedItem], self_link: SelfLink) -> bytes:
    feed: dict[str, Any] = {
        "version": VERSION,
        "title": meta.title,
        "home_page_url": meta.home_url,
        "feed_url": self_link.url,
        "description": meta.subtitle,
        "language": meta.language,
        "authors": [{"name": meta.author}],
    }
    if meta.hub_url:
        feed["hubs"] = [{"type": "WebSub", "url": meta.hub_url}]
    feed["items"] = [p.json for p in items]
    # Compact: with `indent` the json module falls back to its pure-Python encoder, 8x slower.
    return (json.dumps(feed, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")
