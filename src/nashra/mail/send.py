"""Send a digest issue to its subscribers, exactly once each, fast.

The flow: resume the digest's open issue or prepare and record a new one; queue one delivery row
per eligible subscriber (one INSERT … SELECT); then claim rows in small keyset-paginated batches
(committed as "sending"), personalise the message rendered once for the issue
(nashra.mail.message) and hand them to the transport a batch at a time: one message per parallel
SMTP connection, each at its own pace, all driven by this one thread (nashra.mail.transports.smtp).

Never twice, and never "sent" unseen. Exactly-once over SMTP is impossible: the server's 250
to the final "." can be lost with the connection or with us. What holds instead is recorded per
row, around that "." (nashra.store.deliveries):
- claimed rows are "sending": their "." has not been written;
- just before their "." are written, rows become "submitting" (the intent), in one commit that
  also books the outcomes seen since the commit before (one commit for every connection that
  waits at that moment; on PostgreSQL the connections not waiting go on while it runs);
- after the replies, each row gets its outcome: "sent" (250), "deferred"/"failed" (refusals), or
  "unknown" when the "." went out and no reply came back.
After a crash or `kill -9` the next sender finds "sending" rows — provably not delivered, the
server dropped their transaction with the connection — and queues them again; and "submitting"
rows, whose "." may or may not have reached the server: they become "unknown", are counted and
reported, and are resolved by the digest's `unknown` policy — "skip" (the default: not resent,
the reader may miss one issue) or "resend" (the reader may get two copies).

Replies (nashra.mail.replies, by enhanced status code and SMTP stage): every temporary failure —
a 4xx at any step, a 421 or a hang-up mid-transaction — is "deferred" with exponential backoff
(retried in this run once due, up to `retry_attempts`, then "failed"); a permanent one is
"failed", and only a recipient-specific one (5.1.x, 5.2.1) marks the subscriber "bounced" so
later sends skip it. A refusal of the connection, the sender or the message, or one reply to a
large share of recipients, stops the send with `RelayRefused`: the rows it touched go back to
"queued", nobody is bounced, the issue stays "sending". An unreachable server — or one that hangs
up on every connection of a batch — pauses the whole send (claimed rows go back to "queued"),
which resumes where it was after `pause_seconds`; after `max_pauses` in a row it stops, leaving
the issue "sending" for the next run.

Two senders never work on one issue at the same time: each takes the digest's sender lock
(nashra.mail.lock) first, and a second sender, be it `nashra digest send` or the worker, stops as
"busy". Every claim and intent is written under the lock's fence, and every outcome names the
claim: a sender that lost its lock mid-send stops (`SenderFenced`) before its next ".".

The web-archive copy is written before the first message, since every message links to it.
"""

from __future__ import annotations

import logging
import select
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Protocol, cast
from urllib.parse import quote

from sqlalchemy import Connection

from nashra.config import Settings
from nashra.config.digests import DigestSettings
from nashra.digest import (
    IssueRecord,
    RenderedDigest,
    load_issue,
    mark_issue,
    open_issue,
    prepare_digest,
    record_issue,
    write_archive,
)
from nashra.digest.clicks import ClickTokens
from nashra.errors import RelayRefused, SenderFenced
from nashra.logs import event
from nashra.mail.lock import Fence, sender_lock
from nashra.mail.message import MessageTemplate, Personal, dkim_signer
from nashra.mail.pacing import RateLimiter, SharedPace, pace
from nashra.mail.replies import RefusalWatch, Verdict, refusal, verdict
from nashra.mail.tokens import UNSUBSCRIBE, Tokens
from nashra.mail.transport import (
    Committing,
    Envelope,
    Outcome,
    Outgoing,
    ServerUnavailable,
    Transport,
    send_one,
)
from nashra.mail.transports import make_transport
from nashra.mail.verp import Verp
from nashra.runtime import Runtime
from nashra.signing_key import load_secret
from nashra.store import deliveries
from nashra.store.deliveries import UNFINISHED, WHOLE, Claimed, DeliveryStatus, Span
from nashra.store.digests import IssueStatus
from nashra.store.overlapped import CommitFailed, Fenced, PendingCommit, libpq_handle
from nashra.store.pauses import Paused, paused
from nashra.store.subscribers import SubscriberStatus, set_status
from nashra.subscribers.addresses import normalise_email

log = logging.getLogger(__name__)

CLAIM_BATCH = 50


