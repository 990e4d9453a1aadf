"""The public web-archive copy of each issue: the same HTML, with no subscriber's links in it.

Its URL is decided before the issue is stored (the footer of the email links to it), so the file
name carries a key derived from the issue's articles rather than the database id: preparing the
same issue again after a crash gives the same URL.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from urllib.parse import unquote, urlsplit

from nashra.config import Settings
from nashra.config.digests import DigestSettings
from nashra.digest.placeholders import fill
from nashra.feeds.write import write_if_changed
from nashra.store.digests import IssueRecord
from nashra.text import slugify
from nashra.text.urls import to_uri

FOLDER = "digests"


def manage_url(settings: Settings, digest: DigestSettings | None) -> str:
    """Where a reader of a copy with no subscriber in it can manage (or end) a subscription."""
    if digest is not None and digest.manage_url:
        return digest.manage_url
    return f"{settings.site.base_url}/subscribe"


def archive_url(settings: Settings, digest: DigestSettings, article_ids: Sequence[str], now: datetime) -> str:
    key = hashlib.sha256("\n".join([digest.name, *article_ids]).encode()).hexdigest()[:10]
    day = now.astimezone(settings.site.zone).date().isoformat()
    return to_uri(f"{settings.site.base_url}/{FOLDER}/{slugify(digest.name)}/{day}-{key}.html")


def archive_route(url: str) -> str:
    """The path of archive `url` from "/digests/" on, as the URL has it (percent-encoded): where
    `nashra serve` answers for the copy below its own root, whatever the site's base path."""
    path = urlsplit(url).path
    start = path.find(f"/{FOLDER}/")
    if start < 0:
        raise ValueError(f"{url} is not a digest archive URL")
    return path[start:]


def archive_path(settings: Settings, url: str) -> Path:
    """Where under the public folder the copy behind `url` lives (whatever the site's base path)."""
    relative = Path(unquote(archive_route(url)).removeprefix("/"))
    if ".." in relative.parts:
        raise ValueError(f"{url} is not a digest archive URL")
    return settings.public_dir / relative


def public_copy(settings: Settings, html: str, digest: DigestSettings | None = None) -> str:
    return fill(html, unsubscribe_url=manage_url(settings, digest))


def write_archive(settings: Settings, issue: IssueRecord) -> Path:
    """Write (or rewrite, identically) the archive copy of `issue`; returns its path."""
    digest = next((d for d in settings.digests if d.name == issue.digest), None)
    path = archive_path(settings, issue.archive_url)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Atomic, through a temporary file of its own: the batches of one issue on several workers
    # write it at the same moment (one shared temporary name made all but one fail).
    write_if_changed(path, public_copy(settings, issue.html, digest).encode())
    return path
