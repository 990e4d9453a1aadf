"""Digest issues: what each digest contained, as rendered, and how far sending got.

An issue is stored whole (subject, HTML, text) before the first message leaves, so a crashed send
resumes with exactly the same content, and its articles are recorded (with their URL and title
key) so the next issue of that digest never repeats them, even when a story is re-posted under a
new id.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    select,
    text,
)

from nashra.store.schema import metadata
from nashra.store.types import UTCDateTime


class IssueStatus(StrEnum):
    """`digest_issues.status`; the values are the stored text."""

    READY = "ready"  # recorded; its deliveries may not be queued yet
    SENDING = "sending"
    SENT = "sent"
    SKIPPED = "skipped"  # an operator skipped it: its articles are used up, nothing was sent


digest_issues = Table(
    "digest_issues",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("digest", String(100), nullable=False),
    Column("subject", Text, nullable=False),
    Column("preheader", Text, nullable=False),
    Column("html", Text, nullable=False),
    Column("text", Text, nullable=False),
    Column("archive_url", Text, nullable=False),
    Column("status", String(20), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("sent_at", UTCDateTime()),
    Column("paced_until", UTCDateTime()),  # the end of the send-rate slots its batches took so far
    Index(None, "digest", "created_at"),
)

digest_issue_articles = Table(
    "digest_issue_articles",
    metadata,
    Column("issue_id", Integer, ForeignKey("digest_issues.id", ondelete="CASCADE"), primary_key=True),
    Column("article_id", String(40), primary_key=True),
    Column("digest", String(100), nullable=False),
    Column("position", Integer, nullable=False),
    Column("url", Text, nullable=False),
    Column("title_key", Text, nullable=False),
    Index(None, "digest"),
    Index(None, "article_id"),  # the click redirect finds the issue that carried an article
)


@dataclass(frozen=True, slots=True)
class IssueRecord:
    id: int
    digest: str
    subject: str
    preheader: str
    html: str
    text: str
    article_ids: tuple[str, ...]
    status: IssueStatus
    created_at: datetime
    sent_at: datetime | None
    archive_url: str


@dataclass(frozen=True, slots=True)
class IncludedArticle:
    """One article as an issue recorded it: enough to recognise it again under another id."""

    article_id: str
    url: str
    title_key: str


@dataclass(frozen=True, slots=True)
class Exclusions:
    """Everything earlier issues of a digest carried, by each key a duplicate can share."""

    ids: frozenset[str] = frozenset()
    urls: frozenset[str] = frozenset()
    title_keys: frozenset[str] = frozenset()


def insert_issue(
    conn: Connection,
    *,
    digest: str,
    subject: str,
    preheader: str,
    html: str,
    text: str,
    archive_url: str,
    articles: Sequence[IncludedArticle],
    now: datetime,
) -> int:
    issue_id = conn.execute(
        digest_issues.insert()
        .values(
            digest=digest,
            subject=subject,
            preheader=preheader,
            html=html,
            text=text,
            archive_url=archive_url,
            status=IssueStatus.READY,
            created_at=now,
            sent_at=None,
        )
        .returning(digest_issues.c.id)
    ).scalar_one()
    if articles:
        conn.execute(
            digest_issue_articles.insert(),
            [
                {
                    "issue_id": issue_id,
                    "article_id": a.article_id,
                    "digest": digest,
                    "position": i,
                    "url": a.url,
                    "title_key": a.title_key,
                }
                for i, a in enumerate(articles)
            ],
        )
    return int(issue_id)


def _record(conn: Connection, row: Any) -> IssueRecord:
    ids = conn.execute(
        select(digest_issue_articles.c.article_id)
        .where(digest_issue_articles.c.issue_id == row.id)
        .order_by(digest_issue_articles.c.position)
    ).scalars()
    return IssueRecord(
        id=row.id,
        digest=row.digest,
        subject=row.subject,
        preheader=row.preheader,
        html=row.html,
        text=row.text,
        article_ids=tuple(ids),
        status=IssueStatus(row.status),
        created_at=row.created_at,
        sent_at=row.sent_at,
        archive_url=row.archive_url,
    )


def get_issue(conn: Connection, issue_id: int) -> IssueRecord | None:
    row = conn.execute(select(digest_issues).where(digest_issues.c.id == issue_id)).one_or_none()
    return _record(conn, row) if row else None


def newest_unsent_issue(conn: Connection, digest: str) -> IssueRecord | None:
    """The issue a sender must finish first; a skipped one is done with, like a sent one."""
    row = conn.execute(
        select(digest_issues)
        .where(
            digest_issues.c.digest == digest,
            digest_issues.c.status.not_in([IssueStatus.SENT, IssueStatus.SKIPPED]),
        )
        .order_by(digest_issues.c.created_at.desc(), digest_issues.c.id.desc())
        .limit(1)
    ).one_or_none()
    return _record(conn, row) if row else None


def set_status(conn: Connection, issue_id: int, status: IssueStatus, *, now: datetime) -> bool:
    """False when there is no such issue."""
    if status not in set(IssueStatus):  # a plain string from an untyped caller
        raise ValueError(f"issue status must be one of {', '.join(IssueStatus)}; got {status!r}")
    values: dict[str, Any] = {"status": status}
    if status == IssueStatus.SENT:
        values["sent_at"] = now
    result = conn.execute(digest_issues.update().where(digest_issues.c.id == issue_id).values(**values))
    return result.rowcount > 0


def load_exclusions(conn: Connection, digest: str) -> Exclusions:
    """Keys of every article any earlier issue of `digest` carried, whatever its sending status."""
    rows = conn.execute(
        select(
            digest_issue_articles.c.article_id, digest_issue_articles.c.url, digest_issue_articles.c.title_key
        ).where(digest_issue_articles.c.digest == digest)
    ).all()
    return Exclusions(
        ids=frozenset(r.article_id for r in rows),
        urls=frozenset(r.url for r in rows if r.url),
        title_keys=frozenset(r.title_key for r in rows if r.title_key),
    )


_TAKE_SLOTS = text(
    "UPDATE digest_issues SET paced_until = GREATEST(paced_until, clock_timestamp()) + make_interval(secs => :span) "
    "WHERE id = :issue RETURNING EXTRACT(EPOCH FROM paced_until - clock_timestamp()) - :span"
)


def take_slots(conn: Connection, issue_id: int, seconds: float) -> float:
    """Take the issue's next `seconds` of send-rate slots (PostgreSQL: every worker sending one of
    its batches takes them from this one row); returns in how many seconds they begin."""
    return float(conn.execute(_TAKE_SLOTS, {"issue": issue_id, "span": seconds}).scalar_one())
