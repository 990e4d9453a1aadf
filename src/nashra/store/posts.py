"""Social post records: one row per (article, channel), written *before* the platform is called.

The UNIQUE (article_id, channel) constraint is what makes posting once-only: a worker claims a
post by inserting its row with status "publishing"; a second worker (or a rerun after a crash)
finds the row and does not post again. Statuses:

- publishing: claimed, platform call in progress (or the process died during it)
- posted:     the platform has it (remote id/URL when known)
- retry:      a transient failure (or a rate limit); tried again, by a later run, after `next_attempt_at`
- failed:     the platform refused it for good (credentials, 4xx), or it kept failing for
              `max_attempts` tries; `last_error` says why (`nashra post --send-again ID`)
- unknown:    the request may or may not have reached a platform that does not deduplicate;
              an operator decides (`nashra post --mark-posted ID` or `--send-again ID`)
- skipped:    an operator decided it never goes out (the console's "skip"); final, like posted
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
    Index,
    Integer,
    Row,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    select,
)
from sqlalchemy.exc import IntegrityError

from nashra.store.schema import metadata
from nashra.store.types import UTCDateTime


class PostStatus(StrEnum):
    """`social_posts.status`; the values are the stored text."""

    PUBLISHING = "publishing"
    POSTED = "posted"
    RETRY = "retry"
    FAILED = "failed"
    UNKNOWN = "unknown"
    SKIPPED = "skipped"


class FailureKind(StrEnum):
    """`social_posts.error_kind`: why a post is not (yet) posted; the values are the stored text."""

    AUTH = "auth"  # refused for the channel's credentials: the channel pauses
    BAD_REQUEST = "bad_request"  # refused for good (or could not even be composed)
    RATE_LIMITED = "rate_limited"  # waiting for the platform's rate-limit reset: the channel holds
    TRANSIENT = (
        "transient"  # platform unreachable or failing: retried after `next_attempt_at`, up to max_attempts
    )
    CRASH = "crash"  # the adapter raised something it could not classify
    OUTCOME_UNKNOWN = "outcome_unknown"  # may have reached a platform that does not deduplicate


social_posts = Table(
    "social_posts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("article_id", String(40), nullable=False),
    Column("channel", String(100), nullable=False),
    Column("channel_type", String(50), nullable=False),
    Column("status", String(20), nullable=False),
    Column("article_version", Integer, nullable=False),
    Column("text", Text, nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("remote_id", Text),
    Column("remote_url", Text),
    Column("last_error", Text),
    Column("error_kind", String(20)),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    Column("posted_at", UTCDateTime()),
    Column("next_attempt_at", UTCDateTime()),
    UniqueConstraint("article_id", "channel"),
    Index(None, "channel", "status"),
)


@dataclass(frozen=True, slots=True)
class PostRecord:
    id: int
    article_id: str
    channel: str
    channel_type: str
    status: PostStatus
    article_version: int
    text: str
    attempts: int
    remote_id: str | None
    remote_url: str | None
    last_error: str | None
    error_kind: FailureKind | None
    created_at: datetime
    updated_at: datetime
    posted_at: datetime | None
    next_attempt_at: datetime | None


def _record(row: Row[Any]) -> PostRecord:
    values = row._asdict()
    kind = values["error_kind"]
    return PostRecord(
        **values | {"status": PostStatus(values["status"]), "error_kind": kind and FailureKind(kind)}
    )


def records_for(
    conn: Connection, channel: str, article_ids: Sequence[str] | None = None
) -> dict[str, PostRecord]:
    """The channel's records by article id (all of them, or for the given articles)."""
    query = select(social_posts).where(social_posts.c.channel == channel)
    if article_ids is not None:
        query = query.where(social_posts.c.article_id.in_(list(article_ids)))
    return {row.article_id: _record(row) for row in conn.execute(query)}


def get_record(conn: Connection, record_id: int) -> PostRecord | None:
    row = conn.execute(select(social_posts).where(social_posts.c.id == record_id)).one_or_none()
    return _record(row) if row else None


