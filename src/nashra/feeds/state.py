"""What earlier builds did, kept on disk so that no build, in any process, does it again.

Two tables in one SQLite file under the data folder (stdlib sqlite3: it is a cache beside the
store, whichever database the store is, and deleting it only costs one full build):

- `items`: each article version's prepared feed item (cleaned, sanitised, summarised), under a
  key naming the article version and everything else the preparation reads (settings, code);
- `files`: per output folder, each feed file's fingerprint (the keys of its items, its name and
  URL) with the size and mtime it was written with. A feed whose fingerprint is unchanged and
  whose file is still as written is neither rendered nor read;
- `builds`: per output folder, the archive summary (see `archive_summary`) the last build saw,
  so that a build with nothing new does not even read the index.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import closing, contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from nashra import __version__
from nashra.config import Settings
from nashra.feeds.items import FeedItem, ItemImage

STATE_FILE = "feeds-state.sqlite"
ITEM_FORMAT = 1
"""Bump when `prepare_item`, a writer or the stored form changes output: every stored item and
feed fingerprint is then stale."""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS items (key TEXT PRIMARY KEY, item TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS builds (out_dir TEXT PRIMARY KEY, archive TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS files (
    out_dir TEXT NOT NULL, path TEXT NOT NULL, fingerprint TEXT NOT NULL,
    size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL, PRIMARY KEY (out_dir, path)
);
"""


class Written(NamedTuple):
    """A feed file as the build last left it."""

    fingerprint: str
    size: int
    mtime_ns: int


def settings_key(settings: Settings) -> str:
    """Everything besides the article that a prepared item or a feed's bytes depend on."""
    text = repr((ITEM_FORMAT, __version__, settings.site, settings.feeds))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def item_key(settings_digest: str, article_id: str, version: int, changed: datetime) -> str:
    """One article version under one configuration; `changed` is the store's last_changed_at."""
    return f"{settings_digest[:16]}:{article_id}:{version}:{changed.timestamp()!r}"


def archive_summary(settings_digest: str, count: int, versions: int, latest: datetime | None) -> str:
    """What changes whenever the store inserts, edits or deletes an article: the number of
    articles, the sum of their versions (each edit adds one) and the latest change."""
    stamp = "" if latest is None else repr(latest.timestamp())
    return f"{settings_digest}:{count}:{versions}:{stamp}"


def fingerprint(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


def _encode(item: FeedItem) -> str:
    image = item.image
    return json.dumps(
        [
            item.article_id,
            item.guid,
            item.url,
            item.title,
            item.published.isoformat(),
            item.updated.isoformat(),
            item.changed.isoformat(),
            item.author,
            item.categories,
            item.summary,
            item.content_html,
            None if image is None else [image.url, image.alt, image.caption, image.mime_type, image.length],
            item.language,
        ],
        ensure_ascii=False,
        separators=(",", ":"),
    )


def _decode(text: str, zone: ZoneInfo) -> FeedItem:
    values: list[Any] = json.loads(text)
    (article_id, guid, url, title, published, updated, changed) = values[:7]
    author, categories, summary, content_html, image, language = values[7:]
    return FeedItem(
        article_id=article_id,
        guid=guid,
        url=url,
        title=title,
        published=datetime.fromisoformat(published).astimezone(zone),
        updated=datetime.fromisoformat(updated).astimezone(zone),
        changed=datetime.fromisoformat(changed).astimezone(zone),
        author=author,
        categories=tuple(categories),
        summary=summary,
        content_html=content_html,
        image=None if image is None else ItemImage(*image),
        language=language,
    )


class BuildState:
    def __init__(self, conn: sqlite3.Connection, zone: ZoneInfo) -> None:
        self._conn = conn
        self._zone = zone

    def items(self, keys: Sequence[str]) -> dict[str, FeedItem]:
        """The prepared items stored under any of `keys`."""
        found: dict[str, FeedItem] = {}
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            marks = ",".join("?" * len(chunk))
            query = f"SELECT key, item FROM items WHERE key IN ({marks})"
            for key, text in self._conn.execute(query, chunk):
                found[key] = _decode(text, self._zone)
        return found

    def save_items(self, items: dict[str, FeedItem], keep: Iterable[str]) -> None:
        """Store new items and forget those of article versions no feed lists any more."""
        with self._conn:
            self._conn.executemany(
                "INSERT OR REPLACE INTO items (key, item) VALUES (?, ?)",
                [(key, _encode(item)) for key, item in items.items()],
            )
            self._conn.execute("CREATE TEMP TABLE IF NOT EXISTS keep (key TEXT PRIMARY KEY)")
            self._conn.execute("DELETE FROM temp.keep")
            self._conn.executemany("INSERT OR IGNORE INTO temp.keep VALUES (?)", ((k,) for k in keep))
            self._conn.execute("DELETE FROM items WHERE key NOT IN (SELECT key FROM temp.keep)")

    def archive(self, out_dir: Path) -> str | None:
        row = self._conn.execute("SELECT archive FROM builds WHERE out_dir = ?", (str(out_dir),)).fetchone()
        return None if row is None else str(row[0])

    def files(self, out_dir: Path) -> dict[str, Written]:
        query = "SELECT path, fingerprint, size, mtime_ns FROM files WHERE out_dir = ?"
        return {
            path: Written(fp, size, mtime)
            for path, fp, size, mtime in self._conn.execute(query, (str(out_dir),))
        }

    def save_files(self, out_dir: Path, archive: str, files: dict[str, Written]) -> None:
        """Replace what is known about `out_dir` with `files` (the feeds this build left there)."""
        with self._conn:
            self._conn.execute("INSERT OR REPLACE INTO builds VALUES (?, ?)", (str(out_dir), archive))
            self._conn.execute("DELETE FROM files WHERE out_dir = ?", (str(out_dir),))
            self._conn.executemany(
                "INSERT INTO files VALUES (?, ?, ?, ?, ?)",
                [(str(out_dir), path, *written) for path, written in files.items()],
            )


@contextmanager
def open_state(settings: Settings) -> Iterator[BuildState]:
    path = settings.data_dir / STATE_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    with closing(sqlite3.connect(path, timeout=60)) as conn:
        conn.executescript(_SCHEMA)
        yield BuildState(conn, settings.site.zone)
