"""One delivery row per (digest issue, subscriber).

The delivery row is what keeps a send from repeating itself: it is created before anything is
sent, claimed ("sending") in small committed batches, moved to "submitting" in a commit just
*before* the final "." of SMTP DATA goes out (the intent), and given its outcome after the reply.
A crash leaves "sending" rows provably unsent (queued again) and "submitting" rows of unknown fate
("unknown", never silently "sent"); see nashra.mail.send. Every write after the claim names the
claim, so a sender whose rows were taken over changes nothing. Rows are read by keyset pagination
on their id, so a million recipients never sit in memory at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    Column,
    ColumnElement,
    Connection,
    ForeignKey,
    Index,
    Integer,
    Row,
    String,
    Table,
    Text,
    UniqueConstraint,
    and_,
    bindparam,
    exists,
    func,
    insert,
    literal,
    or_,
    select,
    text,
    true,
    update,
)

from nashra.store.digests import digest_issues
from nashra.store.overlapped import guard
from nashra.store.schema import metadata
from nashra.store.subscribers import SubscriberStatus, lists, subscribers, subscriptions
from nashra.store.types import UTCDateTime

ANALYZE_AFTER = 10_000
"""Rows queued at once after which PostgreSQL's statistics on the table are refreshed."""


class DeliveryStatus(StrEnum):
    """`deliveries.status`; the values are the stored text."""

    QUEUED = "queued"
    SENDING = "sending"  # claimed by a sender; its final "." not yet sent
    SUBMITTING = "submitting"  # its final "." is being sent: the server's reply not yet recorded
    SENT = "sent"
    UNKNOWN = "unknown"  # the "." may or may not have reached the server: never resent by default
    FAILED = "failed"
    DEFERRED = "deferred"  # a temporary refusal: due again at `next_attempt_at`
    SKIPPED = "skipped"  # the subscriber is no longer active


