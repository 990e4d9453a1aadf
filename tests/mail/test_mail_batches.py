"""An issue sent in batches (the distributed mode, PostgreSQL): the digest's job opens the issue and
queues its batches in the same transaction; batches sent side by side by several senders reach
everyone once, and the last one to finish marks the issue sent; a batch left by a dead sender is
settled within its span only; a batch whose lock is held elsewhere is queued again, not dropped;
a sender of the whole digest and batches never run together; the rate is the issue's across
senders."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

import pytest
from mailkit import SmtpServer, populate, record_test_issue, statuses_by_address
from sqlalchemy import Connection, select, update

from nashra.config import Settings
from nashra.config.digests import DigestSettings
from nashra.mail import batches, lock
from nashra.mail.batches import batch_target, parse_batch, queue_batches, send_batch
from nashra.mail.lock import batch_lock, sender_lock
from nashra.mail.pacing import SharedPace
from nashra.mail.send import SendStatus
from nashra.runtime import Runtime
from nashra.store.deliveries import Span, deliveries
from nashra.store.digests import IssueStatus, get_issue

pytestmark = pytest.mark.postgres_only

DIGEST = DigestSettings(name="daily")


@dataclass
class Handoff:
    """Runtime.handoff as a queue worker has it, recording what would be queued (and checking it
    is asked inside the caller's transaction)."""

    queued: list[tuple[str, float]] = field(default_factory=list)

    def __call__(self, conn: Connection, stage: str, targets: Sequence[str], *, delay: float = 0) -> int:
        assert stage == "digests" and conn.in_transaction()
        self.queued.extend((target, delay) for target in targets)
        return len(targets)


@pytest.fixture
def runtime(make_settings: Callable[[str], Settings], smtp_server: SmtpServer) -> Iterator[Runtime]:
    settings = make_settings(smtp_server.toml(connections=2) + '[[digests]]\nname = "daily"\n')
    with Runtime.open(settings) as opened:
        yield opened


def _span(target: str) -> Span:
    parsed = parse_batch(target)
    assert parsed is not None
    return parsed[2]


def _readers(count: int) -> list[str]:
    return [f"reader{n:04d}@oasis.example" for n in range(count)]


def test_batches_sent_side_by_side_reach_everyone_once_and_the_last_marks_the_issue_sent(
    runtime: Runtime, smtp_server: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(batches, "BATCH_SIZE", 120)
    addresses = _readers(500)
    populate(runtime, addresses)
    issue_id = record_test_issue(runtime)
    handoff = Handoff()
    queued = queue_batches(runtime, DIGEST, handoff)
    assert queued.status is SendStatus.QUEUED and queued.batches == 5
    targets = [target for target, _ in handoff.queued]
    spans = [_span(target) for target in targets]
    with runtime.store.connect() as conn:
        ids = list(conn.execute(select(deliveries.c.id).order_by(deliveries.c.id)).scalars())
    assert spans == [Span(ids[n], ids[n + 119]) for n in range(0, 480, 120)] + [Span(ids[480], None)]
    with runtime.store.connect() as conn:
        assert get_issue(conn, issue_id).status is IssueStatus.SENDING  # type: ignore[union-attr]

    results: dict[str, str] = {}

    def send(target: str) -> None:
        results[target] = send_batch(runtime, DIGEST, target, handoff).status

    first_four = [threading.Thread(target=send, args=(t,)) for t in targets[:4]]
    for thread in first_four:
        thread.start()
    for thread in first_four:
        thread.join(60)
    with runtime.store.connect() as conn:
        assert get_issue(conn, issue_id).status is IssueStatus.SENDING  # type: ignore[union-attr]
    send(targets[4])
    assert set(results.values()) == {SendStatus.SENT}
    assert smtp_server.handler.copies() == dict.fromkeys(addresses, 1)
    assert set(statuses_by_address(runtime, issue_id).values()) == {"sent"}
    with runtime.store.connect() as conn:
        assert get_issue(conn, issue_id).status is IssueStatus.SENT  # type: ignore[union-attr]
    assert handoff.queued[5:] == []  # nothing queued again


def test_a_batch_left_by_a_dead_sender_is_settled_in_its_span_only(
    runtime: Runtime, smtp_server: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(batches, "BATCH_SIZE", 10)
    addresses = _readers(20)
    populate(runtime, addresses)
    issue_id = record_test_issue(runtime)
    handoff = Handoff()
    queue_batches(runtime, DIGEST, handoff)
    first, second = (target for target, _ in handoff.queued)
    span = _span(first)
    # What a sender killed in each span left: a claimed row ("." never written), an intent.
    with runtime.store.begin() as conn:
        ids = list(conn.execute(select(deliveries.c.id).order_by(deliveries.c.id)).scalars())
        for row, status in (
            (ids[0], "sending"),
            (ids[1], "submitting"),
            (ids[10], "sending"),
            (ids[11], "submitting"),
        ):
            conn.execute(update(deliveries).where(deliveries.c.id == row).values(status=status, claim="dead"))
    done = send_batch(runtime, DIGEST, first, handoff)
    assert done.status is SendStatus.SENT and done.unknown == 1 and done.sent == 9
    rows = statuses_by_address(runtime, issue_id)
    assert [rows[a] for a in addresses[:10]] == ["sent", "unknown", *["sent"] * 8]
    assert [rows[a] for a in addresses[10:]] == ["sending", "submitting", *["queued"] * 8]  # not its span
    assert addresses[1] not in smtp_server.handler.copies()  # "unknown" is never resent
    assert span.first == ids[0] and span.last == ids[9]
    send_batch(runtime, DIGEST, second, handoff)
    with runtime.store.connect() as conn:
        assert get_issue(conn, issue_id).status is IssueStatus.SENT  # type: ignore[union-attr]


def test_a_batch_whose_lock_is_held_elsewhere_is_queued_again_not_dropped(
    runtime: Runtime, smtp_server: SmtpServer
) -> None:
    populate(runtime, _readers(3))
    issue_id = record_test_issue(runtime)
    handoff = Handoff()
    queue_batches(runtime, DIGEST, handoff)
    ((target, _),) = handoff.queued
    span = _span(target)
    with batch_lock(runtime.store, "daily", f"{issue_id}/{span.key}") as other:  # a live sender, slow
        assert other is not None
        held = send_batch(runtime, DIGEST, target, handoff)
    assert held.status is SendStatus.BUSY and smtp_server.handler.copies() == {}
    assert handoff.queued[1:] == [(target, batches.BUSY_RETRY_SECONDS)]
    assert send_batch(runtime, DIGEST, target, handoff).status is SendStatus.SENT


def test_the_whole_digest_sender_and_its_batches_never_run_together(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(lock, "SHARED_WAIT_SECONDS", 0.3)
    with sender_lock(runtime.store, "daily") as whole:
        assert whole is not None
        with batch_lock(runtime.store, "daily", "7/1-10") as batch:
            assert batch is None
    with (
        batch_lock(runtime.store, "daily", "7/1-10") as one,
        batch_lock(runtime.store, "daily", "7/11-") as two,
    ):
        assert one is not None and two is not None  # batches run side by side
        with batch_lock(runtime.store, "daily", "7/1-10") as again:
            assert again is None  # one sender per batch
        with sender_lock(runtime.store, "daily") as whole:
            assert whole is None
    with sender_lock(runtime.store, "daily") as whole:
        assert whole is not None  # every shared hold was let go


def test_the_rate_is_the_issues_across_senders(runtime: Runtime) -> None:
    populate(runtime, _readers(1))
    issue_id = record_test_issue(runtime)
    rate, each = 100.0, 60

    def paced() -> None:
        pace = SharedPace(runtime.store, issue_id, rate)
        for _ in range(each):
            pace.wait(1)

    started = time.monotonic()
    senders = [threading.Thread(target=paced) for _ in range(3)]
    for sender in senders:
        sender.start()
    for sender in senders:
        sender.join(30)
    elapsed = time.monotonic() - started
    # 180 messages at 100 per second take 1.8 s whoever sends them; each alone would be at 0.6 s.
    assert elapsed >= (3 * each - 1) / rate * 0.95, elapsed


def test_batch_targets_read_back() -> None:
    assert parse_batch(batch_target("daily", 42, Span(1001, 2000))) == ("daily", 42, Span(1001, 2000))
    assert parse_batch(batch_target("daily", 42, Span(9001, None))) == ("daily", 42, Span(9001, None))
    assert parse_batch("daily") is None
