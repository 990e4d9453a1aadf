"""The once-only posting loop: which articles go to which channel, when, and what happened.

For each channel: pick the articles it has not posted (its sections/tags, not older than
`max_age_hours`), hold everything during quiet hours or until `min_spacing_minutes` have passed,
then for each post record the attempt as "publishing" and commit *before* calling the platform.

One run makes at most one attempt per post and never sleeps: a transient failure is recorded as
"retry" with its reason and the time of the next attempt (exponential backoff, or the platform's
rate-limit reset), ends the channel's turn, and holds the channel until then, so an unreachable
platform costs one failed connection per run, not minutes of waiting. After `max_attempts` tries
the post is recorded failed. A permanent refusal is recorded with the platform's message; a
request that may have reached a platform without deduplication becomes "unknown".
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from nashra.breaking import is_breaking
from nashra.errors import DeliveryError, TemplateError
from nashra.logs import event
from nashra.model import StoredArticle
from nashra.runtime import Runtime
from nashra.social.cards import channel_context
from nashra.social.protocol import Channel, ErrorKind, Post, Published, Timing, Verdict
from nashra.social.registry import build_channels
from nashra.store import posts as records
from nashra.store.articles import get_articles, list_articles
from nashra.store.pauses import Paused, paused
from nashra.store.posts import FailureKind, PostRecord, PostStatus
from nashra.text.urls import redact_credentials

log = logging.getLogger(__name__)

BACKOFF_BASE_SECONDS = 60.0
"""Wait after a post's first transient failure; doubled after each further one, up to the
channel's `max_wait_seconds`."""
STALE_PUBLISHING = timedelta(minutes=15)
"""A "publishing" row older than this belongs to a process that died during the platform call."""


def system_timing() -> Timing:
    return Timing(now=lambda: datetime.now(UTC))


class Planned(StrEnum):
    """What a post not sent in this run would do: go out (a dry run), or wait (`PostResult.held`)."""

    PENDING = "pending"
    HELD = "held"


@dataclass(slots=True)
class PostResult:
    """One (article, channel): planned or what posting did."""

    channel: str
    channel_type: str
    article_id: str
    title: str
    status: PostStatus | Planned
    post: Post | None = None
    held: str | None = None
    error: str | None = None
    remote_id: str | None = None
    remote_url: str | None = None
    attempts: int = 0

    def as_json(self) -> dict[str, Any]:
        post = self.post
        return {
            "channel": self.channel,
            "type": self.channel_type,
            "article_id": self.article_id,
            "title": self.title,
            "status": self.status,
            "held": self.held,
            "text": post.text if post else None,
            "length": post.length if post else None,
            "limit": post.limit if post else None,
            "attachments": post.attachments if post else [],
            "link": post.url if post else None,
            "hashtags": list(post.hashtags) if post else [],
            "remote_id": self.remote_id,
            "remote_url": self.remote_url,
            "error": self.error,
            "attempts": self.attempts,
        }


@dataclass(slots=True)
class _Candidate:
    article: StoredArticle
    record: PostRecord | None


@dataclass(slots=True)
class _Attempt:
    status: PostStatus
    attempts: int
    published: Published | None = None
    error: str | None = None
    next_attempt_at: datetime | None = None
    stop_channel: bool = False
    note: str | None = None
    error_kind: FailureKind | None = None


def _matches(channel: Channel, article: StoredArticle) -> bool:
    config = channel.config
    in_sections = not config.sections or article.article.section in config.sections
    has_tag = not config.tags or bool(set(config.tags) & set(article.article.tags))
    return in_sections and has_tag


def _candidates(
    runtime: Runtime, channel: Channel, now: datetime
) -> tuple[list[_Candidate], list[PostRecord]]:
    """(articles to post, stale "publishing" rows of a channel that cannot safely retry)."""
    cutoff = now - timedelta(hours=channel.config.max_age_hours)
    with runtime.store.connect() as conn:
        articles = [
            a
            for a in list_articles(conn, seen_since=cutoff)
            if a.article.published_at >= cutoff and _matches(channel, a)
        ]
        existing = records.records_for(conn, channel.name, [a.id for a in articles])
    articles.sort(key=lambda a: (a.article.published_at, a.id))  # oldest first: the timeline reads in order
    chosen: list[_Candidate] = []
    orphaned: list[PostRecord] = []
    for article in articles:
        record = existing.get(article.id)
        if record is None:
            chosen.append(_Candidate(article, None))
        elif record.status is PostStatus.RETRY and (
            record.next_attempt_at is None or record.next_attempt_at <= now
        ):
            chosen.append(_Candidate(article, record))
        elif record.status is PostStatus.PUBLISHING and record.updated_at < now - STALE_PUBLISHING:
            if channel.dedupes:
                chosen.append(_Candidate(article, record))
            else:
                orphaned.append(record)
        elif (
            record.status is PostStatus.POSTED
            and channel.config.repost_on_edit
            and article.version > record.article_version
        ):
            chosen.append(_Candidate(article, record))
    return chosen, orphaned


