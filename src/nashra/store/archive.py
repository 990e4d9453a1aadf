"""The public archive's reads of `digest_issues`: what a reader of the web archive may see.

Apart from store.digests (which the sending step writes and resumes through) because every query
here answers a stranger: only issues that went out ("sending" or "sent") are returned, never one
merely recorded, and nothing about recipients is read at all. Listing reads no issue's HTML; only
the one issue a reader opens is loaded whole.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Connection, func, select

from nashra.store.digests import IssueStatus, digest_issue_articles, digest_issues

PUBLIC_STATUSES = (IssueStatus.SENDING, IssueStatus.SENT)


@dataclass(frozen=True, slots=True)
class ArchivedIssue:
    """One public issue as an index or feed lists it."""

    id: int
    digest: str
    subject: str
    preheader: str
    archive_url: str
    created_at: datetime
    """When the issue was made: its date in its subject and in its archive URL."""
    stories: int


@dataclass(frozen=True, slots=True)
class ArchivedCopy:
    """The stored issue behind one archive URL, with its HTML still holding the mail placeholders."""

    id: int
    digest: str
    archive_url: str
    html: str


def _public(digests: Collection[str]) -> tuple[ColumnElement[bool], ...]:
    return (digest_issues.c.digest.in_(digests), digest_issues.c.status.in_(PUBLIC_STATUSES))


def count_archived(conn: Connection, digests: Collection[str]) -> int:
    return int(conn.execute(select(func.count()).where(*_public(digests))).scalar_one())


def archived_issues(
    conn: Connection, digests: Collection[str], *, offset: int = 0, limit: int = 20
) -> list[ArchivedIssue]:
    """The public issues of `digests`, newest first."""
    stories = (
        select(func.count())
        .where(digest_issue_articles.c.issue_id == digest_issues.c.id)
        .scalar_subquery()
        .label("stories")
    )
    rows = conn.execute(
        select(
            digest_issues.c.id,
            digest_issues.c.digest,
            digest_issues.c.subject,
            digest_issues.c.preheader,
            digest_issues.c.archive_url,
            digest_issues.c.created_at,
            stories,
        )
        .where(*_public(digests))
        .order_by(digest_issues.c.created_at.desc(), digest_issues.c.id.desc())
        .offset(offset)
        .limit(limit)
    ).all()
    return [ArchivedIssue(**row._asdict()) for row in rows]


def archived_copies(conn: Connection, file_name: str) -> list[ArchivedCopy]:
    """The public issues whose archive URL ends in `/<file_name>`, of any digest (a digest since
    removed from the config included: mail already sent links to its issues)."""
    rows = conn.execute(
        select(digest_issues.c.id, digest_issues.c.digest, digest_issues.c.archive_url, digest_issues.c.html)
        .where(
            digest_issues.c.archive_url.endswith(f"/{file_name}", autoescape=True),
            digest_issues.c.status.in_(PUBLIC_STATUSES),
        )
        .order_by(digest_issues.c.id)
    ).all()
    return [ArchivedCopy(**row._asdict()) for row in rows]
