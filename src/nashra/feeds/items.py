"""One stored article turned into what every feed format needs, cleaned and sanitised once.

An article sits in the site feed, its section feed and several tag feeds, each in every format;
sanitising its body (nh3) and choosing its teaser is the expensive part of a build, so it happens
here once per article version, and `state` keeps the result for every later build. Everything
that reaches lxml through feedgen is cleaned first: lxml raises ValueError on the first control
character, and a bidi control in a title reorders it in every reader. What was removed is logged
per article so a bad source shows up.
"""

from __future__ import annotations

import html
import logging
import mimetypes
import re
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urljoin, urlsplit

from nashra.config import Settings
from nashra.logs import event
from nashra.model import StoredArticle
from nashra.text import clean_text_report, html_to_text, normalize_for_match, sanitize_html, truncate
from nashra.text.html import excerpt_source
from nashra.text.urls import to_uri

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ItemImage:
    url: str
    alt: str
    caption: str
    mime_type: str | None
    length: int | None


@dataclass(frozen=True, slots=True)
class FeedItem:
    article_id: str
    guid: str
    url: str
    title: str
    published: datetime
    updated: datetime
    changed: datetime
    """Latest of published, updated and the moment ingest saw the article change: the feed-level date."""
    author: str
    categories: tuple[str, ...]
    summary: str
    content_html: str
    image: ItemImage | None
    language: str


class _Cleaner:
    """Cleans fields of one article and remembers how many characters each lost."""

    def __init__(self) -> None:
        self.removed: dict[str, int] = {}

    def __call__(self, field: str, value: str, *, keep_newlines: bool = False) -> str:
        text, removed = clean_text_report(value, keep_newlines=keep_newlines)
        if removed:
            self.removed[field] = self.removed.get(field, 0) + removed
        return text


def _image(stored: StoredArticle, base_url: str, clean: _Cleaner) -> ItemImage | None:
    image = stored.article.image
    if image is None:
        return None
    raw = clean("image.url", image.url)
    if not raw:
        return None
    url = urljoin(base_url, to_uri(raw))
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None  # a data: or javascript: "image" is no picture a reader should fetch
    mime_type = image.mime_type or mimetypes.guess_type(parts.path)[0]
    if mime_type is not None and not mime_type.startswith("image/"):
        mime_type = None
    length = image.length if image.length and image.length > 0 else None
    caption = clean("image.caption", image.caption)
    return ItemImage(
        url=url,
        alt=clean("image.alt", image.alt) or caption,
        caption=caption,
        mime_type=mime_type,
        length=length,
    )


def _opens_with(body: str, lead: str) -> bool:
    """Whether the body's text already starts with the lead (a WordPress excerpt is cut from it).

    Compared as match keys, so markup, punctuation and the excerpt's closing "[…]" do not count.
    """
    return normalize_for_match(html_to_text(body)).startswith(normalize_for_match(lead))


def _content(body: str, lead: str, image: ItemImage | None, base_url: str) -> str:
    """Sanitised cleaned body with absolute URLs, led by the image as Ghost does (Atom readers drop enclosures).

    The lead comes next, as its own paragraph: readers show the content instead of the summary,
    and a story that opened with "read the lead elsewhere" would lose its first sentences.
    """
    figure = ""
    if image is not None:
        caption = f"<figcaption>{html.escape(image.caption)}</figcaption>" if image.caption else ""
        figure = (
            f'<figure><img src="{html.escape(image.url)}" alt="{html.escape(image.alt)}">{caption}</figure>'
        )
    opening = f"<p>{html.escape(lead)}</p>" if lead and not _opens_with(body, lead) else ""
    # Every part is cleaned text joined at ASCII markup, which nothing composes with: still clean.
    return sanitize_html(figure + opening + body, base_url=base_url, cleaned=True)


_LANGUAGE_TAG = re.compile(r"[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*")


def _language(value: str, default: str) -> str:
    """A BCP 47 tag as feeds require ("ar-DZ", not "ar_DZ"); anything else falls back to the site's."""
    tag = value.strip().replace("_", "-")
    return tag if _LANGUAGE_TAG.fullmatch(tag) else default


def _dedupe(values: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v for v in values if v))


def prepare_item(stored: StoredArticle, settings: Settings) -> FeedItem:
    article = stored.article
    feeds = settings.feeds
    zone = settings.site.zone
    clean = _Cleaner()
    # Relative links (some CMS exports) are resolved against the site: feed readers have no base.
    url = urljoin(settings.site.base_url + "/", to_uri(clean("url", article.url)))
    image = _image(stored, url, clean)
    body_text = clean("body", article.body_html, keep_newlines=True)
    lead = excerpt_source(clean("lead", article.lead), "")
    teaser = lead or excerpt_source("", body_text)
    summary = truncate(" ".join(teaser.split()), feeds.summary_length)
    title = clean("title", article.title)
    if not title:
        # Atom and feedgen require a title; an empty one would drop the item from every feed.
        title = truncate(summary, 80) or url
        clean.removed["title.empty"] = 1
    published = article.published_at.astimezone(zone)
    updated = (article.updated_at or article.published_at).astimezone(zone)
    changed = max(published, updated, stored.last_changed_at.astimezone(zone))
    item = FeedItem(
        article_id=stored.id,
        guid=feeds.guid_prefix + stored.id,
        url=url,
        title=title,
        published=published,
        updated=updated,
        changed=changed,
        author=clean("author", article.author),
        categories=_dedupe([clean("section", article.section), *(clean("tags", t) for t in article.tags)]),
        summary=summary,
        content_html=_content(body_text, lead, image, url) if feeds.full_content else "",
        image=image,
        language=_language(article.language, settings.site.language),
    )
    if clean.removed:
        event(
            log,
            "feeds.cleaned",
            level=logging.WARNING,
            article=stored.id,
            url=url,
            removed=",".join(f"{k}:{v}" for k, v in sorted(clean.removed.items())),
        )
    return item
