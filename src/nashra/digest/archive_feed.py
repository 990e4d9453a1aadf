"""The RSS 2.0 feed of the digest archive: one item per issue that went out, linking to its web copy.

Written through the article feeds' feedgen wrapper (feeds.rss_atom), so feedgen's defects are met
the same way: items kept in their order, the channel's dates taken from the items (the same
archive gives the same bytes), the alternate link added last. Subjects and preheaders are cleaned
first: a subject template may isolate Latin runs with LRI…PDI, and lxml refuses control characters.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from feedgen.entry import FeedEntry

from nashra.config import Settings
from nashra.feeds.document import FeedMeta, SelfLink
from nashra.feeds.formats import BY_FILE_NAME
from nashra.feeds.rss_atom import rss_document
from nashra.store.archive import ArchivedIssue
from nashra.text import clean_text

RSS_FILE = "rss.xml"
RSS_MEDIA_TYPE = BY_FILE_NAME[RSS_FILE].media_type


def _entry(issue: ArchivedIssue, zone: ZoneInfo) -> FeedEntry:
    entry = FeedEntry()
    # The URL the mail linked to: it never changes, so it is the item's permanent id too.
    entry.guid(issue.archive_url, permalink=True)
    entry.title(clean_text(issue.subject))
    entry.link(href=issue.archive_url, rel="alternate")
    entry.published(issue.created_at.astimezone(zone))
    entry.updated(issue.created_at.astimezone(zone))
    if preheader := clean_text(issue.preheader):
        entry.summary(preheader)
    return entry


def archive_rss(
    settings: Settings, issues: Sequence[ArchivedIssue], *, title: str, home_url: str, self_url: str
) -> bytes:
    """The feed of `issues` (newest first), served at `self_url`; `home_url` is the archive's index."""
    site = settings.site
    entries = [_entry(issue, site.zone) for issue in issues]
    meta = FeedMeta(
        id=self_url,
        title=clean_text(title),
        subtitle=clean_text(site.description) or clean_text(title),
        language=site.language,
        home_url=home_url,
        author=clean_text(site.name),
        # With no issue yet there is no date to repeat: the feed is then as new as the request.
        updated=issues[0].created_at.astimezone(site.zone) if issues else datetime.now(UTC),
        hub_url=None,
    )
    return rss_document(meta, entries, SelfLink(self_url, RSS_MEDIA_TYPE))