class SendStatus(StrEnum):
    """How a send (or a test send) ended; the values are what the CLI prints and stages count."""

    NOTHING_NEW = "nothing-new"  # no open issue and nothing new to put in one
    NO_RECIPIENTS = "no-recipients"  # nobody would receive it: nothing recorded
    BUSY = "busy"  # another process holds this digest's sender lock
    SENT = "sent"  # every row has its final outcome; the issue is "sent"
    PAUSED = "paused"  # the mail server stayed unreachable; the next run resumes
    STOPPED = "stopped"  # asked to stop (SIGTERM): the batch in flight finished, the next run resumes
    ON_HOLD = "on-hold"  # an operator paused the digest (`nashra digest pause`): nothing (more) sent
    TEST = "test"  # a test send to one address, nothing recorded
    QUEUED = "queued"  # its batches were queued for the workers (the distributed mode)


@dataclass
class SendSummary:
    digest: str
    issue_id: int | None = None
    status: SendStatus = SendStatus.NOTHING_NEW
    total: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0
    bounced: int = 0
    skipped: int = 0
    unknown: int = 0
    """Handed to the server with no reply seen: it may or may not have them (see the module doc)."""
    pauses: int = 0
    seconds: float = 0.0
    """Time spent delivering in this run."""
    errors: list[str] = field(default_factory=list)
    batches: int = 0
    """Batch jobs queued (the distributed mode; nashra.mail.batches)."""

    @property
    def done(self) -> int:
        return self.sent + self.failed + self.skipped + self.unknown


ProgressFn = Callable[[SendSummary], None]


class Prepare(Protocol):
    """Makes a digest's next issue, or None when there is nothing to send."""

    def __call__(
        self, runtime: Runtime, digest: DigestSettings, *, now: datetime
    ) -> RenderedDigest | None: ...


class LoggedProgress:
    """Progress of a send nobody watches on a terminal (the worker): a log line every
    `every_seconds`, so a long send is visibly alive."""

    def __init__(self, every_seconds: float = 10.0) -> None:
        self._every = every_seconds
        self._last = time.monotonic()

    def __call__(self, summary: SendSummary) -> None:
        if time.monotonic() - self._last < self._every:
            return
        self._last = time.monotonic()
        event(
            log,
            "send.progress",
            digest=summary.digest,
            issue=summary.issue_id,
            done=summary.done,
            recipients=summary.total,
            percent=round(100 * summary.done / summary.total) if summary.total else 100,
        )


def unknown_line(summary: SendSummary) -> str:
    """How a send reports the messages nobody saw accepted (the CLI and the run summary say it)."""
    return (
        f"digest {summary.digest} issue {summary.issue_id}: {summary.unknown} unknown — the server "
        "may or may not have them (a crash or hang-up between the final '.' and its reply); "
        'not resent (digest policy unknown = "skip")'
    )


def list_id_for(settings: Settings, digest: DigestSettings) -> str:
    domain = settings.mail.list_id or settings.mail.sender_domain
    return f"{settings.site.name} <{digest.name}.{domain}>"


class UnsubscribeLinks:
    """(https one-click URL, mailto URL) per subscriber; the fixed parts worked out once."""

    def __init__(self, settings: Settings, tokens: Tokens) -> None:
        mailbox = settings.mail.unsubscribe_mailto or f"unsubscribe@{settings.mail.sender_domain}"
        self._https = f"{settings.web.base_url}/unsubscribe/"
        self._mailto = f"mailto:{quote(mailbox, safe='@')}?subject=unsubscribe%20"
        self._tokens = tokens

    def __call__(self, subscriber_id: int, email: str) -> tuple[str, str]:
        token = self._tokens.make(UNSUBSCRIBE, subscriber_id, email)  # URL-safe alphabet: no quoting
        return self._https + token, self._mailto + token


