"""The kill campaign: `nashra digest send` killed with SIGKILL at random points, 20 times per
database, against a Postfix-like sink that also refuses, defers and crashes after the "." now and
then; then one run to the end. What must hold (issue #11):
- no address gets two copies;
- no row is "sent" that the sink did not keep;
- every message the sink kept is "sent" or "unknown" (nothing delivered is booked as failed or queued);
- every "unknown" row is reported by the send that ends the issue.
"""

from __future__ import annotations

import logging
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from mailkit import DIGESTS_TOML, NOW, record_test_issue, statuses_by_address
from postfix_sink import CRASH_KEEP, CRASH_LOSE, PostfixSink

from nashra.config import Settings
from nashra.runtime import Runtime
from nashra.subscribers.csvio import import_csv

KILLS = 20
RECIPIENTS = 2000
BOUNCING = 6
RATE = "rate_per_second = 150\n"
"""The killed runs are slowed down so that twenty kills land before the list is done; the last
run goes at full speed."""


@pytest.fixture
def sink() -> Iterator[PostfixSink]:
    server = PostfixSink()
    server.start()
    yield server
    server.stop()


def test_sink_keeps_a_message_whose_dot_arrived_with_the_hang_up(sink: PostfixSink) -> None:
    import socket

    with socket.create_connection((sink.host, sink.port)) as conn:
        conn.recv(100)
        conn.sendall(b"EHLO me\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<kept@oasis.example>\r\nDATA\r\n")
        time.sleep(0.2)
        conn.sendall(b"Subject: x\r\n\r\nbody\r\n.\r\n")  # and hang up without reading the reply
    with socket.create_connection((sink.host, sink.port)) as conn:
        conn.sendall(b"EHLO me\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<dropped@oasis.example>\r\nDATA\r\n")
        time.sleep(0.2)
        conn.sendall(b"Subject: x\r\n\r\nno end of data\r\n")
    deadline = time.monotonic() + 5
    while not sink.copies() and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(0.1)
    assert sink.copies() == {"kept@oasis.example": 1}


def _cli(config: Path) -> list[str]:
    return [sys.executable, "-m", "nashra", "--config", str(config), "--quiet", "digest", "send", "daily"]


def _faults(seed: int, bouncing: set[str]) -> Callable[[str, int], str | None]:
    rng = random.Random(seed)
    lock = threading.Lock()

    def fault(address: str, _attempt: int) -> str | None:
        if address in bouncing:
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
        with lock:
            roll = rng.random()
        if roll < 0.03:
            return "451 4.3.0 <{address}>: Temporary lookup failure"
        if roll < 0.04:
            return CRASH_KEEP
        if roll < 0.045:
            return CRASH_LOSE
        return None

    return fault


def test_twenty_kills_lose_nothing_silently_and_send_nothing_twice(
    make_settings: Callable[[str], Settings], sink: PostfixSink, tmp_path: Path
) -> None:
    seed = int(os.environ.get("NASHRA_CRASH_SEED", time.time_ns() % 1_000_000))
    rng = random.Random(seed)
    settings = make_settings(sink.toml(connections=4) + RATE + DIGESTS_TOML)
    addresses = [f"reader{n:04d}@oasis.example" for n in range(RECIPIENTS)]
    bouncing = set(rng.sample(addresses, BOUNCING))
    sink.fault = _faults(seed, bouncing)
    csv_path = tmp_path / "readers.csv"
    csv_path.write_text("email,name\n" + "".join(f"{a},قارئ {n}\n" for n, a in enumerate(addresses)), "utf-8")
    with Runtime.open(settings) as runtime:
        assert import_csv(runtime.store.begin, csv_path, now=NOW).added == RECIPIENTS
        issue_id = record_test_issue(runtime)

    env = {**os.environ, "NASHRA_SECRET": "test-secret-for-mail-tests"}
    config = Path(settings.origin or "")
    full_speed = config.with_name("full-speed.toml")
    full_speed.write_text(config.read_text("utf-8").replace(RATE, ""), "utf-8")
    kills, points, outputs = 0, [], []
    for _round in range(KILLS * 2):
        process = subprocess.Popen(_cli(config), env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        dots = [0]

        def kill(process: subprocess.Popen[bytes] = process) -> None:
            if process.poll() is None:
                os.kill(process.pid, signal.SIGKILL)

        # Half the kills land right after a "." reached the sink (before its reply: the narrowest
        # window), half at a random moment (start-up, claims, commits, bodies, replies).
        if rng.random() < 0.5:
            target = rng.randint(1, 25)
            points.append(f"dot+{target}")

            def on_dot(
                _recipient: str, target: int = target, kill: Callable[[], None] = kill, dots: list[int] = dots
            ) -> None:
                dots[0] += 1
                if dots[0] == target:
                    kill()

            sink.on_dot = on_dot
            timer = None
        else:
            delay = rng.uniform(0.8, 2.2)
            points.append(f"{delay:.2f}s")
            sink.on_dot = None
            timer = threading.Timer(delay, kill)
            timer.start()
        output, _ = process.communicate(timeout=180)
        if timer is not None:
            timer.cancel()
        sink.on_dot = None
        outputs.append(output.decode("utf-8", "replace"))
        if process.returncode == -signal.SIGKILL:
            kills += 1
            if kills == KILLS:
                break
        else:
            assert process.returncode in (0, 3), outputs[-1]
    final = subprocess.run(_cli(full_speed), env=env, capture_output=True, timeout=180, check=False)
    report = final.stdout.decode("utf-8", "replace") + final.stderr.decode("utf-8", "replace")
    assert final.returncode == 3, report  # 3: finished, with failed (bounced) or unknown deliveries

    with Runtime.open(settings) as runtime:
        rows = statuses_by_address(runtime, issue_id)
    copies = sink.copies()
    unknown = sorted(a for a, status in rows.items() if status == "unknown")
    campaign = (
        f"seed {seed}: {kills} kills at {', '.join(points)}; "
        f"{sum(1 for s in rows.values() if s == 'sent')} sent, {len(unknown)} unknown "
        f"({sum(1 for a in unknown if copies[a])} of them kept by the sink), "
        f"{sum(1 for s in rows.values() if s == 'failed')} failed"
    )
    logging.getLogger(__name__).warning("kill campaign: %s", campaign)
    assert kills == KILLS, campaign
    assert {a: n for a, n in copies.items() if n > 1} == {}, campaign
    assert [a for a, s in rows.items() if s == "sent" and not copies[a]] == [], campaign
    assert [a for a in copies if rows[a] not in ("sent", "unknown")] == [], campaign
    assert {a for a, s in rows.items() if s == "failed"} == bouncing, campaign
    assert set(rows.values()) <= {"sent", "unknown", "failed"}, campaign
    if unknown:
        reported = re.search(r"issue \d+: (\d+) unknown", report)
        assert reported is not None and int(reported[1]) == len(unknown), report
    else:
        assert "unknown —" not in report