def list_records(
    conn: Connection, *, status: PostStatus | None = None, channel: str | None = None
) -> list[PostRecord]:
    query = select(social_posts).order_by(social_posts.c.id)
    if status is not None:
        query = query.where(social_posts.c.status == status)
    if channel is not None:
        query = query.where(social_posts.c.channel == channel)
    return [_record(row) for row in conn.execute(query)]


def last_posted_at(conn: Connection, channel: str) -> datetime | None:
    """When the channel last published anything (for spacing between posts)."""
    query = (
        select(social_posts.c.posted_at)
        .where(social_posts.c.channel == channel, social_posts.c.posted_at.is_not(None))
        .order_by(social_posts.c.posted_at.desc())
        .limit(1)
    )
    return conn.execute(query).scalar_one_or_none()


def waiting_for_retry(conn: Connection, channel: str, now: datetime) -> PostRecord | None:
    """The channel's post waiting longest for a retry after a transient failure or a rate limit,
    if any is not yet due: until then the channel holds (the platform is unwell or limiting)."""
    row = conn.execute(
        select(social_posts)
        .where(
            social_posts.c.channel == channel,
            social_posts.c.status == PostStatus.RETRY,
            social_posts.c.error_kind.in_([FailureKind.RATE_LIMITED, FailureKind.TRANSIENT]),
            social_posts.c.next_attempt_at > now,
        )
        .order_by(social_posts.c.next_attempt_at.desc(), social_posts.c.id)
        .limit(1)
    ).one_or_none()
    return _record(row) if row is not None else None


OPEN_STATUSES = (PostStatus.PUBLISHING, PostStatus.RETRY, PostStatus.UNKNOWN)
"""Not final: being published (or interrupted), waiting for a retry, or waiting for the operator."""


def open_records(conn: Connection, *, channel: str | None = None) -> list[PostRecord]:
    """Every post that is not final, oldest first, whatever the age of its article."""
    query = select(social_posts).where(social_posts.c.status.in_(OPEN_STATUSES)).order_by(social_posts.c.id)
    if channel is not None:
        query = query.where(social_posts.c.channel == channel)
    return [_record(row) for row in conn.execute(query)]


def count_by_status(conn: Connection) -> dict[tuple[str, PostStatus], int]:
    """How many posts each channel has in each status."""
    query = select(social_posts.c.channel, social_posts.c.status, func.count()).group_by(
        social_posts.c.channel, social_posts.c.status
    )
    return {(channel, PostStatus(status)): count for channel, status, count in conn.execute(query)}


def last_auth_failure(conn: Connection, channel: str) -> PostRecord | None:
    """The channel's latest post refused for its credentials, if that is its latest outcome at all."""
    row = conn.execute(
        select(social_posts)
        .where(social_posts.c.channel == channel, social_posts.c.status != PostStatus.PUBLISHING)
        .order_by(social_posts.c.updated_at.desc(), social_posts.c.id.desc())
        .limit(1)
    ).one_or_none()
    return _record(row) if row is not None and row.error_kind == FailureKind.AUTH else None


def claim_new(
    conn: Connection,
    *,
    article_id: str,
    channel: str,
    channel_type: str,
    version: int,
    text: str,
    now: datetime,
    status: PostStatus = PostStatus.PUBLISHING,
) -> int | None:
    """Insert the "publishing" row (or an operator's "skipped" one for a post never tried); None when
    another worker already holds this (article, channel).

    Runs in a SAVEPOINT so a lost race does not abort the caller's transaction on PostgreSQL.
    """
    try:
        with conn.begin_nested():
            record_id = conn.execute(
                social_posts.insert()
                .values(
                    article_id=article_id,
                    channel=channel,
                    channel_type=channel_type,
                    status=status,
                    article_version=version,
                    text=text,
                    attempts=0,
                    created_at=now,
                    updated_at=now,
                )
                .returning(social_posts.c.id)
            ).scalar_one()
    except IntegrityError:
        return None
    return int(record_id)