class Ledger:
    """The send's database connection: claims rows by keyset and books what happened to them.

    Outcomes seen after a batch's replies wait in memory and are written in the same transaction
    as the next batch's intent (`submit`): one commit per batch. Whatever crash loses them leaves
    those rows "submitting", so they come back as "unknown", never as something they were not.
    """

    def __init__(
        self,
        runtime: Runtime,
        issue_id: int,
        digest: DigestSettings,
        sender: str,
        fence: Fence,
        span: Span = WHOLE,
    ) -> None:
        self._conn = runtime.store.engine.connect()
        self.issue_id = issue_id
        self.span = span
        self.claim = uuid.uuid4().hex
        self.cursor = span.first - 1
        self.exhausted = False
        self._smtp = runtime.settings.mail.smtp
        self._resend = digest.unknown == "resend"
        self._digest = digest.name
        self._sender = sender
        self._fence = fence
        self._hot = deliveries.HotWrites(self._conn, fence.clause)
        self._watch: RefusalWatch[Claimed] = RefusalWatch()
        self._pending: list[tuple[Claimed, Outcome]] = []
        self._requeue: list[Claimed] = []
        self._handle = libpq_handle(self._conn)
        self._inflight: _Inflight | None = None

    def close(self) -> None:
        self._conn.close()

    def _fenced(self) -> SenderFenced:
        event(log, "send.fenced", level=logging.ERROR, issue=self.issue_id)
        return SenderFenced(
            "this process lost the digest's sender lock (its database session ended) and stopped "
            "so that nobody gets a second copy",
            where=f"issue {self.issue_id}",
            hint="the next run resumes; rows whose fate is unknown are reported as 'unknown'",
        )

    def claim_batch(self, summary: SendSummary, limit: int) -> list[Claimed]:
        """The next rows to send ([] once this pass has seen every row)."""
        self._settle()
        if not self._fence.keepalive():
            raise self._fenced()
        while not self.exhausted:
            result = deliveries.claim_batch(
                self._conn,
                self.issue_id,
                self.claim,
                after_id=self.cursor,
                limit=limit,
                now=datetime.now(UTC),
                fence=self._fence.clause,
                span=self.span,
            )
            if result.contested:  # another sender has rows of this issue: this one must stop
                self._conn.rollback()
                raise self._fenced()
            self._conn.commit()
            summary.skipped += result.skipped
            if result.last_id is None:
                self.exhausted = True
            else:
                self.cursor = result.last_id
            if result.claimed:
                return result.claimed
        return []

    def submit(self, items: Sequence[Claimed], summary: SendSummary) -> Committing | None:
        """The intent, just before the final "." of `items`, with the outcomes seen since the last
        commit: one commit. Raises SenderFenced (writing only the outcomes) if the lock is gone.

        On PostgreSQL, when only intents and "sent" outcomes are to be written, the commit is left
        running (nashra.store.overlapped) and returned: the "."s wait for it, the rest goes on."""
        self._settle()
        now = datetime.now(UTC)
        ids = [i.delivery_id for i in items]
        if self._handle is not None and not self._requeue and all(o.kind == "sent" for _, o in self._pending):
            pending, self._pending = self._pending, []
            sent = [i.delivery_id for i, _ in pending]
            script = self._hot.script(ids, sent, self.claim, now=now)
            commit = PendingCommit(self._handle, script)
            inflight = _Inflight(commit, lambda error: self._settled(commit, error, pending, summary))
            self._inflight = inflight
            return inflight
        if self._hot.mark_submitting(self._conn, ids, self.claim, now=now) != len(ids):
            self._conn.rollback()
            self.flush(summary)
            raise self._fenced()
        self._write_pending(summary)
        self._conn.commit()
        return None

    def _settle(self) -> None:
        """Wait for the commit left running, if any: the connection is free after this."""
        if self._inflight is not None:
            self._inflight.wait()

    def _settled(
        self,
        commit: PendingCommit,
        error: Exception | None,
        pending: list[tuple[Claimed, Outcome]],
        summary: SendSummary,
    ) -> None:
        self._inflight = None
        if error is None:
            summary.sent += commit.rowcounts[1] if len(commit.rowcounts) > 1 else 0
            return
        # Nothing of it was written (it was rolled back): the outcomes wait for the next commit.
        self._pending[:0] = pending
        if isinstance(error, Fenced):
            self.flush(summary)
            raise self._fenced() from None
        raise error

    def flush(self, summary: SendSummary) -> None:
        """Write the outcomes still waiting (before giving rows back, pausing or stopping)."""
        self._write_pending(summary)
        self._conn.commit()

    def record(self, results: Sequence[tuple[Claimed, Outcome]], summary: SendSummary) -> None:
        """Take the outcomes of a batch, to be written with the next commit. Permanent refusals
        wait in the watch until they are known to be the recipients' own; raises RelayRefused,
        with those put back, when they are the relay's."""
        self._watch.see(results)
        cause = (
            next((refusal(o, self._sender) for _, o in results if verdict(o) is Verdict.REFUSED), None)
            or self._watch.mass_refusal()
        )
        self._pending.extend((i, o) for i, o in results if o.kind != "permanent")
        if cause is not None:
            self._refuse(cause, summary)
        self._pending.extend(self._watch.settle())

    def settle(self, summary: SendSummary) -> None:
        """End of a pass: judge the refusals still held, and write every outcome."""
        cause = self._watch.mass_refusal(final=True)
        if cause is not None:
            self._refuse(cause, summary)
        self._pending.extend(self._watch.settle(final=True))
        self.flush(summary)

    def _refuse(self, cause: str, summary: SendSummary) -> None:
        now = datetime.now(UTC)
        self._write_pending(summary)
        held, self._watch.held = self._watch.held, []
        for item, outcome in held:
            if outcome.committed:  # its "." was refused: due again, once the relay is fixed
                self._due_again(item, outcome, now)
        deliveries.requeue(
            self._conn, [i.delivery_id for i, o in held if not o.committed], self.claim, now=now
        )
        self._conn.commit()
        event(log, "send.refused", level=logging.ERROR, issue=self.issue_id, cause=cause)
        raise RelayRefused(
            cause,
            where=f"smtp {self._smtp.host}:{self._smtp.port}",
            hint="nobody was bounced and the rest is kept: fix the relay or mail settings and send again",
        )

    def _due_again(self, item: Claimed, outcome: Outcome, now: datetime) -> None:
        """A refused "." not judged (the relay's fault or the reader's?): due again at once,
        its attempt already counted by the intent."""
        deliveries.mark_deferred(
            self._conn,
            item.delivery_id,
            self.claim,
            outcome.describe(),
            next_attempt_at=now,
            now=now,
            counted=0,
        )

    def requeue(self, items: Sequence[Claimed]) -> None:
        """Rows the transport never attempted: queued again with the next commit."""
        self._requeue.extend(items)

    def abort(
        self, results: Sequence[tuple[Claimed, Outcome]], unsent: Sequence[Claimed], summary: SendSummary
    ) -> None:
        """After the send stopped on a refusal or a lost lock: book the outcomes that came in while
        the transport wound down — a permanent refusal among them is not judged (the relay's or
        the recipient's?) but made due again, bouncing nobody — and give back what was not sent."""
        self._settle()
        now = datetime.now(UTC)
        for item, outcome in results:
            if outcome.kind != "permanent":
                self._pending.append((item, outcome))
            elif outcome.committed:
                self._due_again(item, outcome, now)
            else:
                self._requeue.append(item)
        self.give_back(unsent, summary)

    def _write_pending(self, summary: SendSummary) -> None:
        self._settle()
        pending, self._pending = self._pending, []
        now = datetime.now(UTC)
        requeue, self._requeue = self._requeue, []
        deliveries.requeue(self._conn, [i.delivery_id for i in requeue], self.claim, now=now)
        sent = [i.delivery_id for i, o in pending if o.kind == "sent"]
        summary.sent += self._hot.mark_sent(self._conn, sent, self.claim, now=now)
        for item, outcome in pending:
            if outcome.kind != "sent":
                self._book(item, outcome, summary, now)

    def _book(self, item: Claimed, outcome: Outcome, summary: SendSummary, now: datetime) -> None:
        judged = verdict(outcome)
        counted = 0 if outcome.committed else 1
        attempts = item.attempts + 1
        if judged is Verdict.UNKNOWN and not self._resend:
            summary.unknown += deliveries.mark_unknown(
                self._conn, item.delivery_id, self.claim, outcome.describe(), now=now
            )
        elif judged in (Verdict.RETRY, Verdict.UNKNOWN) and attempts < self._smtp.retry_attempts:
            delay = self._smtp.retry_backoff_seconds * (2 ** (attempts - 1))
            summary.retried += deliveries.mark_deferred(
                self._conn,
                item.delivery_id,
                self.claim,
                outcome.describe(),
                next_attempt_at=now + timedelta(seconds=delay),
                now=now,
                counted=counted,
            )
        elif deliveries.mark_failed(
            self._conn, item.delivery_id, self.claim, outcome.describe(), now=now, counted=counted
        ):
            summary.failed += 1
            if judged is Verdict.BOUNCE:
                set_status(
                    self._conn,
                    item.subscriber_id,
                    SubscriberStatus.BOUNCED,
                    now=now,
                    reason=outcome.describe(),
                )
                summary.bounced += 1
        event(
            log,
            "delivery.unknown" if judged is Verdict.UNKNOWN else "delivery.refused",
            level=logging.WARNING,
            issue=self.issue_id,
            delivery=item.delivery_id,
            reply=outcome.describe(),
            stage=outcome.stage,
            verdict=judged,
        )

    def give_back(self, items: Sequence[Claimed], summary: SendSummary) -> None:
        self._write_pending(summary)
        deliveries.requeue(self._conn, [i.delivery_id for i in items], self.claim, now=datetime.now(UTC))
        self._conn.commit()

    def rewind(self) -> None:
        self.cursor = self.span.first - 1
        self.exhausted = False

    def on_hold(self) -> bool:
        """Whether an operator paused this digest since the send began."""
        self._settle()
        held = paused(self._conn, Paused.DIGEST, self._digest) is not None
        self._conn.commit()
        return held


