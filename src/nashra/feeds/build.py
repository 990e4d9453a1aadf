"""Build every feed: site-wide, per section, per tag, each in every format of `formats.FORMATS`.

Work is shared across feeds: the index is grouped once, each article is cleaned and sanitised once,
and its feedgen entry and JSON item are made once and reused by every feed that lists it. Rendering
is a pure function of articles and settings (no clock), which is what makes a rebuild with no new
content byte-identical, so `write_if_changed` leaves every file alone.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from nashra.config import Settings
from nashra.feeds.collect import FEEDS_DIR, FeedPlan, index_of, load_index, needed_ids, plan_feeds
from nashra.feeds.document import FeedMeta, PreparedItem, SelfLink
from nashra.feeds.formats import FORMATS
from nashra.feeds.items import FeedItem, prepare_item
from nashra.feeds.jsonfeed import json_item
from nashra.feeds.rss_atom import feed_entry
from nashra.feeds.write import remove_stale, write_if_changed
from nashra.logs import event
from nashra.model import StoredArticle
from nashra.runtime import Runtime
from nashra.store.articles import get_articles
from nashra.text.urls import to_uri

log = logging.getLogger(__name__)


@dataclass(slots=True)
class BuildResult:
    out_dir: Path
    articles: int = 0
    feeds: int = 0
    written: list[str] = field(default_factory=list)
    """Relative paths (under out_dir) whose bytes changed."""
    unchanged: int = 0
    removed: list[str] = field(default_factory=list)


def public_url(settings: Settings, relative_path: str) -> str:
    """URL of a file under the public folder; Arabic slugs are percent-encoded (URLs are ASCII)."""
    return to_uri(f"{settings.site.base_url}/{quote(relative_path)}")


class PreparedCache:
    """Items prepared by the previous build, reused while neither the article nor the settings changed.

    The worker rebuilds after every ingest that found something, usually a handful of articles;
    sanitising the few thousand others again each time would be most of the build. Only the items
    the last build used are kept, so memory stays bounded by the feeds' sizes, not the archive's.
    The key is the whole (frozen, hashable) stored article: any change to it is a miss.
    """

    def __init__(self) -> None:
        self._settings: tuple[object, ...] | None = None
        self._items: dict[StoredArticle, PreparedItem] = {}

    def begin(self, settings: Settings) -> dict[StoredArticle, PreparedItem]:
        fingerprint = (settings.site, settings.feeds)
        if fingerprint != self._settings:
            self._settings, self._items = fingerprint, {}
        return self._items

    def keep(self, used: dict[StoredArticle, PreparedItem]) -> None:
        self._items = used


_CACHE = PreparedCache()


def _meta(plan: FeedPlan, settings: Settings, items: Sequence[FeedItem]) -> FeedMeta:
    site = settings.site
    return FeedMeta(
        id=settings.feeds.guid_prefix + quote(plan.folder),
        title=site.name if plan.kind == "site" else f"{site.name} — {plan.name}",
        subtitle=site.description or site.name,
        language=site.language,
        home_url=to_uri(site.base_url + "/"),
        author=site.name,
        updated=max(item.changed for item in items),
        hub_url=settings.feeds.hub_url,
    )


def render_feeds(
    plans: Sequence[FeedPlan],
    stored: Sequence[StoredArticle],
    settings: Settings,
    cache: PreparedCache | None = None,
) -> dict[str, bytes]:
    """Every feed file, keyed by its path relative to the public folder."""
    by_id = {s.id: s for s in stored}
    cached = cache.begin(settings) if cache is not None else {}
    used: dict[StoredArticle, PreparedItem] = {}
    prepared: dict[str, PreparedItem] = {}

    def get(article_id: str) -> PreparedItem:
        known = prepared.get(article_id)
        if known is None:
            stored_article = by_id[article_id]
            known = cached.get(stored_article)
            if known is None:
                item = prepare_item(stored_article, settings)
                known = PreparedItem(item, feed_entry(item), json_item(item))
            prepared[article_id] = used[stored_article] = known
        return known

    files: dict[str, bytes] = {}
    for plan in plans:
        chosen = [get(i) for i in plan.article_ids if i in by_id]
        if not chosen:
            continue
        meta = _meta(plan, settings, [p.item for p in chosen])
        for feed_format in FORMATS:
            path = f"{plan.folder}/{feed_format.file_name}"
            self_link = SelfLink(public_url(settings, path), feed_format.media_type)
            files[path] = feed_format.write(meta, chosen, self_link)
    if cache is not None:
        cache.keep(used)
    return files


def _write(files: dict[str, bytes], out_dir: Path, articles: int) -> BuildResult:
    result = BuildResult(out_dir=out_dir, articles=articles, feeds=len(files) // len(FORMATS))
    for relative, data in files.items():
        if write_if_changed(out_dir / relative, data):
            result.written.append(relative)
        else:
            result.unchanged += 1
    removed = remove_stale(out_dir / FEEDS_DIR, {out_dir / relative for relative in files})
    result.removed = [p.relative_to(out_dir).as_posix() for p in removed]
    event(
        log,
        "feeds.built",
        out=out_dir,
        feeds=result.feeds,
        written=len(result.written),
        unchanged=result.unchanged,
        removed=len(result.removed),
    )
    return result


def build_from_articles(
    stored: Sequence[StoredArticle],
    settings: Settings,
    out_dir: Path,
    cache: PreparedCache | None = None,
) -> BuildResult:
    """Build from articles in memory (the benchmark); same output as `build_feeds` for the same articles.

    `cache` defaults to the process-wide one; pass a fresh PreparedCache to measure a cold build.
    """
    plans = plan_feeds(index_of(stored), settings.feeds)
    if not plans:
        return BuildResult(out_dir=out_dir)
    return _write(
        render_feeds(plans, stored, settings, _CACHE if cache is None else cache), out_dir, len(stored)
    )


def build_feeds(
    runtime: Runtime, out_dir: Path | None = None, cache: PreparedCache | None = None
) -> BuildResult:
    """Build every feed from the store into `out_dir` (default: the public folder).

    An empty archive builds nothing and deletes nothing: an empty store is far more often a wrong
    database URL than a newsroom that unpublished everything. `cache` as in `build_from_articles`.
    """
    settings = runtime.settings
    out_dir = out_dir if out_dir is not None else settings.public_dir
    with runtime.store.connect() as conn:
        index = load_index(conn)
        plans = plan_feeds(index, settings.feeds)
        stored = get_articles(conn, needed_ids(plans))
    if not plans:
        event(log, "feeds.nothing_to_build", reason="no articles in the store")
        return BuildResult(out_dir=out_dir)
    return _write(
        render_feeds(plans, stored, settings, _CACHE if cache is None else cache), out_dir, len(index)
    )
