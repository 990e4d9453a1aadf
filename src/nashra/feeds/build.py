"""Build every feed: site-wide, per section, per tag, each in every format of `formats.FORMATS`.

Incremental, in any process: each feed file has a fingerprint (the versions of the articles it
lists, its name and URL, the settings), recorded with the file's size and mtime when it is written
(see `state`). A feed whose fingerprint is unchanged and whose file is still as written is skipped
before any body is read or any byte rendered. The feeds that are rendered take their items from the
stored prepared items; only article versions never prepared before are loaded, cleaned and
sanitised, once. Each item's feedgen entry and JSON object are made once per build and shared by
every feed that lists it. Rendering is a pure function of articles and settings (no clock), so a
rendered feed with no new content is byte-identical and `write_if_changed` leaves its file alone.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from nashra.config import Settings
from nashra.feeds.collect import (
    FEEDS_DIR,
    ArchiveCounts,
    FeedPlan,
    IndexRow,
    archive_counts,
    counts_of,
    index_of,
    load_index,
    needed_ids,
    plan_feeds,
)
from nashra.feeds.document import FeedMeta, PreparedItem, SelfLink
from nashra.feeds.formats import FORMATS, FeedFormat
from nashra.feeds.items import FeedItem, prepare_item
from nashra.feeds.jsonfeed import json_item
from nashra.feeds.rss_atom import feed_entry
from nashra.feeds.state import (
    BuildState,
    Written,
    archive_summary,
    fingerprint,
    item_key,
    open_state,
    settings_key,
)
from nashra.feeds.write import atomic_batch, remove_stale
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
    rendered: list[str] = field(default_factory=list)
    """Relative paths rendered because their feed changed or their file was gone or altered."""


def public_url(settings: Settings, relative_path: str) -> str:
    """URL of a file under the public folder; Arabic slugs are percent-encoded (URLs are ASCII)."""
    return to_uri(f"{settings.site.base_url}/{quote(relative_path)}")


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


Loader = Callable[[list[str]], Sequence[StoredArticle]]
"""Full articles for the given ids (from the store, or from memory)."""


@dataclass(frozen=True, slots=True)
class _Target:
    """One feed file this build should leave in place, and what it must be made from."""

    plan: FeedPlan
    feed_format: FeedFormat
    path: str
    self_link: SelfLink
    fingerprint: str


def _targets(
    plans: Sequence[FeedPlan], keys: dict[str, str], settings: Settings, digest: str
) -> list[_Target]:
    targets = []
    for plan in plans:
        item_keys = [keys[i] for i in plan.article_ids]
        for feed_format in FORMATS:
            path = f"{plan.folder}/{feed_format.file_name}"
            link = SelfLink(public_url(settings, path), feed_format.media_type)
            parts = (digest, plan.kind, plan.name, plan.slug, feed_format.name, link.url, *item_keys)
            targets.append(_Target(plan, feed_format, path, link, fingerprint(*parts)))
    return targets


def _as_written(path: Path, known: Written) -> bool:
    """Whether the file is still the one the build wrote (not deleted, replaced or edited since)."""
    try:
        stat = path.stat()
    except FileNotFoundError:
        return False
    return stat.st_size == known.size and stat.st_mtime_ns == known.mtime_ns


def _is_current(out_dir: Path, target: _Target, known: Written | None) -> bool:
    return (
        known is not None
        and known.fingerprint == target.fingerprint
        and _as_written(out_dir / target.path, known)
    )


def _prepared(
    ids: list[str], keys: dict[str, str], state: BuildState, settings: Settings, load: Loader
) -> dict[str, PreparedItem]:
    """The items of `ids`: stored ones as they are, the others prepared now (and stored)."""
    items: dict[str, FeedItem] = {}
    stored = state.items([keys[i] for i in ids])
    missing = []
    for article_id in ids:
        item = stored.get(keys[article_id])
        if item is None:
            missing.append(article_id)
        else:
            items[article_id] = item
    if missing:
        fresh = {}
        for article in load(missing):
            item = items[article.id] = prepare_item(article, settings)
            fresh[keys[article.id]] = item
        state.save_items(fresh, keep=keys.values())
    return {i: PreparedItem(item, feed_entry(item), json_item(item)) for i, item in items.items()}


def _render(
    targets: Sequence[_Target],
    prepared: dict[str, PreparedItem],
    settings: Settings,
    out_dir: Path,
    result: BuildResult,
) -> list[_Target]:
    """Render `targets` and write the changed ones as one batch; the targets rendered."""
    rendered = []
    metas: dict[str, FeedMeta | None] = {}
    with atomic_batch() as batch:
        for target in targets:
            plan = target.plan
            chosen = [prepared[i] for i in plan.article_ids if i in prepared]
            if plan.folder not in metas:
                metas[plan.folder] = _meta(plan, settings, [p.item for p in chosen]) if chosen else None
            meta = metas[plan.folder]
            if meta is None:
                continue  # every article it listed is gone since the index was read
            rendered.append(target)
            result.rendered.append(target.path)
            if batch.write(out_dir / target.path, target.feed_format.write(meta, chosen, target.self_link)):
                result.written.append(target.path)
            else:
                result.unchanged += 1
    return rendered


def _build(
    settings: Settings,
    out_dir: Path,
    counts: ArchiveCounts,
    read_index: Callable[[], Sequence[IndexRow]],
    load: Loader,
) -> BuildResult:
    """Build what changed. With the archive as the last build into `out_dir` saw it and every file
    as that build wrote it, nothing is read, rendered or written (a feed file that appeared from
    elsewhere stays until the next build that changes something removes it)."""
    result = BuildResult(out_dir=out_dir, articles=counts.articles)
    digest = settings_key(settings)
    archive = archive_summary(digest, *counts)
    where = out_dir.resolve()
    with open_state(settings) as state:
        known = state.files(where)
        if state.archive(where) == archive and all(_as_written(out_dir / p, w) for p, w in known.items()):
            result.unchanged = len(known)
            result.feeds = len({path.rsplit("/", 1)[0] for path in known})
            _log(result)
            return result
        index = read_index()
        plans = plan_feeds(index, settings.feeds)
        listed = set(needed_ids(plans))
        keys = {
            row.id: item_key(digest, row.id, row.version, row.changed) for row in index if row.id in listed
        }
        targets = _targets(plans, keys, settings, digest)
        stale = {t.path for t in targets if not _is_current(out_dir, t, known.get(t.path))}
        stale_plans = list({t.plan.folder: t.plan for t in targets if t.path in stale}.values())
        prepared = _prepared(needed_ids(stale_plans), keys, state, settings, load) if stale else {}
        kept = {t.path: known[t.path] for t in targets if t.path not in stale}
        result.unchanged += len(kept)
        for target in _render([t for t in targets if t.path in stale], prepared, settings, out_dir, result):
            stat = (out_dir / target.path).stat()
            kept[target.path] = Written(target.fingerprint, stat.st_size, stat.st_mtime_ns)
        result.feeds = len({path.rsplit("/", 1)[0] for path in kept})
        removed = remove_stale(out_dir / FEEDS_DIR, {out_dir / path for path in kept})
        result.removed = [p.relative_to(out_dir).as_posix() for p in removed]
        state.save_files(where, archive, kept)
    _log(result)
    return result


def _log(result: BuildResult) -> None:
    event(
        log,
        "feeds.built",
        out=result.out_dir,
        feeds=result.feeds,
        rendered=len(result.rendered),
        written=len(result.written),
        unchanged=result.unchanged,
        removed=len(result.removed),
    )


def build_from_articles(stored: Sequence[StoredArticle], settings: Settings, out_dir: Path) -> BuildResult:
    """Build from articles in memory (the benchmark, tests); same output as `build_feeds` for the same articles.

    An article version is its id, `version` and `last_changed_at`, as the store keeps them: an
    article changed in memory without either is not rebuilt.
    """
    if not stored:
        return BuildResult(out_dir=out_dir)
    by_id = {s.id: s for s in stored}
    return _build(
        settings, out_dir, counts_of(stored), lambda: index_of(stored), lambda ids: [by_id[i] for i in ids]
    )


def build_feeds(runtime: Runtime, out_dir: Path | None = None) -> BuildResult:
    """Build every feed from the store into `out_dir` (default: the public folder).

    An empty archive builds nothing and deletes nothing: an empty store is far more often a wrong
    database URL than a newsroom that unpublished everything.
    """
    settings = runtime.settings
    out_dir = out_dir if out_dir is not None else settings.public_dir
    with runtime.store.connect() as conn:
        counts = archive_counts(conn)
    if not counts.articles:
        event(log, "feeds.nothing_to_build", reason="no articles in the store")
        return BuildResult(out_dir=out_dir)

    def read_index() -> list[IndexRow]:
        with runtime.store.connect() as conn:
            return load_index(conn)

    def load(ids: list[str]) -> list[StoredArticle]:
        with runtime.store.connect() as conn:
            return get_articles(conn, ids)

    return _build(settings, out_dir, counts, read_index, load)
