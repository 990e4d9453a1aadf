"""Click counts of digest issues: per (issue, article) in aggregate, and — only when the operator
turns them on — which subscriber followed which story.

`digest_clicks` holds numbers, nobody's data: every click on a story link adds one. Its rows are
written by one atomic INSERT … ON CONFLICT DO UPDATE SET clicks = clicks + 1, so clicks arriving
together on several web processes are all counted, on SQLite and PostgreSQL alike.

`digest_subscriber_clicks` is personal data: one row per (issue, article, subscriber), made by the
first click and left as it is by every later one (a link scanner fetching a link again and again
makes one row). It is written only for a subscriber the issue was delivered to, and is erased with
the subscriber (`forget`, and ON DELETE CASCADE).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Column, Connection, ForeignKey, Index, Integer, String, Table, exists, literal, select

from nashra.store.deliveries import deliveries
from nashra.store.digests import digest_issue_articles
from nashra.store.schema import articles, metadata
from nashra.store.types import UTCDateTime
from nashra.store.upsert import conflict_insert

digest_clicks = Table(
    "digest_clicks",
    metadata,
    Column("issue_id", Integer, ForeignKey("digest_issues.id", ondelete="CASCADE"), primary_key=True),
    Column("article_id", String(40), primary_key=True),
    Column("clicks", Integer, nullable=False),
)

subscriber_clicks = Table(
    "digest_subscriber_clicks",
    metadata,
    Column("issue_id", Integer, ForeignKey("digest_issues.id", ondelete="CASCADE"), primary_key=True),
    Column("article_id", String(40), primary_key=True),
    Column("subscriber_id", Integer, ForeignKey("subscribers.id", ondelete="CASCADE"), primary_key=True),
    Column("clicked_at", UTCDateTime(), nullable=False),  # the first click
    Index(None, "subscriber_id"),
)


@dataclass(frozen=True, slots=True)
class ClickTarget:
    url: str
    issue_id: int | None
    """The issue of the digest that carried the article; None before one did (a preview's link)."""


@dataclass(frozen=True, slots=True)
class StoryClicks:
    article_id: str
    title: str
    """"" when the article is no longer stored."""
    clicks: int


@dataclass(frozen=True, slots=True)
class IssueClicks:
    total: int
    top: tuple[StoryClicks, ...]
    """The most followed stories, most clicks first."""


def click_target(conn: Connection, digest: str, article_id: str) -> ClickTarget | None:
    """Where the story link of `article_id` in `digest` leads: the URL the digest's issue recorded
    for it (the article's own before any issue carried it); None when Nashra knows neither."""
    row = conn.execute(
        select(digest_issue_articles.c.issue_id, digest_issue_articles.c.url)
        .where(digest_issue_articles.c.article_id == article_id, digest_issue_articles.c.digest == digest)
        .order_by(digest_issue_articles.c.issue_id.desc())
        .limit(1)
    ).first()
    url = row.url if row is not None and row.url else None
    if url is None:
        url = conn.execute(select(articles.c.url).where(articles.c.id == article_id)).scalar_one_or_none()
    return ClickTarget(url, row.issue_id if row is not None else None) if url else None


def count_click(conn: Connection, issue_id: int, article_id: str) -> None:
    statement = conflict_insert(conn, digest_clicks).values(
        issue_id=issue_id, article_id=article_id, clicks=1
    )
    conn.execute(
        statement.on_conflict_do_update(
            index_elements=[digest_clicks.c.issue_id, digest_clicks.c.article_id],
            set_={"clicks": digest_clicks.c.clicks + 1},
        )
    )


def record_reader(
    conn: Connection, issue_id: int, article_id: str, subscriber_id: int, *, now: datetime
) -> bool:
    """Record that the subscriber followed the story, if this is their first click on it and the
    issue was delivered to them (an id given to someone else since never is); True when recorded."""
    delivered = exists().where(deliveries.c.issue_id == issue_id, deliveries.c.subscriber_id == subscriber_id)
    row = select(
        literal(issue_id), literal(article_id), literal(subscriber_id), literal(now, UTCDateTime())
    ).where(delivered)
    statement = conflict_insert(conn, subscriber_clicks).from_select(
        ["issue_id", "article_id", "subscriber_id", "clicked_at"], row
    )
    return conn.execute(statement.on_conflict_do_nothing()).rowcount > 0


def forget(conn: Connection, subscriber_id: int) -> None:
    """Erase which stories a subscriber followed (before erasing the subscriber)."""
    conn.execute(subscriber_clicks.delete().where(subscriber_clicks.c.subscriber_id == subscriber_id))


def issue_clicks(conn: Connection, issue_ids: Sequence[int], *, top: int = 3) -> dict[int, IssueClicks]:
    """Each issue's clicks in all and its `top` most followed stories (issues without a click: absent)."""
    rows = conn.execute(
        select(digest_clicks.c.issue_id, digest_clicks.c.article_id, digest_clicks.c.clicks, articles.c.title)
        .outerjoin(articles, articles.c.id == digest_clicks.c.article_id)
        .where(digest_clicks.c.issue_id.in_(list(issue_ids)))
        .order_by(digest_clicks.c.issue_id, digest_clicks.c.clicks.desc(), digest_clicks.c.article_id)
    ).all()
    stories: dict[int, list[StoryClicks]] = {}
    for row in rows:
        stories.setdefault(row.issue_id, []).append(StoryClicks(row.article_id, row.title or "", row.clicks))
    return {
        issue: IssueClicks(sum(s.clicks for s in found), tuple(found[:top]))
        for issue, found in stories.items()
    }
