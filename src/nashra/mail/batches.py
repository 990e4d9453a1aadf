"""A digest issue sent in batches that any worker can take (the distributed mode).

The job for a digest opens its issue as the digest's only sender (nashra.mail.lock): a new issue
is rendered and its rows queued, an open one has what a dead sender left settled. In the same
transaction that leaves the issue "sending" it queues one job per span of `BATCH_SIZE` rows still
to send (as Ghost sends in batches of 1,000), then lets go of the digest.

A batch job sends its span exactly as one process sends a whole issue (nashra.mail.send): the
same claims, intents and outcomes, under its own lock and fence, with what a dead sender left in
the span settled first — "sending" rows queued again, "submitting" ones "unknown". So a worker
killed mid-batch costs at most the messages whose "." it had written and whose reply it had not
read; its batch is run again by another worker once its heartbeat is stale (nashra.queue), and
a slow worker that still beats keeps its lock and its rows. The rate is the issue's, shared by
every worker sending it (nashra.mail.pacing). Whichever batch finds no row of the issue left
unfinished marks the issue "sent".

A batch whose lock is held by another worker (taken for dead by the queue, yet alive) is queued
again for later, and so is one whose worker was asked to stop. One whose mail server stayed away
through `max_pauses` pauses, or paused by an operator, ends as a whole send would: its rows wait,
and the digest's next job (its trigger, after `nashra digest resume` if paused) queues again
every batch with rows left.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import Connection

from nashra.config.digests import DigestSettings
from nashra.logs import event
from nashra.mail.lock import batch_lock, sender_lock
from nashra.mail.send import (
    ProgressFn,
    SendStatus,
    SendSummary,
    busy,
    on_hold,
    open_for_send,
    resume_span,
    send_span,
)
from nashra.mail.transport import Transport
from nashra.mail.transports import make_transport
from nashra.runtime import Handoff, Runtime
from nashra.store import deliveries
from nashra.store.deliveries import UNFINISHED, Span

log = logging.getLogger(__name__)

STAGE = "digests"
BATCH_SIZE = 1_000
"""Rows per batch job: enough to keep a worker's connections busy for a few seconds, few enough
that a lost worker's batch is soon run again and that the jobs of an issue spread over workers."""
BUSY_RETRY_SECONDS = 15.0
"""When a batch's lock is held elsewhere: look again this much later."""


def batch_target(digest: str, issue_id: int, span: Span) -> str:
    """A batch as a job's target: "daily/42/1001-2000"."""
    return f"{digest}/{issue_id}/{span.key}"


def parse_batch(target: str) -> tuple[str, int, Span] | None:
    """(digest, issue, span) of a batch target, None for a digest's own ("daily")."""
    digest, sep, rest = target.partition("/")
    if not sep:
        return None
    issue, _, span = rest.partition("/")
    return digest, int(issue), Span.parse(span)


def queue_batches(
    runtime: Runtime, digest: DigestSettings, handoff: Handoff, *, now: datetime | None = None
) -> SendSummary:
    """Open the digest's issue (a new one when there is something new) and queue a job for each
    batch of its rows still to send; status "queued", or why nothing was."""
    held = on_hold(runtime, digest)
    if held is not None:
        return held
    with sender_lock(runtime.store, digest.name) as fence:
        if fence is None:
            return busy(digest.name, "its batches are being sent, or another process sends it whole")
        summary = SendSummary(digest=digest.name)

        def queue(conn: Connection, issue_id: int) -> None:
            targets = [
                batch_target(digest.name, issue_id, span)
                for span in deliveries.spans(conn, issue_id, BATCH_SIZE)
                if deliveries.count_in(conn, issue_id, UNFINISHED, span)
            ]
            summary.batches = handoff(conn, STAGE, targets)

        if open_for_send(runtime, digest, summary, now=now or datetime.now(UTC), queued=queue) is None:
            return summary
    summary.status = SendStatus.QUEUED
    event(log, "send.batches_queued", digest=digest.name, issue=summary.issue_id, batches=summary.batches)
    return summary


def send_batch(
    runtime: Runtime,
    digest: DigestSettings,
    target: str,
    handoff: Handoff,
    *,
    transport: Transport | None = None,
    progress: ProgressFn | None = None,
    sleep: Callable[[float], object] | None = None,
) -> SendSummary:
    """Send one batch (`target` from `batch_target`) as its only sender."""
    parsed = parse_batch(target)
    assert parsed is not None, target
    _, issue_id, span = parsed
    held = on_hold(runtime, digest)
    if held is not None:
        return held
    transport = transport or make_transport(runtime.settings)
    with batch_lock(runtime.store, digest.name, f"{issue_id}/{span.key}") as fence:
        if fence is None:
            _again(runtime, handoff, target, BUSY_RETRY_SECONDS)
            return busy(
                digest.name, "another worker sends this batch, or the digest is sent whole", rows=span.key
            )
        resume_span(runtime, digest, issue_id, span)
        summary = send_span(
            runtime,
            digest,
            issue_id,
            fence,
            SendSummary(digest=digest.name),
            transport=transport,
            progress=progress,
            sleep=sleep or runtime.stopping.wait,
            span=span,
        )
        if summary.status is SendStatus.STOPPED:
            _again(runtime, handoff, target, 0)
    return summary


def _again(runtime: Runtime, handoff: Handoff, target: str, delay: float) -> None:
    """Queue the batch once more (it waits for this run to end: a batch's jobs share one lock)."""
    with runtime.store.begin() as conn:
        handoff(conn, STAGE, [target], delay=delay)
    event(log, "send.batch_requeued", target=target, delay=delay)
