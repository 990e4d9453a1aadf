"""Plain typed records shared by every step. No I/O, no behaviour beyond derived identity."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import NamedTuple

from markupsafe import Markup


@dataclass(frozen=True, slots=True)
class Image:
    url: str
    alt: str = ""
    caption: str = ""
    mime_type: str | None = None
    length: int | None = None


@dataclass(frozen=True, slots=True)
class Article:
    """One article as a source delivered it.

    `guid` is the source's own identifier (feed guid, WordPress id, file name); `id` is derived from
    the source name and guid so it never changes when the article is edited, and is what every
    downstream record (feed entry, digest item, social post) is keyed on.
    """

    source: str
    guid: str
    url: str
    title: str
    published_at: datetime
    updated_at: datetime | None = None
    author: str = ""
    section: str = ""
    tags: tuple[str, ...] = ()
    lead: str = ""
    body_html: str = ""
    image: Image | None = None
    language: str = "ar"
    undated: bool = False
    """The source gave no date: `published_at` is when Nashra first saw it, and the store keeps that."""

    def __post_init__(self) -> None:
        for name in ("published_at", "updated_at"):
            value = getattr(self, name)
            if value is not None and value.tzinfo is None:
                raise ValueError(f"Article.{name} must be timezone-aware (got {value!r})")

    @property
    def id(self) -> str:
        return article_id(self.source, self.guid)

    @property
    def content_hash(self) -> str:
        """Changes exactly when something a reader could see changes; drives update detection."""
        payload = asdict(self)
        for volatile in ("source", "guid"):
            payload.pop(volatile)
        # The instant matters, not the offset it was written with (the store keeps UTC). A date
        # Nashra filled in is no edit: each fetch fills in another one.
        payload["published_at"] = None if self.undated else self.published_at.astimezone(UTC).isoformat()
        payload["updated_at"] = self.updated_at.astimezone(UTC).isoformat() if self.updated_at else None
        blob = json.dumps(payload, ensure_ascii=False, sort_keys=True, default=list)
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def article_id(source: str, guid: str) -> str:
    return hashlib.sha256(f"{source}\x00{guid}".encode()).hexdigest()[:20]


class DisplayText(NamedTuple):
    """One text as each output writes it, worked out once so no render repeats the bidi work.

    A NamedTuple, as `ArticleForms`: both are built for every article of every render from the
    stored forms, and a frozen dataclass is built field by field through `object.__setattr__`
    (about three times slower)."""

    plain: str
    html: Markup
    """Escaped, each Latin run in `<bdi dir="ltr">`: what the templates' `bdi` filter gives."""
    isolated: str
    """Each Latin run in LRI…PDI: what the `isolate` filter gives (text part, posts)."""


class ArticleForms(NamedTuple):
    """What digests, posts and feeds make of one article version, computed once (`nashra.forms`).

    Stored with the article at ingest and replaced with it when it changes, so a render reads
    these instead of cleaning, keying, cutting and isolating the same texts again.
    """

    title: DisplayText
    """The cleaned headline."""
    match_key: str
    """`normalize_for_match` of the headline as the source sent it: duplicates and issue records."""
    title_key: str
    """`normalize_for_match` of the cleaned headline: the teaser's own key."""
    summary: str
    """The text excerpts are cut from (`excerpt_source`): the lead, else the first real paragraph."""
    image_alt: str
    """Cleaned alt text, or the headline when the image has none."""
    excerpts: tuple[tuple[int, DisplayText], ...]
    """(teaser length, excerpt) for each teaser length the digests asked for."""

    def has_excerpt(self, length: int) -> bool:
        for size, _ in self.excerpts:  # noqa: SIM110  # one or two pairs: a loop costs less than any(generator)
            if size == length:
                return True
        return False

    def excerpt(self, length: int) -> DisplayText:
        """The excerpt cut to `length`; KeyError when these forms were prepared without it."""
        for size, text in self.excerpts:
            if size == length:
                return text
        raise KeyError(length)


@dataclass(frozen=True, slots=True)
class StoredArticle:
    """An article as the store knows it: the source's record plus what ingest observed."""

    id: str
    article: Article
    first_seen_at: datetime
    last_changed_at: datetime
    version: int = 1
    forms: ArticleForms | None = None
    """The forms stored for this version, or None (a row from before forms, or not from the store)."""

    @property
    def title(self) -> str:
        return self.article.title

    @property
    def url(self) -> str:
        return self.article.url


@dataclass(slots=True)
class StageReport:
    """What one stage of a cycle did, for the run summary and `status`."""

    stage: str
    counts: dict[str, int] = field(default_factory=dict)
    outputs: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def add(self, key: str, n: int = 1) -> None:
        self.counts[key] = self.counts.get(key, 0) + n
