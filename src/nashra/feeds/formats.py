"""The feed formats, one row each: a new format is a writer function and one more row here.

Build, write, the pipeline step and the web app all read this table, so a format's file name and
media type are stated once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from nashra.feeds.document import FeedMeta, PreparedItem, SelfLink
from nashra.feeds.jsonfeed import render_json
from nashra.feeds.rss_atom import render_atom, render_rss

Writer = Callable[[FeedMeta, Sequence[PreparedItem], SelfLink], bytes]


@dataclass(frozen=True, slots=True)
class FeedFormat:
    name: str
    file_name: str
    """Inside each feed's folder, e.g. feeds/sections/<slug>/rss.xml."""
    media_type: str
    """Content type without parameters; every feed file is UTF-8."""
    write: Writer


FORMATS: tuple[FeedFormat, ...] = (
    FeedFormat("rss", "rss.xml", "application/rss+xml", render_rss),
    FeedFormat("atom", "atom.xml", "application/atom+xml", render_atom),
    FeedFormat("json", "feed.json", "application/feed+json", render_json),
)

BY_FILE_NAME: dict[str, FeedFormat] = {f.file_name: f for f in FORMATS}
