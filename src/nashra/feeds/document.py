"""What a feed writer is given: the feed's metadata, its items (prepared once per build), its own URL."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from feedgen.entry import FeedEntry

from nashra.feeds.items import FeedItem


@dataclass(frozen=True, slots=True)
class FeedMeta:
    id: str
    title: str
    subtitle: str
    language: str
    home_url: str
    author: str
    updated: datetime
    hub_url: str | None


@dataclass(slots=True)
class PreparedItem:
    """An article in every representation a writer uses, made once and shared by every feed listing it."""

    item: FeedItem
    entry: FeedEntry
    """For feedgen (RSS and Atom)."""
    json: dict[str, Any]
    """A JSON Feed item object."""


class SelfLink(NamedTuple):
    """The URL this file is served at, and its media type (a feed names itself)."""

    url: str
    media_type: str
