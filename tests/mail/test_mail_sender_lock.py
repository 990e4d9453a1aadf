"""Only one process sends a digest at a time: a second sender backs off instead of re-queueing the
first one's in-flight rows (which would send them twice)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from mailkit import populate, record_test_issue, statuses_by_address
from postfix_sink import PostfixSink
from sqlalchemy import text

from loopback import wait_until
from nashra.config import Settings
from nashra.config.digests import DigestSettings
from nashra.mail.lock import sender_lock
from nashra.mail.send import send_digest
from nashra.runtime import Runtime

TOML = '[[digests]]\nname = "daily"\n'
RECIPIENTS = 1000


def _cli(config: Path) -> list[str]:
    return [sys.executable, "-m", "nashra", "--config", str(config), "--quiet", "digest", "send", "daily"]


def _emls(settings: Settings) -> list[Path]:
    folder = settings.outbox_dir / "mail"
    return sorted(folder.glob("*.eml")) if folder.is_dir() else []


def test_second_sender_backs_off_while_the_first_holds_the_digest(
    make_settings: Callable[[str], Settings],
) -> None:
    settings = make_settings(TOML)
    digest = DigestSettings(name="daily")
    with Runtime.open(settings) as runtime:
        populate(runtime, ["a@example.com", "b@example.com"])
        record_test_issue(runtime)
        with sender_lock(runtime.store, "daily") as first:
            assert first
            with sender_lock(runtime.store, "daily") as second:
                assert not second, "a second holder must be refused"
            with sender_lock(runtime.store, "weekly") as other:
                assert other, "other digests are independent"
            busy = send_digest(runtime, digest)
            assert busy.status == "busy" and busy.sent == 0
            assert _emls(settings) == []
        done = send_digest(runtime, digest)
    assert done.status == "sent" and done.sent == 2
    assert len(_emls(settings)) == 2


@pytest.mark.postgres_only
def test_a_sender_that_loses_its_lock_stops_before_sending_anything_twice(
    make_settings: Callable[[str], Settings], tmp_path: Path
) -> None:
    """The lock's session is terminated mid-send (an administrator, a pooler, idle_session_timeout)
    and a second sender takes over at once: the first must notice before its next "." and stop."""
    sink = PostfixSink()
    sink.start()
    try:
        settings = make_settings(sink.toml(connections=4) + "rate_per_second = 200\n" + TOML)
        addresses = [f"reader{n:04d}@oasis.example" for n in range(RECIPIENTS)]
        with Runtime.open(settings) as runtime:
            populate(runtime, addresses)
            issue_id = record_test_issue(runtime)
        config = Path(settings.origin or "")
        env = {**os.environ, "NASHRA_SECRET": "test-secret-for-mail-tests"}
        first = subprocess.Popen(_cli(config), env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        wait_until(lambda: sum(sink.copies().values()) >= 100, "the first sender to be under way", 60)
        with Runtime.open(settings) as runtime, runtime.store.connect() as conn:
            ended = conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory'"
                    " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
                )
            ).scalars()
            assert list(ended) == [True]
        outputs = []
        for _attempt in range(50):  # the takeover: as soon as the lock is free
            second = subprocess.run(_cli(config), env=env, capture_output=True, timeout=120, check=False)
            outputs.append(second.stdout.decode("utf-8", "replace"))
            if "another nashra process" not in outputs[-1] and "held by another sender" not in outputs[-1]:
                break
        told, _ = first.communicate(timeout=120)
        message = told.decode("utf-8", "replace")
        assert first.returncode == 1, message
        assert "lost the digest's sender lock" in message
        assert second.returncode == 0, outputs[-1]
        copies = sink.copies()
        assert {a: n for a, n in copies.items() if n > 1} == {}
        with Runtime.open(settings) as runtime:
            rows = statuses_by_address(runtime, issue_id)
        assert [a for a, s in rows.items() if s == "sent" and not copies[a]] == []
        assert set(rows.values()) <= {"sent", "unknown"}
        assert sum(copies.values()) >= RECIPIENTS - list(rows.values()).count("unknown")
    finally:
        sink.stop()