def reclaim(conn: Connection, record: PostRecord, *, version: int, text: str, now: datetime) -> bool:
    """Take an existing row back to "publishing" (a retry, or a repost after an edit).

    The WHERE on the status seen makes this a compare-and-set: of two workers, one wins.
    """
    result = conn.execute(
        social_posts.update()
        .where(social_posts.c.id == record.id, social_posts.c.status == record.status)
        .values(
            status=PostStatus.PUBLISHING,
            article_version=version,
            text=text,
            updated_at=now,
            next_attempt_at=None,
        )
    )
    return result.rowcount == 1


def finish(
    conn: Connection,
    record_id: int,
    *,
    status: PostStatus,
    now: datetime,
    attempts: int,
    remote_id: str | None = None,
    remote_url: str | None = None,
    error: str | None = None,
    error_kind: FailureKind | None = None,
    next_attempt_at: datetime | None = None,
) -> None:
    if status not in set(PostStatus):  # a plain string from an untyped caller
        raise ValueError(f"unknown post status {status!r}")
    values: dict[str, object] = {
        "status": status,
        "updated_at": now,
        "attempts": attempts,
        "last_error": error,
        "error_kind": error_kind,
        "next_attempt_at": next_attempt_at,
    }
    if status == PostStatus.POSTED:
        values.update(remote_id=remote_id, remote_url=remote_url, posted_at=now)
    conn.execute(social_posts.update().where(social_posts.c.id == record_id).values(**values))


def resolve(conn: Connection, record_id: int, *, posted: bool, now: datetime) -> bool:
    """The operator's answer for an "unknown" post (it is there: posted; it is not: retry), or a
    "failed" one to send again once its cause is fixed. False when no such post is in those states."""
    values: dict[str, object] = {"updated_at": now, "next_attempt_at": None, "error_kind": None}
    values.update({"status": PostStatus.POSTED, "posted_at": now} if posted else {"status": PostStatus.RETRY})
    allowed = (PostStatus.UNKNOWN,) if posted else (PostStatus.UNKNOWN, PostStatus.FAILED)
    result = conn.execute(
        social_posts.update()
        .where(social_posts.c.id == record_id, social_posts.c.status.in_(allowed))
        .values(**values)
    )
    return result.rowcount == 1


def mark_posted(conn: Connection, record_id: int, *, now: datetime, url: str | None) -> bool:
    """An operator states the post is on the platform (it was there after all, or they posted it by
    hand), with its address when they give one. The record keeps no remote id: Nashra never saw
    the platform's answer; the audit log says who stated it. False unless the post is unknown,
    failed or waiting for a retry."""
    allowed = (PostStatus.UNKNOWN, PostStatus.FAILED, PostStatus.RETRY)
    result = conn.execute(
        social_posts.update()
        .where(social_posts.c.id == record_id, social_posts.c.status.in_(allowed))
        .values(
            status=PostStatus.POSTED,
            posted_at=now,
            updated_at=now,
            remote_url=url,
            next_attempt_at=None,
        )
    )
    return result.rowcount == 1


def skip(conn: Connection, record_id: int, *, now: datetime) -> bool:
    """An operator decides a post never goes out. Not while a run is publishing it (that run's
    outcome would be lost), nor once posted. False when the post is in neither of the states
    that allow it."""
    allowed = (PostStatus.UNKNOWN, PostStatus.FAILED, PostStatus.RETRY)
    result = conn.execute(
        social_posts.update()
        .where(social_posts.c.id == record_id, social_posts.c.status.in_(allowed))
        .values(status=PostStatus.SKIPPED, updated_at=now, next_attempt_at=None)
    )
    return result.rowcount == 1


def channel_page(conn: Connection, channel: str, *, limit: int, offset: int) -> tuple[list[PostRecord], int]:
    """One page of the channel's post log, latest change first, and how many posts it has in all."""
    total = conn.execute(
        select(func.count()).select_from(social_posts).where(social_posts.c.channel == channel)
    ).scalar_one()
    rows = conn.execute(
        select(social_posts)
        .where(social_posts.c.channel == channel)
        .order_by(social_posts.c.updated_at.desc(), social_posts.c.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return [_record(row) for row in rows], int(total)