class _Inflight:
    """The ledger's commit left running (see Ledger.submit), settled with the ledger once done."""

    def __init__(self, commit: PendingCommit, settle: Callable[[Exception | None], None]) -> None:
        self._commit = commit
        self._settle = settle
        self._error: Exception | None = None
        self._settled = False

    def fileno(self) -> int:
        return self._commit.fileno()

    def done(self) -> bool:
        """Whether it is committed; raises SenderFenced or the database's error if it was not."""
        if not self._settled:
            try:
                if not self._commit.done():
                    return False
            except (Fenced, CommitFailed) as exc:
                self._error = exc
            self._settled = True
            try:
                self._settle(self._error)
            except Exception as exc:
                self._error = exc
        if self._error is not None:
            raise self._error
        return True

    def wait(self) -> None:
        while not self.done():
            select.select([self.fileno()], [], [])


class PassEnd(StrEnum):
    DONE = "done"
    SERVER_DOWN = "server-down"
    STOPPED = "stopped"
    ON_HOLD = "on-hold"


PAUSE_CHECK_SECONDS = 5.0
"""How often a send in progress looks whether an operator paused its digest."""


class Dispatcher:
    """One pass over an issue's due rows, as the transport session's feed: rows claimed a batch
    at a time, each personalised when the session has room for it, intents and outcomes handed
    to the ledger (which writes them with one commit per intent)."""

    def __init__(
        self,
        settings: Settings,
        ledger: Ledger,
        template: MessageTemplate,
        transport: Transport,
        tokens: Tokens,
        summary: SendSummary,
        stopping: threading.Event,
        limiter: RateLimiter | SharedPace,
        readers: ClickTokens | None = None,
    ) -> None:
        self.settings = settings
        self.stopping = stopping
        self._pause_checked = time.monotonic()
        self.ledger = ledger
        self.template = template
        self.transport = transport
        self.links = UnsubscribeLinks(settings, tokens)
        self.verp = Verp(load_secret(settings), template.envelope_from) if settings.mail.verp else None
        self.readers = readers
        """Set when the digest records who clicked: each message's story links name its reader."""
        self.summary = summary
        self.limiter = limiter
        self.again = False
        """Set when rows were given back during a pass (one connection broke): run another pass."""
        self._claimed: deque[Claimed] = deque()
        self._results: list[tuple[Claimed, Outcome]] = []
        self._lost: list[Claimed] = []
        self._end: PassEnd | None = None
        self._closed_run = 0
        self._width = 1
        self._progress: ProgressFn | None = None
        self._reported = 0.0

    def _message(self, item: Claimed) -> Outgoing:
        https, mailto = self.links(item.subscriber_id, item.email)
        key = f"{self.ledger.issue_id}.{item.subscriber_id}"
        # The claim nonce keeps Message-IDs unique across installs that share a domain.
        personal = Personal(
            email=item.email,
            name=item.name,
            message_key=f"{key}.{self.ledger.claim[:12]}",
            unsubscribe_url=https,
            unsubscribe_mailto=mailto,
            click_reader=self.readers.reader_part(self.ledger.issue_id, item.subscriber_id)
            if self.readers
            else "",
        )
        sender = (
            self.template.envelope_from
            if self.verp is None
            else self.verp.address(self.ledger.issue_id, item.subscriber_id)
        )
        envelope = Envelope(sender, item.email, key.replace(".", "-"), wire_ready=True)
        return Outgoing(envelope, self.template.render(personal), item)

    # The session's feed -------------------------------------------------------------------------

    def next_message(self) -> Outgoing | None:
        if self._end is not None:
            return None
        if self.stopping.is_set():
            self._end = PassEnd.STOPPED
            return None
        if time.monotonic() - self._pause_checked > PAUSE_CHECK_SECONDS:
            self._pause_checked = time.monotonic()
            if self.ledger.on_hold():
                self._end = PassEnd.ON_HOLD
                return None
        if not self._claimed:
            self._record()
            self._claimed.extend(self.ledger.claim_batch(self.summary, max(CLAIM_BATCH, self._width * 16)))
            if not self._claimed:
                return None
        self.limiter.wait(1)
        return self._message(self._claimed.popleft())

    def commit(self, messages: Sequence[Outgoing]) -> Committing | None:
        self._record()
        committing = self.ledger.submit([cast(Claimed, m.ref) for m in messages], self.summary)
        if self._progress and time.monotonic() - self._reported > 0.2:
            self._reported = time.monotonic()
            self._progress(self.summary)
        return committing

    def outcome(self, message: Outgoing, outcome: Outcome | None) -> None:
        item = cast(Claimed, message.ref)
        if outcome is None:
            self._lost.append(item)
            return
        self._results.append((item, outcome))
        if not outcome.closed:
            self._closed_run = 0
            return
        self._closed_run += 1
        if self._closed_run >= 2 * self._width and self._end is None:
            # The server hangs up on every connection, again and again: wait as for an outage.
            self._end = PassEnd.SERVER_DOWN
            self.summary.errors.append(f"the server closed the connection: {outcome.describe()}")

    # ---------------------------------------------------------------------------------------------

    def _record(self) -> None:
        """Hand the outcomes seen so far to the ledger, and the rows never attempted back."""
        results, self._results = self._results, []
        if results:
            self.ledger.record(results, self.summary)
        if self._lost:
            self.ledger.requeue(self._lost)
            self._lost = []
            self.again = True

    def run_pass(self, progress: ProgressFn | None) -> PassEnd:
        """Send every due row once, unless the server went away or a stop was asked for (then the
        unsent rows are given back). Rows given back because a single connection broke are sent by
        a further pass."""
        self.ledger.rewind()
        self._end, self._closed_run, self._progress = None, 0, progress
        session = self.transport.open()
        self._width = max(1, session.width)
        try:
            try:
                session.pump(self)
            except ServerUnavailable as exc:
                self.summary.errors.append(str(exc))
                self._end = PassEnd.SERVER_DOWN
            except (RelayRefused, SenderFenced):
                self._wind_up(aborted=True)
                raise
            ended = self._end or PassEnd.DONE
            self._wind_up(aborted=False)
            if ended is PassEnd.DONE:
                self.ledger.settle(self.summary)
        finally:
            session.close()
        if progress:
            progress(self.summary)
        return ended

    def _wind_up(self, *, aborted: bool) -> None:
        """Book what the session reported and give back what it never took."""
        untaken, self._claimed = list(self._claimed), deque()
        if aborted:
            self.ledger.abort(self._results, [*self._lost, *untaken], self.summary)
            self._results, self._lost = [], []
            return
        try:
            self._record()
        except RelayRefused:
            self.ledger.give_back(untaken, self.summary)
            raise
        self.ledger.give_back(untaken, self.summary)


