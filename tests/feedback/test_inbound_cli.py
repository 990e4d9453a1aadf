"""The operator's side of inbound mail through the real CLI: `nashra check` logs in to the bounce
mailbox on 127.0.0.1 (and says what is wrong when it cannot), `nashra status` counts the kept
messages, `nashra inbound list` and `show` show them."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest
from imapkit import ImapServer, imap_server
from typer.testing import CliRunner

from nashra.cli import app
from nashra.config import Settings
from nashra.errors import NashraError
from nashra.feedback.inbound import receive
from nashra.feedback.signed import Signatures
from nashra.runtime import Runtime

pytestmark = [pytest.mark.usefixtures("restore_logging"), pytest.mark.sqlite_only]


@pytest.fixture
def imap(monkeypatch: pytest.MonkeyPatch) -> Iterator[ImapServer]:
    with imap_server() as server:
        monkeypatch.setenv("TEST_IMAP_PASSWORD", server.state.password)
        yield server


def _check(settings: Settings) -> dict[str, dict[str, str]]:
    result = CliRunner().invoke(
        app, ["--config", str(settings.origin), "--quiet", "check", "--format", "json"]
    )
    return {line["part"]: line for line in json.loads(result.stdout)["checks"]}


def test_check_logs_in_to_the_mailbox_and_finds_the_folders(
    make_settings: Callable[[str], Settings], imap: ImapServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    imap.state.deliver(b"From: a@example.com\r\nSubject: x\r\n\r\nx\r\n")
    monkeypatch.setenv("NASHRA_INBOUND_TOKEN", "t0ken")
    settings = make_settings(imap.toml() + "\n[feedback.inbound]\n")

    lines = _check(settings)

    mailbox = lines[f"mailbox imap 127.0.0.1:{imap.port}"]
    assert mailbox == {
        "status": "ok",
        "part": f"mailbox imap 127.0.0.1:{imap.port}",
        "detail": "logged in as bounces@oasis.example; INBOX: 1 unseen; processed mail moves to Nashra",
    }
    assert lines["inbound endpoint"]["status"] == "ok"
    assert imap.state.flags() == [set()]  # a check reads nothing


def test_check_says_what_is_wrong_with_the_mailbox(
    make_settings: Callable[[str], Settings], imap: ImapServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TEST_IMAP_PASSWORD", "wrong")
    monkeypatch.delenv("NASHRA_INBOUND_TOKEN", raising=False)
    wrong_password = _check(make_settings(imap.toml() + "\n[feedback.inbound]\n"))
    part = f"mailbox imap 127.0.0.1:{imap.port}"

    assert wrong_password[part]["status"] == "FAIL"
    assert "login as bounces@oasis.example" in wrong_password[part]["detail"]
    assert "NASHRA_INBOUND_TOKEN is not set" in wrong_password["inbound endpoint"]["detail"]
    monkeypatch.setenv("TEST_IMAP_PASSWORD", imap.state.password)
    no_folder = _check(make_settings(imap.toml(extra='move_to = "Done"')))
    assert no_folder[part]["status"] == "FAIL" and "folder Done" in no_folder[part]["detail"]


def test_kept_messages_are_counted_listed_and_shown(make_runtime: Callable[[str], Runtime]) -> None:
    runtime = make_runtime("")
    garbage = b"\x00\x01 this is no mail"
    with runtime.store.begin() as conn:
        receive(
            conn,
            garbage,
            source="imap",
            signatures=Signatures.from_settings(runtime.settings),
            soft_bounce_issues=3,
            now=datetime.now(UTC),
        )
    runner, config = CliRunner(), ["--config", str(runtime.settings.origin)]

    status = runner.invoke(app, [*config, "status"])
    listed = runner.invoke(app, [*config, "inbound", "list"])
    shown = runner.invoke(app, [*config, "inbound", "show", "1"])
    missing = runner.invoke(app, [*config, "inbound", "show", "2"])

    assert "inbound mail that acted on nobody: 1 kept" in status.output
    assert "Kept inbound mail (1)" in listed.output and "unreadable: no From header" in listed.output
    assert shown.exit_code == 0 and shown.stdout_bytes == garbage
    assert isinstance(missing.exception, NashraError) and str(missing.exception).startswith(
        "no kept message 2"
    )
