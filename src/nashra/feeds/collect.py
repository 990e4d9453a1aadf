"""Which feeds exist and which articles each holds, decided in one pass over a light index.

Only ids, sections, tags and versions are read for the whole archive; full articles are then loaded just for
the ids that made it into some feed (the newest `max_items` of each), so a 10,000-article archive
does not pull every body into memory. Two spellings with the same slug (with and without harakat,
say) are one feed, titled with the spelling most articles use; two different keywords never are.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, NamedTuple

from sqlalchemy import Connection, func, select

from nashra.config.feeds import FeedsSettings
from nashra.model import StoredArticle
from nashra.store.schema import articles
from nashra.text import clean_text, slugify
from nashra.text.hashtags import keyword_key

FeedKind = Literal["site", "section", "tag"]
FEEDS_DIR = "feeds"
_KIND_DIRS = {"section": "sections", "tag": "tags"}


@dataclass(frozen=True, slots=True)
class IndexRow:
    id: str
    section: str
    tags: tuple[str, ...]
    version: int
    changed: datetime
    """The store's last_changed_at: with `version`, names the article version a feed item is made from."""


@dataclass(frozen=True, slots=True)
class FeedPlan:
    kind: FeedKind
    name: str
    slug: str
    article_ids: tuple[str, ...]
    """Newest first, at most `max_items`."""

    @property
    def folder(self) -> str:
        """Folder of this feed's files (one per format), relative to the public folder (and to the site URL)."""
        if self.kind == "site":
            return FEEDS_DIR
        return f"{FEEDS_DIR}/{_KIND_DIRS[self.kind]}/{self.slug}"


def load_index(conn: Connection) -> list[IndexRow]:
    """Every article's id, section, tags and version, newest first (same order as `list_articles`)."""
    query = select(
        articles.c.id, articles.c.section, articles.c.tags, articles.c.version, articles.c.last_changed_at
    ).order_by(articles.c.published_at.desc(), articles.c.id)
    return [
        IndexRow(id_, section or "", tuple(tags or ()), version, changed)
        for id_, section, tags, version, changed in conn.execute(query)
    ]


class ArchiveCounts(NamedTuple):
    """A summary of the whole archive that any insert, edit or deletion by the store changes."""

    articles: int
    versions: int
    latest_change: datetime | None


def archive_counts(conn: Connection) -> ArchiveCounts:
    """One aggregate row: far cheaper than the index, so an unchanged archive costs nearly nothing."""
    query = select(
        func.count(), func.coalesce(func.sum(articles.c.version), 0), func.max(articles.c.last_changed_at)
    )
    count, versions, latest = conn.execute(query).one()
    return ArchiveCounts(int(count), int(versions), latest)


def counts_of(stored: Sequence[StoredArticle]) -> ArchiveCounts:
    latest = max((s.last_changed_at for s in stored), default=None)
    return ArchiveCounts(len(stored), sum(s.version for s in stored), latest)


def index_of(stored: Iterable[StoredArticle]) -> list[IndexRow]:
    """The same index for articles already in memory (the benchmark, tests)."""
    ordered = sorted(stored, key=lambda s: s.id)
    ordered.sort(key=lambda s: s.article.published_at, reverse=True)
    return [IndexRow(s.id, s.article.section, s.article.tags, s.version, s.last_changed_at) for s in ordered]


class _Grouper:
    """Articles per slug, capped at `limit`, with every spelling counted for the title.

    Spellings of one keyword share a feed; a different keyword whose slug happens to be taken
    (a long name cut at the same word, say) is left out rather than merged into a feed about
    something else: the first keyword met, in newest-first order, keeps the slug.
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.ids: dict[str, list[str]] = defaultdict(list)
        self.spellings: dict[str, Counter[str]] = defaultdict(Counter)
        self._slugs: dict[str, tuple[str, str, str]] = {}
        self._owners: dict[str, str] = {}

    def _slug(self, raw: str) -> tuple[str, str, str]:
        known = self._slugs.get(raw)
        if known is None:
            name = clean_text(raw)
            known = self._slugs[raw] = (name, slugify(name) if name else "", keyword_key(name))
        return known

    def add(self, article_id: str, raws: Iterable[str]) -> None:
        seen: set[str] = set()
        for raw in raws:
            name, slug, key = self._slug(raw)
            if not slug or slug in seen or self._owners.setdefault(slug, key) != key:
                continue
            seen.add(slug)
            self.spellings[slug][name] += 1
            ids = self.ids[slug]
            if len(ids) < self.limit:
                ids.append(article_id)

    def plans(self, kind: FeedKind) -> list[FeedPlan]:
        result = []
        for slug in sorted(self.ids):
            name = min(self.spellings[slug].items(), key=lambda pair: (-pair[1], pair[0]))[0]
            result.append(FeedPlan(kind, name, slug, tuple(self.ids[slug])))
        return result


def plan_feeds(index: Sequence[IndexRow], settings: FeedsSettings) -> list[FeedPlan]:
    """The site feed, then one per section and one per tag (as configured); empty archive, no feeds."""
    if not index:
        return []
    limit = settings.max_items
    plans = [FeedPlan("site", "", "", tuple(row.id for row in index[:limit]))]
    sections, tags = _Grouper(limit), _Grouper(limit)
    for row in index:
        if settings.per_section:
            sections.add(row.id, (row.section,))
        if settings.per_tag:
            tags.add(row.id, row.tags)
    return plans + sections.plans("section") + tags.plans("tag")


def needed_ids(plans: Iterable[FeedPlan]) -> list[str]:
    return list(dict.fromkeys(i for plan in plans for i in plan.article_ids))