def _settle(runtime: Runtime, channel: Channel, orphaned: list[PostRecord], now: datetime) -> None:
    """Close what no run would otherwise touch again: interrupted posts of a platform that does
    not deduplicate become "unknown" (the operator decides), expired retries "failed"."""
    expired = _expired(runtime, channel, now - timedelta(hours=channel.config.max_age_hours))
    with runtime.store.begin() as conn:
        for record in orphaned:
            records.finish(
                conn,
                record.id,
                status=PostStatus.UNKNOWN,
                now=now,
                attempts=record.attempts,
                error="interrupted during the platform call; the platform does not deduplicate",
                error_kind=FailureKind.OUTCOME_UNKNOWN,
            )
        for record in expired:
            records.finish(
                conn,
                record.id,
                status=PostStatus.FAILED,
                now=now,
                attempts=record.attempts,
                error=f"not posted within max_age_hours ({channel.config.max_age_hours:g} h); "
                f"last error: {record.last_error}",
                error_kind=record.error_kind,
            )


def _expired(runtime: Runtime, channel: Channel, cutoff: datetime) -> list[PostRecord]:
    """Posts waiting for a retry whose article is now older than `max_age_hours`: never tried
    again, so they are closed as failed rather than left waiting for ever."""
    with runtime.store.connect() as conn:
        waiting = [
            r for r in records.open_records(conn, channel=channel.name) if r.status is PostStatus.RETRY
        ]
        published = {
            a.id: a.article.published_at for a in get_articles(conn, [r.article_id for r in waiting])
        }
    return [r for r in waiting if r.article_id not in published or published[r.article_id] < cutoff]


def _in_quiet_hours(channel: Channel, runtime: Runtime, now: datetime) -> bool:
    window = channel.config.quiet_window
    if window is None:
        return False
    start, end = window
    local = now.astimezone(runtime.settings.site.zone).time().replace(tzinfo=None)
    return start <= local < end if start < end else (local >= start or local < end)


def _blocked(channel: Channel, runtime: Runtime, now: datetime) -> str | None:
    """Why nothing at all may be posted on this channel now (an operator's pause, a failing or
    rate-limiting platform, refused credentials), or None."""
    with runtime.store.connect() as conn:
        pause = paused(conn, Paused.CHANNEL, channel.name)
        waiting = records.waiting_for_retry(conn, channel.name, now)
        refused = records.last_auth_failure(conn, channel.name)
    if pause is not None:
        return (
            f"paused by an operator since {pause.paused_at.isoformat(timespec='seconds')} ({pause.reason});"
            f" `nashra channel resume {channel.name}`"
        )
    if waiting is not None and waiting.next_attempt_at is not None:
        if waiting.error_kind is FailureKind.RATE_LIMITED:
            return f"rate limited until {waiting.next_attempt_at.isoformat()}"
        return (
            f"platform failing ({waiting.last_error}); next attempt at {waiting.next_attempt_at.isoformat()}"
        )
    auth_pause = timedelta(minutes=channel.config.auth_pause_minutes)
    if refused is not None and now < refused.updated_at + auth_pause:
        return (
            f"credentials refused ({refused.last_error}); paused until {(refused.updated_at + auth_pause).isoformat()}"
            f" — fix them, then `nashra post --send-again {refused.id}`"
        )
    return None


def _paced(channel: Channel, runtime: Runtime, now: datetime) -> str | None:
    """Why an ordinary story waits (quiet hours, spacing since the last post), or None; breaking
    news does not wait for these."""
    if _in_quiet_hours(channel, runtime, now):
        return f"quiet hours {channel.config.quiet_hours} ({runtime.settings.site.timezone})"
    spacing = timedelta(minutes=channel.config.min_spacing_minutes)
    if spacing:
        with runtime.store.connect() as conn:
            last = records.last_posted_at(conn, channel.name)
        if last is not None and now < last + spacing:
            return f"spacing: next post after {(last + spacing).isoformat()}"
    return None