def _issue_template(
    runtime: Runtime, digest: DigestSettings, issue: IssueRecord | RenderedDigest, *, subject_prefix: str = ""
) -> MessageTemplate:
    settings = runtime.settings
    key_path = settings.resolve(settings.mail.dkim.key_path) if settings.mail.dkim.key_path else None
    return MessageTemplate(
        settings.mail,
        subject=subject_prefix + issue.subject,
        html_body=issue.html,
        text_body=issue.text,
        date=datetime.now(UTC),
        list_id=list_id_for(settings, digest),
        signer=dkim_signer(settings.mail, key_path),
    )


def send_digest(
    runtime: Runtime,
    digest: DigestSettings,
    *,
    transport: Transport | None = None,
    progress: ProgressFn | None = None,
    now: datetime | None = None,
    sleep: Callable[[float], object] | None = None,
    prepare: Prepare | None = None,
) -> SendSummary:
    """Send `digest`'s open issue, or a new one if there is something new; resumable at any point.
    Waits (rate, backoff, outages) end early when the runtime is asked to stop. `prepare` makes
    the new issue (default: the digest of what is new; nashra.digest.alert makes an alert).

    Status "busy" when another process is sending this digest right now (see `mail.lock`). A
    transport that cannot be built (bad options, links that would not work) stops it before
    anything is recorded.
    """
    held = on_hold(runtime, digest)
    if held is not None:
        return held
    transport = transport or make_transport(runtime.settings)
    with sender_lock(runtime.store, digest.name) as fence:
        if fence is None:
            return busy(digest.name, "another nashra process is sending this digest; it was left to finish")
        summary = SendSummary(digest=digest.name)
        issue_id = open_for_send(
            runtime, digest, summary, now=now or datetime.now(UTC), prepare=prepare or prepare_digest
        )
        if issue_id is None:
            return summary
        return send_span(
            runtime,
            digest,
            issue_id,
            fence,
            summary,
            transport=transport,
            progress=progress,
            sleep=sleep or runtime.stopping.wait,
        )