deliveries = Table(
    "deliveries",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("issue_id", Integer, nullable=False),
    Column("subscriber_id", Integer, ForeignKey("subscribers.id", ondelete="CASCADE"), nullable=False),
    Column("status", String(20), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("last_error", Text),
    Column("claim", String(40)),
    Column("next_attempt_at", UTCDateTime()),
    Column("sent_at", UTCDateTime()),
    Column("updated_at", UTCDateTime(), nullable=False),
    UniqueConstraint("issue_id", "subscriber_id"),
    Index(None, "issue_id", "status", "id"),
    Index(None, "subscriber_id", "id"),  # one subscriber's deliveries, newest first (the console)
)


@dataclass(frozen=True, slots=True)
class Claimed:
    """One claimed delivery with what is needed to personalise its message."""

    delivery_id: int
    subscriber_id: int
    email: str
    name: str
    attempts: int


@dataclass(frozen=True, slots=True)
class Span:
    """The rows of an issue with ids from `first` to `last` (None: no end): what one batch job
    sends. A batch owns its span alone (nashra.mail.lock), so what a dead sender left in it is
    settled without touching the spans other workers are sending."""

    first: int = 0
    last: int | None = None

    def clause(self) -> ColumnElement[bool]:
        start = deliveries.c.id >= self.first
        return start if self.last is None else and_(start, deliveries.c.id <= self.last)

    @property
    def key(self) -> str:
        return f"{self.first}-{'' if self.last is None else self.last}"

    @classmethod
    def parse(cls, key: str) -> Span:
        first, _, last = key.partition("-")
        return cls(int(first), int(last) if last else None)


WHOLE = Span()
"""Every row of the issue: a send by one process."""

UNFINISHED = (
    DeliveryStatus.QUEUED,
    DeliveryStatus.SENDING,
    DeliveryStatus.SUBMITTING,
    DeliveryStatus.DEFERRED,
)
"""Rows whose send is not over: an issue is sent when it has none."""


def spans(conn: Connection, issue_id: int, size: int) -> list[Span]:
    """The issue's rows cut into spans of `size` rows by id; the last one has no end, so rows
    queued later (subscribers added to a resumed issue) belong to a span too."""
    numbered = (
        select(deliveries.c.id, func.row_number().over(order_by=deliveries.c.id).label("n"))
        .where(deliveries.c.issue_id == issue_id)
        .subquery()
    )
    firsts = list(
        conn.execute(
            select(numbered.c.id).where((numbered.c.n - 1) % size == 0).order_by(numbered.c.id)
        ).scalars()
    )
    return [
        Span(first, following - 1 if following is not None else None)
        for first, following in zip(firsts, [*firsts[1:], None], strict=True)
    ]


def forget(conn: Connection, subscriber_id: int) -> None:
    """Erase a subscriber's deliveries (before erasing the subscriber)."""
    conn.execute(deliveries.delete().where(deliveries.c.subscriber_id == subscriber_id))


def _eligible(list_names: Sequence[str], digest: str) -> Any:
    """Active subscribers of any of `list_names` who receive `digest`, each once."""
    return select(subscribers.c.id).where(
        subscribers.c.status == SubscriberStatus.ACTIVE,
        exists().where(
            subscriptions.c.subscriber_id == subscribers.c.id,
            subscriptions.c.list_id.in_(select(lists.c.id).where(lists.c.name.in_(list(list_names)))),
            or_(
                subscriptions.c.digests == "",
                subscriptions.c.digests.contains(f",{digest},", autoescape=True),
            ),
        ),
    )


def count_eligible(conn: Connection, list_names: Sequence[str], digest: str) -> int:
    return int(
        conn.execute(select(func.count()).select_from(_eligible(list_names, digest).subquery())).scalar_one()
    )


def create_deliveries(
    conn: Connection, issue_id: int, list_names: Sequence[str], digest: str, *, now: datetime
) -> int:
    """Queue one delivery per eligible subscriber not already queued for this issue (idempotent),
    in one INSERT … SELECT so the subscribers never pass through Python."""
    source = _eligible(list_names, digest).where(
        ~exists().where(deliveries.c.issue_id == issue_id, deliveries.c.subscriber_id == subscribers.c.id)
    )
    source = source.with_only_columns(
        literal(issue_id),
        subscribers.c.id,
        literal(DeliveryStatus.QUEUED.value),
        literal(0),
        literal(now, UTCDateTime()),
    ).order_by(subscribers.c.id)  # sends go out in the order people subscribed, on every database

    def queued() -> int:
        return int(conn.execute(select(func.count()).where(deliveries.c.issue_id == issue_id)).scalar_one())

    before = queued()  # rowcount of INSERT … SELECT is not reported by every driver (psycopg: -1)
    conn.execute(
        insert(deliveries).from_select(
            ["issue_id", "subscriber_id", "status", "attempts", "updated_at"], source
        )
    )
    added = queued() - before
    if added >= ANALYZE_AFTER and conn.dialect.name == "postgresql":
        # Fresh statistics, or the planner may take the claim query for one over an empty table.
        conn.execute(text("ANALYZE deliveries"))
    return added


@dataclass(frozen=True, slots=True)
class Interrupted:
    requeued: int
    """Rows a dead sender left "sending": their "." never left, so they are queued again."""
    unknown: int
    """Rows a dead sender left "submitting": recorded "unknown" (or queued again under `resend`)."""


def resolve_interrupted(
    conn: Connection, issue_id: int, *, now: datetime, resend: bool, span: Span = WHOLE
) -> Interrupted:
    """What a dead sender left behind in `span`, settled before a new one starts. With `resend`,
    rows already "unknown" are queued again too: the operator chose a possible duplicate over a
    possible loss."""
    requeued = conn.execute(
        update(deliveries)
        .where(
            deliveries.c.issue_id == issue_id, span.clause(), deliveries.c.status == DeliveryStatus.SENDING
        )
        .values(status=DeliveryStatus.QUEUED, claim=None, updated_at=now)
    ).rowcount
    uncertain = [DeliveryStatus.SUBMITTING, *([DeliveryStatus.UNKNOWN] if resend else [])]
    unknown = conn.execute(
        update(deliveries)
        .where(deliveries.c.issue_id == issue_id, span.clause(), deliveries.c.status.in_(uncertain))
        .values(
            status=DeliveryStatus.QUEUED if resend else DeliveryStatus.UNKNOWN,
            claim=None,
            sent_at=None,
            updated_at=now,
            last_error="the sender stopped between the final '.' and the server's reply",
        )
    ).rowcount
    return Interrupted(int(requeued or 0), int(unknown or 0))


@dataclass(frozen=True, slots=True)
class ClaimResult:
    claimed: list[Claimed]
    last_id: int | None
    """The last row looked at (the next keyset start), None when nothing is left after `after_id`."""
    skipped: int
    contested: int = 0
    """Due rows this claim could not take: another sender has them, or `fence` no longer holds."""


def claim_batch(
    conn: Connection,
    issue_id: int,
    claim: str,
    *,
    after_id: int,
    limit: int,
    now: datetime,
    fence: ColumnElement[bool],
    span: Span = WHOLE,
) -> ClaimResult:
    """Claim the next `limit` due deliveries after `after_id` (keyset), marking "skipped" those
    whose subscriber is no longer active. `fence` is a condition that holds only while the caller
    is the issue's one sender (see nashra.mail.lock). The caller commits."""
    due = or_(
        deliveries.c.status == DeliveryStatus.QUEUED,
        and_(deliveries.c.status == DeliveryStatus.DEFERRED, deliveries.c.next_attempt_at <= now),
    )
    # One keyset query per status, each a range of the (issue_id, status, id) index read in order:
    # an OR of the two made SQLite union both ranges and sort every queued row for each claim, and
    # left PostgreSQL at the planner's mercy.
    columns = (
        deliveries.c.id,
        deliveries.c.subscriber_id,
        deliveries.c.attempts,
        subscribers.c.email,
        subscribers.c.name,
        subscribers.c.status,
    )
    found: list[Sequence[Row[Any, Any, Any, Any, Any, Any]]] = []
    for status, extra in (
        (DeliveryStatus.QUEUED, true()),
        (DeliveryStatus.DEFERRED, deliveries.c.next_attempt_at <= now),
    ):
        found.append(
            conn.execute(
                select(*columns)
                .join(subscribers, subscribers.c.id == deliveries.c.subscriber_id)
                .where(
                    deliveries.c.issue_id == issue_id,
                    deliveries.c.status == status,
                    deliveries.c.id > after_id,
                    true() if span.last is None else deliveries.c.id <= span.last,
                    extra,
                )
                .order_by(deliveries.c.id)
                .limit(limit)
            ).all()
        )
    rows = sorted((row for rows_of in found for row in rows_of), key=lambda row: row.id)[:limit]
    if not rows:
        return ClaimResult([], None, 0)
    gone = [r.id for r in rows if r.status != SubscriberStatus.ACTIVE]
    live = [r.id for r in rows if r.status == SubscriberStatus.ACTIVE]
    if gone:
        conn.execute(
            update(deliveries)
            .where(deliveries.c.id.in_(gone), due, fence)
            .values(status=DeliveryStatus.SKIPPED, updated_at=now, last_error="subscriber no longer active")
        )
    if not live:
        return ClaimResult([], rows[-1].id, len(gone))
    mine = set(
        conn.execute(
            update(deliveries)
            .where(deliveries.c.id.in_(live), due, fence)
            .values(status=DeliveryStatus.SENDING, claim=claim, updated_at=now)
            .returning(deliveries.c.id)
        ).scalars()
    )
    claimed = [Claimed(r.id, r.subscriber_id, r.email, r.name, r.attempts) for r in rows if r.id in mine]
    return ClaimResult(claimed, rows[-1].id, len(gone), contested=len(live) - len(mine))


class HotWrites:
    """The intent and "sent" writes a send makes at every commit, as the driver's own SQL.

    They run thousands of times a second; SQLAlchemy's work per call (binding parameters,
    expanding the IN list, building the statement) cost twice what the database does with them.
    The ids are integers from our own claim, written into the SQL; the rest is bound, or written
    as literals in `script` (one round trip on PostgreSQL, see nashra.store.overlapped).
    """

    def __init__(self, conn: Connection, fence: ColumnElement[bool]) -> None:
        dialect = conn.dialect
        self._mark = "?" if dialect.paramstyle == "qmark" else "%s"
        fenced = str(fence.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
        table = deliveries.name
        self._time = UTCDateTime().bind_processor(dialect)
        self._submitting = (
            f"UPDATE {table} SET status = '{DeliveryStatus.SUBMITTING}', updated_at = {{at}}, "
            f"attempts = attempts + 1 WHERE claim = {{claim}} AND status = '{DeliveryStatus.SENDING}' "
            f"AND ({fenced.replace('{', '{{').replace('}', '}}')}) AND id IN ({{ids}})"
        )
        self._sent = (
            f"UPDATE {table} SET status = '{DeliveryStatus.SENT}', sent_at = {{at}}, claim = NULL, "
            f"updated_at = {{at}} WHERE claim = {{claim}} AND status = '{DeliveryStatus.SUBMITTING}' "
            "AND id IN ({ids})"
        )

    def _at(self, now: datetime) -> object:
        return self._time(now) if self._time else now

    def mark_submitting(self, conn: Connection, ids: Sequence[int], claim: str, *, now: datetime) -> int:
        """The intent, written just before the final "." of these messages: how many rows were
        still this claim's to submit (fewer = the sender was fenced off and must not send)."""
        if not ids:
            return 0
        sql = self._submitting.format(at=self._mark, claim=self._mark, ids=_ids(ids))
        return int(conn.exec_driver_sql(sql, (self._at(now), claim)).rowcount or 0)

    def mark_sent(self, conn: Connection, ids: Sequence[int], claim: str, *, now: datetime) -> int:
        """The server accepted these (250 to the final "."): how many rows were still this claim's."""
        if not ids:
            return 0
        at = self._at(now)
        sql = self._sent.format(at=self._mark, claim=self._mark, ids=_ids(ids))
        return int(conn.exec_driver_sql(sql, (at, at, claim)).rowcount or 0)

    def script(
        self, submitting: Sequence[int], sent: Sequence[int], claim: str, *, now: datetime
    ) -> list[str]:
        """Both writes as literal SQL for one PostgreSQL round trip: the intent guarded (all of
        `submitting` or the script fails: the fence), then "sent" if any."""
        literals = {
            "at": f"'{now.astimezone(UTC).isoformat()}'::timestamptz",
            "claim": f"'{int(claim, 16):032x}'",
        }
        statements = [guard(self._submitting.format(ids=_ids(submitting), **literals), len(submitting))]
        if sent:
            statements.append(self._sent.format(ids=_ids(sent), **literals))
        return statements


def _ids(ids: Sequence[int]) -> str:
    return ",".join(str(int(i)) for i in ids)


def mark_unknown(conn: Connection, delivery_id: int, claim: str, error: str, *, now: datetime) -> int:
    """The final "." went out but no reply came back: the server may or may not have the message."""
    result = conn.execute(
        update(deliveries)
        .where(deliveries.c.id == delivery_id, deliveries.c.claim == claim)
        .values(status=DeliveryStatus.UNKNOWN, last_error=error, claim=None, sent_at=None, updated_at=now)
    )
    return int(result.rowcount or 0)


def mark_deferred(
    conn: Connection,
    delivery_id: int,
    claim: str,
    error: str,
    *,
    next_attempt_at: datetime,
    now: datetime,
    counted: int = 1,
) -> int:
    """A temporary refusal; `counted` = 0 when mark_submitting already counted this attempt."""
    result = conn.execute(
        update(deliveries)
        .where(deliveries.c.id == delivery_id, deliveries.c.claim == claim)
        .values(
            status=DeliveryStatus.DEFERRED,
            last_error=error,
            next_attempt_at=next_attempt_at,
            claim=None,
            sent_at=None,
            updated_at=now,
            attempts=deliveries.c.attempts + counted,
        )
    )
    return int(result.rowcount or 0)


def mark_failed(
    conn: Connection, delivery_id: int, claim: str, error: str, *, now: datetime, counted: int = 1
) -> int:
    result = conn.execute(
        update(deliveries)
        .where(deliveries.c.id == delivery_id, deliveries.c.claim == claim)
        .values(
            status=DeliveryStatus.FAILED,
            last_error=error,
            claim=None,
            sent_at=None,
            updated_at=now,
            attempts=deliveries.c.attempts + counted,
        )
    )
    return int(result.rowcount or 0)


_REQUEUE = (
    update(deliveries)
    .where(
        deliveries.c.id.in_(bindparam("ids", expanding=True)),
        deliveries.c.claim == bindparam("by_claim"),
        deliveries.c.status == DeliveryStatus.SENDING,
    )
    .values(status=DeliveryStatus.QUEUED, claim=None, updated_at=bindparam("now"))
)


def requeue(conn: Connection, delivery_ids: Sequence[int], claim: str, *, now: datetime) -> None:
    """Give back claimed rows that were never attempted (send stopped or paused)."""
    if delivery_ids:
        conn.execute(_REQUEUE, {"ids": list(delivery_ids), "by_claim": claim, "now": now})


def delivery_counts(conn: Connection, issue_id: int, span: Span = WHOLE) -> dict[str, int]:
    rows = conn.execute(
        select(deliveries.c.status, func.count())
        .where(deliveries.c.issue_id == issue_id, span.clause())
        .group_by(deliveries.c.status)
    )
    return {status: int(n) for status, n in rows}


def next_due(conn: Connection, issue_id: int, span: Span = WHOLE) -> datetime | None:
    """When the earliest deferred delivery of an issue (in `span`) becomes due again."""
    return conn.execute(
        select(func.min(deliveries.c.next_attempt_at)).where(
            deliveries.c.issue_id == issue_id, span.clause(), deliveries.c.status == DeliveryStatus.DEFERRED
        )
    ).scalar()


def count_in(conn: Connection, issue_id: int, statuses: Sequence[DeliveryStatus], span: Span = WHOLE) -> int:
    return int(
        conn.execute(
            select(func.count()).where(
                deliveries.c.issue_id == issue_id, span.clause(), deliveries.c.status.in_(statuses)
            )
        ).scalar_one()
    )


@dataclass(frozen=True, slots=True)
class IssueProgress:
    issue_id: int
    digest: str
    status: str
    created_at: datetime
    counts: dict[str, int]


_ISSUE = select(
    digest_issues.c.id, digest_issues.c.digest, digest_issues.c.status, digest_issues.c.created_at
)


def recent_issues(conn: Connection, *, limit: int = 10) -> list[IssueProgress]:
    """The newest issues with their deliveries counted by status (what `nashra status` shows)."""
    return _progress(conn, conn.execute(_ISSUE.order_by(digest_issues.c.id.desc()).limit(limit)).all())


def digest_issues_progress(conn: Connection, digest: str, *, limit: int = 20) -> list[IssueProgress]:
    """One digest's newest issues with their deliveries counted by status (its console page)."""
    newest = _ISSUE.where(digest_issues.c.digest == digest).order_by(digest_issues.c.id.desc()).limit(limit)
    return _progress(conn, conn.execute(newest).all())


def issue_progress(conn: Connection, issue_id: int) -> IssueProgress | None:
    """One issue's deliveries counted by status (its console page polls it while it is sent)."""
    found = _progress(conn, conn.execute(_ISSUE.where(digest_issues.c.id == issue_id)).all())
    return found[0] if found else None


def latest_issues(conn: Connection) -> list[IssueProgress]:
    """Each digest's newest issue with its deliveries counted by status (the metrics): the send
    in progress or the last one, counted over the (issue_id, status) index, never the whole table."""
    newest = select(func.max(digest_issues.c.id)).group_by(digest_issues.c.digest)
    return _progress(conn, conn.execute(_ISSUE.where(digest_issues.c.id.in_(newest))).all())


def _progress(conn: Connection, issues: Sequence[Any]) -> list[IssueProgress]:
    counts: dict[int, dict[str, int]] = {row.id: {} for row in issues}
    for issue_id, status, n in conn.execute(
        select(deliveries.c.issue_id, deliveries.c.status, func.count())
        .where(deliveries.c.issue_id.in_(list(counts)))
        .group_by(deliveries.c.issue_id, deliveries.c.status)
    ):
        counts[issue_id][status] = int(n)
    for issue_id, n in conn.execute(  # failed because the address bounced (now suppressed)
        select(deliveries.c.issue_id, func.count())
        .join(subscribers, subscribers.c.id == deliveries.c.subscriber_id)
        .where(
            deliveries.c.issue_id.in_(list(counts)),
            deliveries.c.status == DeliveryStatus.FAILED,
            subscribers.c.status == SubscriberStatus.BOUNCED,
        )
        .group_by(deliveries.c.issue_id)
    ):
        counts[issue_id]["bounced"] = int(n)
    return [IssueProgress(r.id, r.digest, r.status, r.created_at, counts[r.id]) for r in issues]


def unsubscribed_since(conn: Connection, issue_id: int, since: datetime) -> int:
    """How many of the issue's recipients have unsubscribed since `since` (the issue's creation):
    what an issue cost in readers, as the dashboard shows next to its bounces."""
    query = (
        select(func.count())
        .select_from(deliveries.join(subscribers, subscribers.c.id == deliveries.c.subscriber_id))
        .where(
            deliveries.c.issue_id == issue_id,
            subscribers.c.status == SubscriberStatus.UNSUBSCRIBED,
            subscribers.c.status_changed_at >= since,
        )
    )
    return int(conn.execute(query).scalar_one())
