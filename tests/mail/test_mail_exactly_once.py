"""Exactly once: a sending process killed with SIGKILL part-way, then restarted, leaves every
address with exactly one copy — counted by the SMTP server, which lives in this test process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from mailkit import DIGESTS_TOML, NOW, Received, SmtpServer, record_test_issue

from nashra.config import Settings
from nashra.runtime import Runtime
from nashra.store import deliveries
from nashra.subscribers.csvio import import_csv

RECIPIENTS = 2000
KILL_AT = 700


def _cli(config: Path) -> list[str]:
    return [sys.executable, "-m", "nashra", "--config", str(config), "--quiet", "digest", "send", "daily"]


@pytest.mark.parametrize("connections", [4])
def test_sigkill_mid_send_then_restart_delivers_each_address_exactly_once(
    make_settings: Callable[[str], Settings],
    smtp_server: SmtpServer,
    tmp_path: Path,
    connections: int,
) -> None:
    settings = make_settings(smtp_server.toml(connections=connections) + DIGESTS_TOML)
    addresses = [f"reader{n:04d}@example.com" for n in range(RECIPIENTS)]
    csv_path = tmp_path / "readers.csv"
    csv_path.write_text(
        "email,name\n" + "".join(f"{a},قارئ {n}\n" for n, a in enumerate(addresses)), encoding="utf-8"
    )
    with Runtime.open(settings) as runtime:
        report = import_csv(runtime.store.begin, csv_path, now=NOW)
        assert report.added == RECIPIENTS and not report.errors
        issue_id = record_test_issue(runtime)

    env = {**os.environ, "NASHRA_SECRET": "test-secret-for-mail-tests"}
    config = Path(settings.origin or "")
    first = subprocess.Popen(_cli(config), env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    killed = threading.Event()

    def kill_mid_transaction(_received: Received) -> None:
        # Called when the server has the message's final "." and before it answers 250: the
        # sender is inside a transaction on this connection (and anywhere on the others).
        if len(smtp_server.handler.messages) >= KILL_AT and not killed.is_set():
            killed.set()
            os.kill(first.pid, signal.SIGKILL)

    smtp_server.handler.on_message = kill_mid_transaction
    output, _ = first.communicate(timeout=240)
    assert first.returncode == -signal.SIGKILL, output.decode("utf-8", "replace")
    smtp_server.handler.on_message = None
    delivered_before_restart = sum(smtp_server.handler.copies().values())
    assert KILL_AT <= delivered_before_restart < RECIPIENTS

    second = subprocess.run(_cli(config), env=env, capture_output=True, timeout=240, check=False)
    assert second.returncode == 0, second.stdout.decode("utf-8", "replace") + second.stderr.decode(
        "utf-8", "replace"
    )

    copies = smtp_server.handler.copies()
    assert set(copies) == set(addresses), f"missing: {sorted(set(addresses) - set(copies))[:5]}"
    duplicated = {a: n for a, n in copies.items() if n != 1}
    assert duplicated == {}
    with Runtime.open(settings) as runtime, runtime.store.connect() as conn:
        assert deliveries.delivery_counts(conn, issue_id) == {"sent": RECIPIENTS}