def on_hold(runtime: Runtime, digest: DigestSettings) -> SendSummary | None:
    """Why `digest` must not be sent now (disabled, or paused by an operator), or None."""
    if not digest.enabled:
        return SendSummary(
            digest=digest.name, status=SendStatus.ON_HOLD, errors=["disabled in the config (enabled = false)"]
        )
    with runtime.store.connect() as conn:
        hold = paused(conn, Paused.DIGEST, digest.name)
    if hold is None:
        return None
    event(log, "send.on_hold", digest=digest.name, since=hold.paused_at.isoformat(), reason=hold.reason)
    return SendSummary(digest=digest.name, status=SendStatus.ON_HOLD, errors=[hold.reason])


def busy(digest: str, hint: str, **where: object) -> SendSummary:
    event(log, "send.busy", level=logging.WARNING, digest=digest, hint=hint, **where)
    return SendSummary(digest=digest, status=SendStatus.BUSY)


def open_for_send(
    runtime: Runtime,
    digest: DigestSettings,
    summary: SendSummary,
    *,
    now: datetime,
    queued: Callable[[Connection, int], None] | None = None,
    prepare: Prepare = prepare_digest,
) -> int | None:
    """The issue to send, as the digest's only sender: its open issue, with what a dead sender
    left of it settled, or a new one with its rows queued. None when there is nothing to send
    (`summary.status` says why).
    `queued(conn, issue_id)` runs in the transaction that leaves the issue "sending"."""
    with runtime.store.begin() as conn:
        issue = open_issue(conn, digest.name)
    if issue is None:
        with runtime.store.connect() as conn:
            if deliveries.count_eligible(conn, digest.recipients, digest.name) == 0:
                # Recording an issue nobody receives would use up its articles for the first
                # subscribers to come; wait until there is someone to send to.
                summary.status = SendStatus.NO_RECIPIENTS
                return None
        rendered = prepare(runtime, digest, now=now)
        if rendered is None:
            return None
        with runtime.store.begin() as conn:
            issue_id = record_issue(conn, rendered, now=now)
            deliveries.create_deliveries(conn, issue_id, digest.recipients, digest.name, now=now)
            mark_issue(conn, issue_id, IssueStatus.SENDING, now=now)
            if queued:
                queued(conn, issue_id)
    else:
        issue_id = issue.id
        with runtime.store.begin() as conn:
            if issue.status is IssueStatus.READY:  # recorded, then crashed before its rows were queued
                deliveries.create_deliveries(conn, issue_id, digest.recipients, digest.name, now=now)
                mark_issue(conn, issue_id, IssueStatus.SENDING, now=now)
            left = deliveries.resolve_interrupted(conn, issue_id, now=now, resend=digest.unknown == "resend")
            if queued:
                queued(conn, issue_id)
        _resumed(issue_id, left, digest)
    summary.issue_id = issue_id
    return issue_id


