"""Posts that are not final, each with what is happening and what the operator can do.

`nashra post` and `nashra status` both show this list, so no post is ever invisible: not one left
"publishing" by a process that died, not one waiting for a retry whose article has since grown
older than `max_age_hours`, not one whose outcome only the operator can settle.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection

from nashra.social.post import STALE_PUBLISHING
from nashra.store import posts as records
from nashra.store.articles import get_articles
from nashra.store.posts import FailureKind, PostRecord, PostStatus


@dataclass(frozen=True, slots=True)
class OpenPost:
    record: PostRecord
    title: str
    state: str
    """What is happening, with the platform's last answer."""
    action: str
    """What the operator can do (or that nothing is needed)."""


def _at(moment: datetime | None) -> str:
    return moment.isoformat(timespec="seconds") if moment else "?"


def describe(record: PostRecord, now: datetime) -> tuple[str, str]:
    """(state, action) for a post that is not final."""
    post = record.id
    error = f": {record.last_error}" if record.last_error else ""
    if record.status is PostStatus.PUBLISHING:
        if record.updated_at >= now - STALE_PUBLISHING:
            return f"publishing since {_at(record.updated_at)}", (
                "nothing: a run is sending it now; if that run died, a run 15 minutes on settles it"
            )
        return (
            f"interrupted while publishing at {_at(record.updated_at)}",
            (
                "nothing: the next run sends it again where the platform deduplicates, otherwise marks it "
                f"unknown; then check the platform and `nashra post --mark-posted {post}` or `--send-again {post}`"
            ),
        )
    if record.status is PostStatus.RETRY:
        if record.next_attempt_at is None:
            return "to be sent again", "nothing: the next run sends it"
        waiting = "rate limited" if record.error_kind is FailureKind.RATE_LIMITED else "retrying"
        return (
            f"{waiting} after attempt {record.attempts}{error}",
            f"nothing: tried again by the first run after {_at(record.next_attempt_at)}",
        )
    return (
        f"outcome unknown after attempt {record.attempts}{error}",
        (
            f"check the platform, then `nashra post --mark-posted {post}` (it is there) "
            f"or `--send-again {post}` (it is not)"
        ),
    )


def open_posts(conn: Connection, now: datetime, *, channel: str | None = None) -> list[OpenPost]:
    """Every post not posted nor failed, oldest first, with the article's title."""
    pending = records.open_records(conn, channel=channel)
    titles = {a.id: a.title for a in get_articles(conn, list({r.article_id for r in pending}))}
    return [
        OpenPost(record, titles.get(record.article_id, record.article_id), *describe(record, now))
        for record in pending
    ]
