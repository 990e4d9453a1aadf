"""`nashra digest send` (dry run, test copy, real send with summary) on the embedded default file
transport, and the "digests" pipeline stage and its scheduled jobs, with the demo content."""

from __future__ import annotations

import email
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email import policy
from pathlib import Path

import pytest
import time_machine
from mailkit import populate, record_test_issue
from typer.testing import CliRunner

from nashra.cli import app
from nashra.config import Settings
from nashra.errors import ConfigError
from nashra.ingest import ingest
from nashra.jobs import Cron
from nashra.mail.stage import digest_jobs, digests_stage
from nashra.pipeline import STAGES, all_jobs
from nashra.runtime import Runtime
from nashra.store import deliveries
from nashra.store.pauses import Paused, pause
from nashra.worker import next_run

TOML = '[site]\nname = "نشرة الواحة"\ntimezone = "Africa/Algiers"\n\n[[digests]]\nname = "daily"\nschedule = "30 7 * * *"\n'
DEMO_NOW = datetime(2026, 11, 30, 6, 0, tzinfo=UTC)


pytestmark = pytest.mark.usefixtures("restore_logging")


def _emls(settings: Settings) -> list[Path]:
    folder = settings.outbox_dir / "mail"
    return sorted(folder.glob("*.eml")) if folder.is_dir() else []


def test_digest_send_dry_run_test_copy_and_send(make_settings: Callable[[str], Settings]) -> None:
    settings = make_settings(TOML)
    with Runtime.open(settings) as runtime:
        populate(runtime, ["a@example.com", "b@example.com", "c@example.com"])
        issue_id = record_test_issue(runtime)
    runner = CliRunner()
    config = ["--config", str(settings.origin)]

    dry = runner.invoke(app, [*config, "digest", "send", "daily", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert f"resumes issue {issue_id}" in dry.output and "3 active recipient(s)" in dry.output
    assert _emls(settings) == []

    test = runner.invoke(app, [*config, "digest", "send", "--to", "Editor@Example.org"])
    assert test.exit_code == 0, test.output
    [copy] = _emls(settings)
    message = email.message_from_bytes(copy.read_bytes(), policy=policy.default)
    assert message["Subject"].startswith("[تجربة] نشرة الواحة") and message["To"] == "editor@example.org"
    copy.unlink()

    sent = runner.invoke(app, [*config, "digest", "send"])
    assert sent.exit_code == 0, sent.output
    assert "sent" in sent.output and "3/3" in sent.output
    assert [p.name for p in _emls(settings)] == [f"{issue_id}-{n}.eml" for n in (1, 2, 3)]
    with Runtime.open(settings) as runtime, runtime.store.connect() as conn:
        assert deliveries.delivery_counts(conn, issue_id) == {"sent": 3}
    again = runner.invoke(app, [*config, "digest", "send"])
    assert "nothing new" in again.output
    assert len(_emls(settings)) == 3


def test_digests_stage_sends_what_is_new_once_and_schedules_in_site_zone(
    make_runtime: Callable[[str], Runtime],
) -> None:
    runtime = make_runtime(TOML)
    assert "digests" in [s.name for s in STAGES]
    with time_machine.travel(DEMO_NOW - timedelta(hours=1), tick=False):
        ingest(runtime)
    with time_machine.travel(DEMO_NOW, tick=False):
        empty = digests_stage(runtime)
        assert empty.counts == {"no_recipients": 1}  # nothing recorded while nobody would receive it
        populate(runtime, ["reader@example.com"])
        first = digests_stage(runtime)
        second = digests_stage(runtime)
    assert first.counts == {"issues": 1, "sent": 1, "retried": 0, "failed": 0, "skipped": 0}
    assert second.counts == {"nothing_new": 1}
    [eml] = _emls(runtime.settings)
    message = email.message_from_bytes(eml.read_bytes(), policy=policy.default)
    https = message["List-Unsubscribe"].split(",")[0].strip(" <>")
    assert https.startswith("http://127.0.0.1:8080/unsubscribe/1.")
    assert https in message.get_body(("plain",)).get_content()
    assert https in message.get_body(("html",)).get_content()

    [job] = digest_jobs(runtime.settings)
    assert job.id == "digest:daily" and isinstance(job.when, Cron)
    assert str(job.when.zone) == "Africa/Algiers"
    fire = next_run(job.when, runtime.settings.site.zone, datetime(2026, 12, 1, 0, 0, tzinfo=UTC))
    assert fire is not None and fire.astimezone(UTC) == datetime(2026, 12, 1, 6, 30, tzinfo=UTC)
    assert "digest:daily" in [j.id for j in all_jobs(runtime.settings)]


def test_a_paused_digest_sends_nothing_until_resumed(make_settings: Callable[[str], Settings]) -> None:
    settings = make_settings(TOML)
    with Runtime.open(settings) as runtime:
        populate(runtime, ["a@example.com", "b@example.com"])
        issue_id = record_test_issue(runtime)
        with runtime.store.begin() as conn:  # what `nashra digest pause daily --reason …` stores
            pause(conn, Paused.DIGEST, "daily", now=DEMO_NOW, reason="خطأ في العنوان")
        report = digests_stage(runtime)
    assert report.counts == {"on_hold": 1}
    assert report.problems == ["digest daily: paused (خطأ في العنوان); nothing sent"]
    runner = CliRunner()
    config = ["--config", str(settings.origin)]

    refused = runner.invoke(app, [*config, "digest", "send"])
    assert refused.exit_code == 1 and "digest daily is paused (خطأ في العنوان)" in refused.output
    assert _emls(settings) == []
    again = runner.invoke(app, [*config, "digest", "pause", "daily", "--reason", "مرة أخرى"])
    assert again.exit_code == 0 and "was already paused" in again.output
    unknown = runner.invoke(app, [*config, "digest", "pause", "weekly"])
    assert isinstance(unknown.exception, ConfigError) and "no digest named 'weekly'" in str(unknown.exception)

    resumed = runner.invoke(app, [*config, "digest", "resume", "daily"])
    assert resumed.exit_code == 0 and "resumed" in resumed.output
    sent = runner.invoke(app, [*config, "digest", "send"])
    assert sent.exit_code == 0, sent.output
    assert [p.name for p in _emls(settings)] == [f"{issue_id}-{n}.eml" for n in (1, 2)]


def test_a_disabled_digest_is_neither_scheduled_nor_sent(make_settings: Callable[[str], Settings]) -> None:
    settings = make_settings(TOML + "enabled = false\n")
    with Runtime.open(settings) as runtime:
        populate(runtime, ["a@example.com"])
        record_test_issue(runtime)
        assert digest_jobs(settings) == []
        assert digests_stage(runtime).counts == {"disabled": 1}
    assert _emls(settings) == []