def _resumed(issue_id: int, left: deliveries.Interrupted, digest: DigestSettings, **where: object) -> None:
    if left.requeued or left.unknown:
        event(
            log,
            "send.resumed",
            level=logging.WARNING if left.unknown else logging.INFO,
            issue=issue_id,
            requeued=left.requeued,
            unknown=left.unknown,
            policy=digest.unknown,
            **where,
        )


def resume_span(runtime: Runtime, digest: DigestSettings, issue_id: int, span: Span) -> None:
    """Settle what a dead sender left in `span` (the caller holds the span's lock)."""
    with runtime.store.begin() as conn:
        left = deliveries.resolve_interrupted(
            conn, issue_id, now=datetime.now(UTC), resend=digest.unknown == "resend", span=span
        )
    _resumed(issue_id, left, digest, batch=span.key)


def send_span(
    runtime: Runtime,
    digest: DigestSettings,
    issue_id: int,
    fence: Fence,
    summary: SendSummary,
    *,
    transport: Transport,
    progress: ProgressFn | None,
    sleep: Callable[[float], object],
    span: Span = WHOLE,
) -> SendSummary:
    """Deliver the issue's rows in `span` (all of them by default) as their only sender; the
    issue is marked "sent" by whichever sender finds no row of it left unfinished."""
    settings = runtime.settings
    rows = "all" if span == WHOLE else span.key
    summary.issue_id = issue_id
    with runtime.store.connect() as conn:
        issue = load_issue(conn, issue_id)
        counts = deliveries.delivery_counts(conn, issue_id, span)
    write_archive(settings, issue)  # every message links to it: it must be there before the first
    summary.total = sum(counts.values())
    summary.sent = counts.get(DeliveryStatus.SENT, 0)
    summary.failed = counts.get(DeliveryStatus.FAILED, 0)
    summary.skipped = counts.get(DeliveryStatus.SKIPPED, 0)
    summary.unknown = counts.get(DeliveryStatus.UNKNOWN, 0)
    event(
        log,
        "send.start",
        digest=digest.name,
        issue=issue_id,
        recipients=summary.total,
        left=summary.total - summary.done,
        rows=rows,
    )
    template = _issue_template(runtime, digest, issue)
    ledger = Ledger(runtime, issue_id, digest, template.envelope_from, fence, span)
    rate = settings.mail.smtp.rate_per_second if settings.mail.transport == "smtp" else 0
    started = time.monotonic()
    try:
        dispatcher = Dispatcher(
            settings,
            ledger,
            template,
            transport,
            Tokens.from_settings(settings),
            summary,
            runtime.stopping,
            pace(runtime.store, issue_id, rate, shared=span != WHOLE, sleep=sleep),
            ClickTokens.from_settings(settings) if digest.clicks_per_subscriber else None,
        )
        ended = _deliver(runtime, dispatcher, ledger, summary, progress or LoggedProgress(), sleep)
        if ended is not PassEnd.DONE:
            summary.status = {
                PassEnd.STOPPED: SendStatus.STOPPED,
                PassEnd.ON_HOLD: SendStatus.ON_HOLD,
            }.get(ended, SendStatus.PAUSED)
            event(
                log,
                f"send.{summary.status}",
                level=logging.WARNING,
                digest=digest.name,
                issue=issue_id,
                sent=summary.sent,
                left=summary.total - summary.done,
                rows=rows,
            )
            return summary
    finally:
        ledger.close()
        summary.seconds = time.monotonic() - started
    with runtime.store.begin() as conn:
        stray = deliveries.count_in(conn, issue_id, [DeliveryStatus.SENDING, DeliveryStatus.SUBMITTING], span)
        if not stray and deliveries.count_in(conn, issue_id, UNFINISHED) == 0:
            mark_issue(conn, issue_id, IssueStatus.SENT, now=datetime.now(UTC))
    if stray:  # left by a sender that lost its lock a moment ago: the next run settles them
        summary.status = SendStatus.PAUSED
        summary.errors.append(
            f"{stray} deliveries were still held by another sender; the next run settles them"
        )
        return summary
    summary.status = SendStatus.SENT
    event(
        log,
        "send.done",
        level=logging.WARNING if summary.unknown else logging.INFO,
        digest=digest.name,
        issue=issue_id,
        sent=summary.sent,
        failed=summary.failed,
        retried=summary.retried,
        skipped=summary.skipped,
        unknown=summary.unknown,
        rows=rows,
    )
    return summary


