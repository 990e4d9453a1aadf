"""RSS 2.0 and Atom 1.0 through feedgen, with its known gaps filled.

feedgen 1.0.0 pitfalls handled here (see DESIGN.md):
- entries are added with order="append" (the default prepends, reversing newest-first);
- feed `updated`/`lastBuildDate` default to *now*, which would make every build differ: both are set
  from the items, so an unchanged feed is byte-identical;
- Atom entry links lose rel/type/length (upstream #135), so an `enclosure()` would become a second
  bare alternate link: the RSS enclosure is written by our own RSS-only entry extension, and the image
  travels as `media:content` (both formats) and as an <img> at the top of the content;
- RSS writes only the rel=self atom:link: rel=hub is added by our RSS-only feed extension (#122);
- the RSS channel <link> is the last link added, so the alternate link goes last;
- RSS <author> needs an email, so names go out as dc:creator (dc extension, RSS only).

One FeedEntry per article per build is shared by every feed it appears in: feedgen re-registers
extensions on add and ignores the ones already there.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from feedgen.entry import FeedEntry
from feedgen.ext.base import BaseEntryExtension, BaseExtension
from feedgen.ext.dc import DcEntryExtension, DcExtension
from feedgen.ext.media import MediaEntryExtension, MediaExtension
from feedgen.feed import FeedGenerator
from feedgen.util import xml_elem

from nashra.feeds.document import FeedMeta, PreparedItem, SelfLink
from nashra.feeds.items import FeedItem

ATOM_NS = "http://www.w3.org/2005/Atom"
DCTERMS_NS = "http://purl.org/dc/terms/"
GENERATOR = "Nashra"


class _RssChannelExtension(BaseExtension):
    """Adds <atom:link rel="hub"> to the RSS channel, which feedgen leaves out."""

    def __init__(self) -> None:
        self.hub_url: str | None = None

    def extend_ns(self) -> dict[str, str]:
        return {"dcterms": DCTERMS_NS}

    def extend_rss(self, rss_feed):  # type: ignore[no-untyped-def]
        if self.hub_url:
            xml_elem(f"{{{ATOM_NS}}}link", rss_feed[0], href=self.hub_url, rel="hub")
        return rss_feed


class _RssItemExtension(BaseEntryExtension):
    """RSS-only item parts: the <enclosure>, kept away from Atom where feedgen would mangle it (#135),
    and the updated time, which RSS 2.0 lacks: <dcterms:modified> (read by feedparser and validators).
    """

    def __init__(self) -> None:
        self.enclosure: tuple[str, int, str] | None = None
        self.modified: datetime | None = None

    def extend_rss(self, item):  # type: ignore[no-untyped-def]
        if self.modified:
            xml_elem(f"{{{DCTERMS_NS}}}modified", item).text = self.modified.isoformat()
        if self.enclosure:
            url, length, mime_type = self.enclosure
            xml_elem("enclosure", item, url=url, length=str(length), type=mime_type)
        return item


def _register(target: FeedGenerator | FeedEntry, *, feed_level: bool) -> None:
    """The same extensions with the same atom/rss switches on feeds and on entries.

    Entries register theirs when created, since one entry serves many feeds; `add_entry` then finds
    them already there and skips them.
    """
    for name, feed_class, entry_class, atom in (
        ("dc", DcExtension, DcEntryExtension, False),
        ("media", MediaExtension, MediaEntryExtension, True),
        ("nashra", _RssChannelExtension, _RssItemExtension, False),
    ):
        if feed_level:
            target.register_extension(name, feed_class, entry_class, atom=atom, rss=True)
        else:
            target.register_extension(name, entry_class, atom=atom, rss=True)


def feed_entry(item: FeedItem) -> FeedEntry:
    entry = FeedEntry()
    _register(entry, feed_level=False)
    entry.id(item.guid)  # also the RSS guid, isPermaLink="false": stable across edits and URL changes
    entry.title(item.title)
    entry.link(href=item.url, rel="alternate")
    entry.published(item.published)
    entry.updated(item.updated)
    entry.nashra.modified = item.updated
    if item.summary:
        entry.summary(item.summary)
    if item.content_html:
        entry.content(item.content_html, type="html")
    if item.author:
        entry.author({"name": item.author})
        entry.dc.dc_creator(item.author)
    if item.categories:
        entry.category([{"term": term} for term in item.categories])
    if item.image is not None:
        image = item.image
        media = {"url": image.url, "medium": "image"}
        if image.mime_type:
            media["type"] = image.mime_type
        if image.length:
            media["fileSize"] = str(image.length)
        entry.media.content(media, group=None)
        if image.length and image.mime_type:
            entry.nashra.enclosure = (image.url, image.length, image.mime_type)
    return entry


def _generator(meta: FeedMeta, entries: list[FeedEntry]) -> FeedGenerator:
    generator = FeedGenerator()
    _register(generator, feed_level=True)
    generator.id(meta.id)
    generator.title(meta.title)
    generator.subtitle(meta.subtitle)
    generator.language(meta.language)
    generator.author({"name": meta.author})
    generator.generator(GENERATOR)
    generator.updated(meta.updated)  # also lastBuildDate; feedgen's default is "now"
    generator.nashra.hub_url = meta.hub_url
    for entry in entries:
        generator.add_entry(entry, order="append")
    return generator


def _links(generator: FeedGenerator, meta: FeedMeta, self_link: SelfLink) -> None:
    links = [{"href": self_link.url, "rel": "self", "type": self_link.media_type}]
    if meta.hub_url:
        links.append({"href": meta.hub_url, "rel": "hub"})
    links.append({"href": meta.home_url, "rel": "alternate", "type": "text/html"})  # last: RSS <link>
    generator.link(links, replace=True)


def rss_document(meta: FeedMeta, entries: Sequence[FeedEntry], self_link: SelfLink) -> bytes:
    """RSS 2.0 of any entries, in their order, with the same feed-level fixes as the article feeds
    (the digest archive's feed lists issues through it); the hub link is added by the RSS-only
    extension (feedgen leaves it out)."""
    generator = _generator(meta, list(entries))
    _links(generator, meta, self_link)
    return bytes(generator.rss_str(pretty=True))


def render_rss(meta: FeedMeta, items: Sequence[PreparedItem], self_link: SelfLink) -> bytes:
    return rss_document(meta, [p.entry for p in items], self_link)


def render_atom(meta: FeedMeta, items: Sequence[PreparedItem], self_link: SelfLink) -> bytes:
    """Atom 1.0, where the hub link is native."""
    generator = _generator(meta, [p.entry for p in items])
    _links(generator, meta, self_link)
    return bytes(generator.atom_str(pretty=True))
