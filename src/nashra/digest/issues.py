"""Recording issues: the contract the sending step (mail) builds on.

`record_issue` stores the rendered issue and its articles in the caller's transaction; from then on
the next `prepare_digest` of that digest leaves those articles out, sent or not, so a crash between
recording and sending can never produce a second issue with the same stories.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection

from nashra.digest.render import RenderedDigest
from nashra.forms import match_key
from nashra.store.articles import get_articles
from nashra.store.digests import (
    IncludedArticle,
    IssueRecord,
    IssueStatus,
    get_issue,
    insert_issue,
    newest_unsent_issue,
    set_status,
)


def record_issue(conn: Connection, rendered: RenderedDigest, *, now: datetime) -> int:
    """Store `rendered` with status "ready"; returns the issue id."""
    found = {s.id: s for s in get_articles(conn, rendered.article_ids)}
    included = [
        IncludedArticle(article_id=i, url=found[i].url, title_key=match_key(found[i]))
        if i in found
        else IncludedArticle(article_id=i, url="", title_key="")
        for i in rendered.article_ids
    ]
    return insert_issue(
        conn,
        digest=rendered.digest,
        subject=rendered.subject,
        preheader=rendered.preheader,
        html=rendered.html,
        text=rendered.text,
        archive_url=rendered.archive_url,
        articles=included,
        now=now,
    )


def open_issue(conn: Connection, digest: str) -> IssueRecord | None:
    """The newest issue of `digest` not yet "sent" (to resume after a crash), or None."""
    return newest_unsent_issue(conn, digest)


def mark_issue(conn: Connection, issue_id: int, status: IssueStatus, *, now: datetime) -> None:
    """Move an issue to "sending", "sent" ("sent" also stamps sent_at) or "skipped"."""
    if not set_status(conn, issue_id, status, now=now):
        raise LookupError(f"no digest issue with id {issue_id}")


def load_issue(conn: Connection, issue_id: int) -> IssueRecord:
    issue = get_issue(conn, issue_id)
    if issue is None:
        raise LookupError(f"no digest issue with id {issue_id}")
    return issue
