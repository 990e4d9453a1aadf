"""SIGTERM (Docker's stop, systemd's stop, Ctrl-C) during a long send: the batch in flight
finishes, the rest is kept, and the process exits within seconds; a second signal exits at once.
The next run sends the rest, to nobody twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from mailkit import DIGESTS_TOML, populate, record_test_issue
from postfix_sink import PostfixSink

from loopback import wait_until
from nashra.config import Settings
from nashra.runtime import Runtime
from nashra.store import deliveries

RECIPIENTS = 800
SLOW = "rate_per_second = 100\n"


@pytest.fixture
def sink() -> Iterator[PostfixSink]:
    server = PostfixSink()
    server.start()
    yield server
    server.stop()


def _nashra(config: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "nashra", "--config", str(config), *args]


def _env() -> dict[str, str]:
    return {**os.environ, "NASHRA_SECRET": "test-secret-for-mail-tests", "COLUMNS": "200"}


def test_sigterm_stops_a_send_after_its_batch_and_the_next_run_resumes(
    make_settings: Callable[[str], Settings], sink: PostfixSink
) -> None:
    settings = make_settings(sink.toml(connections=4) + SLOW + DIGESTS_TOML)
    with Runtime.open(settings) as runtime:
        populate(runtime, [f"reader{n:04d}@oasis.example" for n in range(RECIPIENTS)])
        issue_id = record_test_issue(runtime)
    config = Path(settings.origin or "")
    process = subprocess.Popen(
        _nashra(config, "run", "--once"),
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    wait_until(lambda: sum(sink.copies().values()) >= 100, "the send to be under way", 60)
    process.send_signal(signal.SIGTERM)
    asked = time.monotonic()
    output, _ = process.communicate(timeout=30)
    took = time.monotonic() - asked

    assert took < 3, f"{took:.1f} s to stop"
    assert "stopped on request" in output, output
    with Runtime.open(settings) as runtime, runtime.store.connect() as conn:
        counts = deliveries.delivery_counts(conn, issue_id)
    # Nothing left in flight: every row is sent, or queued for the next run.
    assert set(counts) == {"sent", "queued"}, counts
    assert counts["sent"] == sum(sink.copies().values()) < RECIPIENTS

    full_speed = config.with_name("full-speed.toml")
    full_speed.write_text(config.read_text("utf-8").replace(SLOW, ""), "utf-8")
    finished = subprocess.run(
        _nashra(full_speed, "digest", "send"), env=_env(), capture_output=True, timeout=120
    )
    assert finished.returncode == 0, finished.stdout
    assert max(sink.copies().values()) == 1 and len(sink.copies()) == RECIPIENTS


@pytest.mark.sqlite_only
def test_a_second_sigterm_exits_at_once(make_settings: Callable[[str], Settings], sink: PostfixSink) -> None:
    sink.on_dot = lambda _recipient: time.sleep(6)  # a relay that takes its time to answer "."
    settings = make_settings(sink.toml(connections=1) + DIGESTS_TOML)
    with Runtime.open(settings) as runtime:
        populate(runtime, ["a@oasis.example", "b@oasis.example"])
        issue_id = record_test_issue(runtime)
    process = subprocess.Popen(
        _nashra(Path(settings.origin or ""), "digest", "send"),
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    wait_until(lambda: sink.attempts["a@oasis.example"] == 1, "the first message to be under way", 60)
    time.sleep(0.5)
    process.send_signal(signal.SIGTERM)
    time.sleep(1)
    assert process.poll() is None, "the first signal waits for the message in flight"
    process.send_signal(signal.SIGTERM)
    asked = time.monotonic()
    output, _ = process.communicate(timeout=30)
    assert time.monotonic() - asked < 1.5
    assert process.returncode == 128 + signal.SIGTERM, output
    assert "stop.now" in output
    sink.on_dot = None
    with Runtime.open(settings) as runtime, runtime.store.connect() as conn:
        # Killed between "." and its reply: the next run must call it unknown, not sent.
        assert deliveries.delivery_counts(conn, issue_id) == {"submitting": 1, "sending": 1}
