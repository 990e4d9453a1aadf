"""A folder of Markdown files with YAML front matter: the simplest way to feed Nashra by hand.

Front matter keys: id (default: file name), title, date, updated, author, section, keywords
(or tags), lead, url (default: <base_url>/<section>/<id>), image {url, alt, caption}. The body is
Markdown: `## ` sub-headings, `> ` pull quotes.
"""

from __future__ import annotations

import os
from datetime import date, datetime
from pathlib import Path
from typing import Any

import frontmatter
import yaml
from markdown_it import MarkdownIt

from nashra.config import SourceSettings
from nashra.errors import SourceError, Unverified
from nashra.model import Article, Image
from nashra.sources.base import FetchResult, SourceBase, SourceContext, SourceOptions
from nashra.store.sources import SourceState
from nashra.text import clean_text, slugify

_markdown = MarkdownIt("commonmark", {"html": False, "typographer": False})


class FolderOptions(SourceOptions):
    path: Path
    pattern: str = "*.md"


def _aware(value: Any, key: str) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise ValueError(f"{key}: {value!r} is not an ISO 8601 date-time") from None
    if isinstance(value, date) and not isinstance(value, datetime):
        raise ValueError(f"{key}: {value} has no time and zone; write e.g. {value}T09:00:00+01:00")
    if not isinstance(value, datetime):
        raise ValueError(f"{key}: expected a date-time, got {type(value).__name__}")
    if value.tzinfo is None:
        raise ValueError(f"{key}: {value.isoformat()} has no time zone offset; add one, e.g. +01:00")
    return value


class FolderSource(SourceBase[FolderOptions]):
    kind = "folder"

    def __init__(self, config: SourceSettings, options: FolderOptions, context: SourceContext) -> None:
        super().__init__(config, options, context)
        self.folder = context.settings.resolve(options.path)
        self.pattern = options.pattern

    def fetch(self, state: SourceState) -> FetchResult:
        if not self.folder.is_dir():
            raise SourceError(f"folder {self.folder} does not exist", where=self.name)
        result = FetchResult()
        for path in sorted(self.folder.glob(self.pattern)):
            try:
                result.articles.append(self._article(path))
            except (ValueError, KeyError, TypeError, yaml.YAMLError, UnicodeDecodeError) as exc:
                detail = str(exc).replace("\n", " ")
                result.problems.append(f"{path}: skipped: {detail}")
        return result

    def verify(self) -> str:
        if not os.access(self.folder, os.R_OK | os.X_OK) and self.folder.is_dir():
            raise Unverified(f"folder {self.folder} is not readable by this user")
        return f"folder {self.folder}: {super().verify()}"

    def _article(self, path: Path) -> Article:
        post = frontmatter.loads(path.read_text(encoding="utf-8"))
        meta = post.metadata
        if not meta.get("title"):
            raise ValueError("front matter has no title")
        published = _aware(meta.get("date"), "date")
        if published is None:
            raise ValueError("front matter has no date")
        guid = str(meta.get("id") or path.stem)
        section = clean_text(str(meta.get("section", "")))
        base = self.context.settings.site.base_url
        url = str(meta.get("url") or f"{base}/{slugify(section) if section else 'articles'}/{slugify(guid)}")
        keywords = meta.get("keywords", meta.get("tags", [])) or []
        if isinstance(keywords, str):
            keywords = [k.strip() for k in keywords.replace("،", ",").split(",")]
        elif not isinstance(keywords, list):
            raise TypeError(
                f"keywords must be a list or a comma-separated string, not {type(keywords).__name__}"
            )
        raw_image = meta.get("image")
        image = None
        if isinstance(raw_image, dict) and raw_image.get("url"):
            image = Image(
                url=str(raw_image["url"]),
                alt=clean_text(str(raw_image.get("alt", ""))),
                caption=clean_text(str(raw_image.get("caption", ""))),
            )
        elif isinstance(raw_image, str) and raw_image:
            image = Image(url=raw_image)
        return Article(
            source=self.name,
            guid=guid,
            url=url,
            title=clean_text(str(meta["title"])),
            published_at=published,
            updated_at=_aware(meta.get("updated"), "updated"),
            author=clean_text(str(meta.get("author", ""))),
            section=section,
            tags=tuple(t for t in (clean_text(str(k)) for k in keywords) if t),
            lead=clean_text(str(meta.get("lead", ""))),
            body_html=_markdown.render(post.content),
            image=image,
            language=str(meta.get("language") or self.context.settings.site.language),
        )