def _backoff(verdict: Verdict, attempts: int, now: datetime, cap: float) -> datetime:
    """When a post that failed for the `attempts`-th time may be tried again."""
    if verdict.retry_at is not None:
        return max(verdict.retry_at, now)
    if verdict.retry_after is not None:
        return now + timedelta(seconds=max(verdict.retry_after, 0.0))
    return now + timedelta(seconds=min(BACKOFF_BASE_SECONDS * 2.0 ** (attempts - 1), cap))


def _publish(channel: Channel, post: Post, now: datetime, attempts_before: int) -> _Attempt:
    """One call to the platform, and what to record of it; the next try, if any, is a later run's."""
    total = attempts_before + 1
    try:
        return _Attempt(PostStatus.POSTED, total, published=channel.publish(post))
    except Exception as exc:
        verdict = channel.classify_error(exc)
        if verdict is None:
            log.exception(
                "social.publish_crashed", extra={"channel": channel.name, "article": post.article_id}
            )
            return _Attempt(
                PostStatus.UNKNOWN,
                total,
                error=redact_credentials(f"unexpected {type(exc).__name__}: {exc}"),
                stop_channel=True,
                error_kind=FailureKind.CRASH,
            )
    # An SDK's message may quote the request URL (a Telegram bot token is in its path).
    verdict = replace(verdict, message=redact_credentials(verdict.message))
    event(
        log,
        "social.attempt_failed",
        level=logging.WARNING,
        channel=channel.name,
        article=post.article_id,
        attempt=total,
        kind=verdict.kind.value,
        status=verdict.status,
        error=verdict.message,
    )
    if verdict.kind is ErrorKind.DUPLICATE:
        return _Attempt(PostStatus.POSTED, total, published=Published(None), note=verdict.message)
    if verdict.kind is ErrorKind.AUTH:
        return _Attempt(
            PostStatus.FAILED, total, error=verdict.message, stop_channel=True, error_kind=FailureKind.AUTH
        )
    if verdict.kind is ErrorKind.BAD_REQUEST:
        return _Attempt(PostStatus.FAILED, total, error=verdict.message, error_kind=FailureKind.BAD_REQUEST)
    if verdict.outcome_unknown and not channel.dedupes:
        # A request that timed out says the platform is unwell too: the rest wait for the next run.
        return _Attempt(
            PostStatus.UNKNOWN,
            total,
            error=verdict.message,
            stop_channel=True,
            error_kind=FailureKind.OUTCOME_UNKNOWN,
        )
    rate_limited = verdict.retry_at is not None or verdict.retry_after is not None
    if not rate_limited and total >= channel.config.max_attempts:
        return _Attempt(
            PostStatus.FAILED,
            total,
            error=f"gave up after {total} attempts: {verdict.message}",
            stop_channel=True,
            error_kind=FailureKind.TRANSIENT,
        )
    return _Attempt(
        PostStatus.RETRY,
        total,
        error=verdict.message,
        next_attempt_at=_backoff(verdict, total, now, channel.config.max_wait_seconds),
        stop_channel=True,
        error_kind=FailureKind.RATE_LIMITED if rate_limited else FailureKind.TRANSIENT,
    )


def _claim(
    runtime: Runtime, channel: Channel, candidate: _Candidate, post: Post, now: datetime
) -> int | None:
    with runtime.store.begin() as conn:
        if candidate.record is None:
            return records.claim_new(
                conn,
                article_id=candidate.article.id,
                channel=channel.name,
                channel_type=channel.kind,
                version=candidate.article.version,
                text=post.text,
                now=now,
            )
        won = records.reclaim(
            conn, candidate.record, version=candidate.article.version, text=post.text, now=now
        )
        return candidate.record.id if won else None


def _fail_before_sending(
    runtime: Runtime, channel: Channel, candidate: _Candidate, message: str, now: datetime
) -> None:
    """A post that cannot even be composed is recorded as failed, so it is not recomposed every run."""
    with runtime.store.begin() as conn:
        record_id = (
            candidate.record.id
            if candidate.record
            else records.claim_new(
                conn,
                article_id=candidate.article.id,
                channel=channel.name,
                channel_type=channel.kind,
                version=candidate.article.version,
                text="",
                now=now,
            )
        )
        if record_id is not None:
            records.finish(
                conn,
                record_id,
                status=PostStatus.FAILED,
                now=now,
                attempts=0,
                error=message,
                error_kind=FailureKind.BAD_REQUEST,
            )