def _deliver(
    runtime: Runtime,
    dispatcher: Dispatcher,
    ledger: Ledger,
    summary: SendSummary,
    progress: ProgressFn | None,
    sleep: Callable[[float], object],
) -> PassEnd:
    """Passes until nothing is due; waits out deferrals and server outages, unless stopped."""
    smtp = runtime.settings.mail.smtp
    outages = 0
    while True:
        dispatcher.again = False
        ended = dispatcher.run_pass(progress)
        if ended is PassEnd.ON_HOLD:
            return ended
        if ended is PassEnd.STOPPED or runtime.stopping.is_set():
            return PassEnd.STOPPED
        if ended is PassEnd.SERVER_DOWN:
            outages += 1
            summary.pauses += 1
            if outages > smtp.max_pauses:
                return PassEnd.SERVER_DOWN
            event(
                log,
                "send.server_down",
                level=logging.WARNING,
                issue=ledger.issue_id,
                pause=smtp.pause_seconds,
                error=summary.errors[-1] if summary.errors else "",
            )
            sleep(smtp.pause_seconds)
            continue
        outages = 0
        if dispatcher.again:
            continue
        with runtime.store.connect() as conn:
            due = deliveries.next_due(conn, ledger.issue_id, ledger.span)
            queued = deliveries.count_in(conn, ledger.issue_id, [DeliveryStatus.QUEUED], ledger.span)
        if due is None:
            if queued:  # rows given back behind this pass's keyset cursor: one more pass
                continue
            return PassEnd.DONE
        sleep(max(0.0, (due - datetime.now(UTC)).total_seconds()))


def send_test(
    runtime: Runtime, digest: DigestSettings, address: str, *, transport: Transport | None = None
) -> SendSummary:
    """Send the digest as it would go out now to one address, subject prefixed; records nothing."""
    settings = runtime.settings
    email = normalise_email(address)
    with runtime.store.connect() as conn:
        issue = open_issue(conn, digest.name)
    content = issue or prepare_digest(runtime, digest)
    summary = SendSummary(digest=digest.name, status=SendStatus.TEST, total=1)
    if content is None:
        summary.status = SendStatus.NOTHING_NEW
        return summary
    template = _issue_template(runtime, digest, content, subject_prefix=settings.mail.test_subject_prefix)
    tokens = Tokens.from_settings(settings)
    https, mailto = UnsubscribeLinks(settings, tokens)(0, email)
    message = template.render(Personal(email, "", f"test.{uuid.uuid4().hex[:12]}", https, mailto))
    outcome = send_one(
        transport or make_transport(settings),
        Envelope(template.envelope_from, email, f"test-{uuid.uuid4().hex[:12]}"),
        message,
    )
    if outcome.kind == "sent":
        summary.sent = 1
    else:
        summary.failed = 1
        summary.errors.append(outcome.describe())
    return summary
