"""Skipping a digest's next issue: an operator decides that what it would carry now goes out to
nobody (a slow day, a story withdrawn), and the following issue starts from what comes after.

The issue is recorded as it would have been sent (its articles, subject and content), with status
"skipped" and no deliveries: the next issue leaves those articles out exactly as it leaves out a
sent issue's, the history shows what was skipped, and nothing claims it was sent. It is done
under the digest's sender lock, so it never races a send choosing the same articles.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Connection

from nashra.config.digests import DigestSettings
from nashra.digest.issues import mark_issue, open_issue, record_issue
from nashra.digest.prepare import prepare_digest
from nashra.mail.lock import sender_lock
from nashra.runtime import Runtime
from nashra.store.digests import IssueStatus


class Skip(StrEnum):
    SKIPPED = "skipped"
    NOTHING_NEW = "nothing-new"  # the next issue would carry nothing: nothing to skip
    OPEN_ISSUE = "open-issue"  # an issue is being sent: pause it instead, it is not "next"
    BUSY = "busy"  # a sender holds the digest's lock right now


@dataclass(frozen=True, slots=True)
class Skipped:
    outcome: Skip
    issue_id: int | None = None
    articles: int = 0


def skip_next(
    runtime: Runtime,
    digest: DigestSettings,
    *,
    now: datetime,
    recorded: Callable[[Connection, int], None] | None = None,
) -> Skipped:
    """Record the issue `digest` would send at `now` as skipped; `recorded(conn, issue_id)` runs
    in the same transaction (the console audits the skip there)."""
    with sender_lock(runtime.store, digest.name) as fence:
        if fence is None:
            return Skipped(Skip.BUSY)
        with runtime.store.connect() as conn:
            if open_issue(conn, digest.name) is not None:
                return Skipped(Skip.OPEN_ISSUE)
        rendered = prepare_digest(runtime, digest, now=now)
        if rendered is None:
            return Skipped(Skip.NOTHING_NEW)
        with runtime.store.begin() as conn:
            issue_id = record_issue(conn, rendered, now=now)
            mark_issue(conn, issue_id, IssueStatus.SKIPPED, now=now)
            if recorded is not None:
                recorded(conn, issue_id)
    return Skipped(Skip.SKIPPED, issue_id, len(rendered.article_ids))
