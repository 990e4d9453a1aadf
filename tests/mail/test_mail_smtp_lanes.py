"""The SMTP session drives its connections independently and pipelines each final "." with the
next message's envelope (issue #13): one round trip per message, no connection waiting for
another, and a hang-up right after a "." gives the message behind it back unsent, never lost."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from mailkit import DIGESTS_TOML, SmtpServer, populate, record_test_issue
from postfix_sink import PostfixSink

from nashra.digest import find_digest
from nashra.mail.send import SendStatus, send_digest
from nashra.runtime import Runtime
from nashra.store import deliveries

READERS = [f"reader{n:02d}@oasis.example" for n in range(24)]


@pytest.fixture
def sink() -> Iterator[PostfixSink]:
    server = PostfixSink()
    server.start()
    yield server
    server.stop()


def _send(runtime: Runtime) -> tuple[SendStatus, dict[str, int]]:
    summary = send_digest(runtime, find_digest(runtime.settings, "daily"))
    with runtime.store.connect() as conn:
        assert summary.issue_id is not None
        return summary.status, deliveries.delivery_counts(conn, summary.issue_id)


def test_each_final_dot_travels_with_the_next_envelope(
    make_runtime: Callable[[str], Runtime], sink: PostfixSink
) -> None:
    runtime = make_runtime(sink.toml(connections=1) + DIGESTS_TOML)
    populate(runtime, READERS[:6])
    record_test_issue(runtime)

    assert _send(runtime) == (SendStatus.SENT, {"sent": 6})

    # The sink counts a "." whose next MAIL FROM arrived with it, before its 250 could have been
    # read: a client that waits for each reply scores 0. Only the last "." has nothing behind it.
    assert sink.pipelined_dots == 5
    assert sink.copies() == dict.fromkeys(READERS[:6], 1)


def test_a_slow_connection_does_not_hold_the_others_back(
    make_runtime: Callable[[str], Runtime], sink: PostfixSink
) -> None:
    slow = READERS[0]
    sink.reply_delay = lambda recipient: 3.0 if recipient == slow else 0.0
    runtime = make_runtime(sink.toml(connections=2) + DIGESTS_TOML)
    populate(runtime, READERS)
    record_test_issue(runtime)

    assert _send(runtime) == (SendStatus.SENT, {"sent": len(READERS)})

    # While one connection waited 3 s for the reply to its ".", the other delivered everything
    # else but the message queued behind that "." on the slow connection; in lockstep it would
    # have waited too, one message at most ahead.
    assert sink.kept_before_reply[slow] == len(READERS) - 1
    assert sink.copies() == dict.fromkeys(READERS, 1)


def test_a_hang_up_after_a_reply_gives_the_pipelined_message_back_unsent(
    make_runtime: Callable[[str], Runtime], sink: PostfixSink
) -> None:
    # The sink answers the "." to reader02, then drops the connection: the envelope of the message
    # behind it had no reply. That message was never attempted; it goes out once, later.
    def close_after(recipient: str) -> None:
        if recipient == READERS[2] and sink.attempts[READERS[2]] == 1:
            sink.close_after_reply = True

    sink.on_dot = close_after
    runtime = make_runtime(sink.toml(connections=1) + DIGESTS_TOML)
    populate(runtime, READERS[:5])
    record_test_issue(runtime)

    assert _send(runtime) == (SendStatus.SENT, {"sent": 5})
    assert sink.copies() == dict.fromkeys(READERS[:5], 1)
    # reader03's envelope rode behind reader02's ".": the server never read it, so no attempt
    # was counted anywhere and it went out once, on a new connection.
    assert sink.attempts[READERS[3]] == 1 and sink.sessions >= 2


def test_without_pipelining_each_command_waits_for_its_reply(
    make_runtime: Callable[[str], Runtime], smtp_server: SmtpServer
) -> None:
    smtp_server.handler.pipelining = False
    runtime = make_runtime(smtp_server.toml(connections=2) + DIGESTS_TOML)
    populate(runtime, READERS[:7])
    record_test_issue(runtime)

    assert _send(runtime) == (SendStatus.SENT, {"sent": 7})
    assert smtp_server.handler.copies() == dict.fromkeys(READERS[:7], 1)