def _result(
    channel: Channel, candidate: _Candidate, status: PostStatus | Planned, **fields: Any
) -> PostResult:
    return PostResult(
        channel=channel.name,
        channel_type=channel.kind,
        article_id=candidate.article.id,
        title=candidate.article.title,
        status=status,
        **fields,
    )


def post_channel(
    runtime: Runtime, channel: Channel, *, timing: Timing, dry_run: bool = False
) -> list[PostResult]:
    """Post (or with `dry_run`, only render) what is pending for one channel."""
    now = timing.now()
    candidates, orphaned = _candidates(runtime, channel, now)
    results: list[PostResult] = []
    if not dry_run:
        _settle(runtime, channel, orphaned, now)
    blocked = _blocked(channel, runtime, now)
    missing = channel.missing_secrets() if hasattr(channel, "missing_secrets") else []
    if missing and blocked is None:
        blocked = f"environment variable(s) not set: {', '.join(missing)}"
    paced = _paced(channel, runtime, now)
    spacing = channel.config.min_spacing_minutes > 0
    rules = runtime.settings.breaking
    breaking = {c.article.id for c in candidates if is_breaking(c.article.article, rules, now)}
    candidates.sort(key=lambda c: c.article.id not in breaking)  # stable: breaking news first, in order
    for candidate in candidates:
        hold = blocked or (None if candidate.article.id in breaking else paced)
        post: Post | None = None
        try:
            post = channel.render(candidate.article)
            problems = channel.validate(post)
        except DeliveryError as exc:  # e.g. PostTooLong: the link alone does not fit
            problems = [exc.message]
        if problems or post is None:
            message = "; ".join(problems)
            if not dry_run:
                _fail_before_sending(runtime, channel, candidate, message, now)
            results.append(_result(channel, candidate, PostStatus.FAILED, post=post, error=message))
            continue
        if hold or dry_run:
            planned = Planned.HELD if hold else Planned.PENDING
            results.append(_result(channel, candidate, planned, post=post, held=hold))
            continue
        record_id = _claim(runtime, channel, candidate, post, timing.now())
        if record_id is None:
            continue  # another worker holds it
        attempt = _publish(channel, post, timing.now(), candidate.record.attempts if candidate.record else 0)
        published = attempt.published or Published(None)
        with runtime.store.begin() as conn:
            records.finish(
                conn,
                record_id,
                status=attempt.status,
                now=timing.now(),
                attempts=attempt.attempts,
                remote_id=published.remote_id,
                remote_url=published.url,
                error=attempt.error,
                error_kind=attempt.error_kind,
                next_attempt_at=attempt.next_attempt_at,
            )
        said = {"remote_id": published.remote_id, "error": attempt.error or attempt.note}
        event(
            log,
            "social.post",
            level=logging.INFO if attempt.status is PostStatus.POSTED else logging.WARNING,
            channel=channel.name,
            article=candidate.article.id,
            status=attempt.status,
            **{key: value for key, value in said.items() if value},  # no `error=""` on a success
        )
        results.append(
            _result(
                channel,
                candidate,
                attempt.status,
                post=post,
                error=attempt.error,
                remote_id=published.remote_id,
                remote_url=published.url,
                attempts=attempt.attempts,
            )
        )
        if attempt.stop_channel:
            break
        if spacing and attempt.status is PostStatus.POSTED:
            paced = paced or f"spacing: {channel.config.min_spacing_minutes:g} minutes between posts"
    return results


@dataclass(slots=True)
class SocialRun:
    results: list[PostResult] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def post_pending(
    runtime: Runtime, *, channel: str | None = None, dry_run: bool = False, timing: Timing | None = None
) -> SocialRun:
    """Every enabled channel (or just `channel`) once: what `nashra post` and the stage do."""
    timing = timing or system_timing()
    run = SocialRun()
    for adapter in build_channels(
        runtime.settings, channel_context(runtime.settings, runtime.http), only=channel
    ):
        try:
            run.results.extend(post_channel(runtime, adapter, timing=timing, dry_run=dry_run))
        except TemplateError as exc:
            run.problems.append(f"channel {adapter.name}: {exc}")
    return run
