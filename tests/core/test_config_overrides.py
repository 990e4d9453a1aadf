"""Values changed over nashra.toml from the console or `nashra config set` (issue #15): checked with
the file's own rules, stored with who and when, shown with their origin by `nashra config show`,
undone by `nashra config unset`, and taken in by a running scheduler without a restart; one that no
longer fits the file is left out, loudly, and never stops a worker."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from loopback import wait_until
from nashra.config import Settings, load_settings
from nashra.config.cron_words import describe
from nashra.config.overrides import Override, apply, check
from nashra.runtime import Runtime
from nashra.store import overrides, workers
from queuekit import SLOW, processes, queue_config

SITE = '[site]\ntimezone = "Africa/Algiers"\n\n'
DAILY = '[[digests]]\nname = "daily"\nschedule = "0 7 * * *"\nmax_items = 12\n\n'
CHANNEL = '[[channels]]\ntype = "file"\nname = "outbox"\nquiet_hours = "23:00-07:00"\n'
NOW = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


def _nashra(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NASHRA_")}
    return subprocess.run(
        [sys.executable, "-m", "nashra", "--config", str(config), *args],
        env=env | {"COLUMNS": "250"},
        capture_output=True,
        text=True,
        timeout=120,
    )


def _line(config: Path, start: str) -> str:
    """`file:line` of the line of `config` that starts with `start`."""
    lines = config.read_text("utf-8").splitlines()
    return f"{config}:{next(n for n, line in enumerate(lines, 1) if line.startswith(start))}"


def _override(path: str, value: object, by: str = "editor@news.example") -> Override:
    return Override(path, value, by, NOW)


def test_an_override_is_checked_with_the_files_rules() -> None:
    settings = Settings.model_validate({"digests": [{"name": "daily"}]})
    assert check(settings, "digests.daily.schedule", "30 9 * * 1,3") == "30 9 * * 1,3"
    assert check(settings, "digests.daily.window", 24) == 24
    with pytest.raises(ValueError, match="not a 5-field cron expression"):
        check(settings, "digests.daily.schedule", "every morning")
    with pytest.raises(ValueError, match="less than or equal to 100"):
        check(settings, "digests.daily.max_items", 500)
    with pytest.raises(ValueError, match="no digest named 'weekly'"):
        check(settings, "digests.weekly.schedule", "0 7 * * *")
    with pytest.raises(ValueError, match="cannot be changed over the file"):
        check(settings, "database.url", "sqlite:///elsewhere.db")
    with pytest.raises(ValueError, match="cannot be changed over the file"):
        check(settings, "digests.daily.subject", "{{ x }}")


def test_overrides_apply_over_the_file_and_those_that_no_longer_fit_are_left_out() -> None:
    settings = Settings.model_validate({"digests": [{"name": "daily", "max_items": 12}]})
    effective, ignored = apply(
        settings,
        [
            _override("digests.daily.schedule", "30 9 * * *"),
            _override("digests.renamed.schedule", "0 6 * * *"),
            _override("digests.daily.max_items", 500),  # valid once, say, before the limit changed
        ],
    )
    assert effective.digests[0].schedule == "30 9 * * *" and effective.digests[0].max_items == 12
    assert settings.digests[0].schedule == "0 7 * * *", "the file's settings are not changed"
    assert effective.file_settings is settings
    assert [o.path for o in effective.overrides] == ["digests.daily.schedule"]
    assert [(i.override.path, i.reason) for i in ignored] == [
        ("digests.renamed.schedule", "no digest named 'renamed' in the file any more"),
        ("digests.daily.max_items", "Input should be less than or equal to 100"),
    ]


def test_runtime_reads_the_stored_overrides_and_again_when_they_change(
    make_settings: Callable[[str], Settings],
) -> None:
    settings = make_settings(SITE + DAILY + CHANNEL)
    with Runtime.open(settings) as runtime:
        assert runtime.settings.digests[0].schedule == "0 7 * * *"
        assert runtime.refresh_overrides() is False, "nothing changed: nothing read again"
        with runtime.store.begin() as conn:
            overrides.set_override(conn, _override("channels.outbox.quiet_hours", "22:00-06:00"))
            overrides.set_override(conn, _override("digests.daily.window", 24))
        assert runtime.refresh_overrides() is True
        assert runtime.settings.channels[0].quiet_hours == "22:00-06:00"
        assert runtime.settings.digests[0].window_hours == 24
        with runtime.store.begin() as conn:
            assert overrides.clear_override(conn, "digests.daily.window", by="chief@news.example", now=NOW)
        assert runtime.refresh_overrides() is True
        assert runtime.settings.digests[0].window == "since_last"
        with runtime.store.connect() as conn:
            log = overrides.history(conn)
        assert [(c.path, c.value, c.changed_by) for c in log] == [
            ("digests.daily.window", None, "chief@news.example"),
            ("digests.daily.window", 24, "editor@news.example"),
            ("channels.outbox.quiet_hours", "22:00-06:00", "editor@news.example"),
        ]
    with Runtime.open(settings) as again:
        assert again.settings.channels[0].quiet_hours == "22:00-06:00", "stored: every process sees it"


def test_config_set_show_history_and_unset(make_settings: Callable[[str], Settings]) -> None:
    settings = make_settings(SITE + DAILY)
    config = Path(settings.origin or "")
    done = _nashra(
        config, "config", "set", "digests.daily.schedule", "30 9 * * 1,3", "--by", "chief@news.example"
    )
    assert done.returncode == 0, done.stderr
    assert "أيام الاثنين والأربعاء الساعة 09:30" in done.stdout

    refused = _nashra(config, "config", "set", "digests.daily.schedule", "61 7 * * *")
    assert refused.returncode != 0
    assert "digests.daily.schedule: not a 5-field cron expression (minute '61'" in refused.stderr

    shown = _nashra(config, "config", "show", "--json")
    assert shown.returncode == 0, shown.stderr
    values = {row["key"]: row for row in json.loads(shown.stdout)["values"]}
    assert values["digests.daily.schedule"]["value"] == "30 9 * * 1,3"
    assert values["digests.daily.schedule"]["origin"].startswith("override by chief@news.example at ")
    assert values["digests.daily.schedule"]["in_words"] == "أيام الاثنين والأربعاء الساعة 09:30"
    assert values["digests.daily.max_items"]["origin"] == _line(config, "max_items")
    assert values["digests.daily.lead"]["origin"] == "default"
    assert values["site.timezone"]["origin"] == _line(config, "timezone")
    assert "test-secret" not in shown.stdout

    history = _nashra(config, "config", "history")
    assert 'chief@news.example  digests.daily.schedule -> "30 9 * * 1,3"' in history.stdout

    undone = _nashra(config, "config", "unset", "digests.daily.schedule")
    assert undone.returncode == 0 and "back to the file" in undone.stdout
    shown = _nashra(config, "config", "show", "--json")
    values = {row["key"]: row for row in json.loads(shown.stdout)["values"]}
    assert values["digests.daily.schedule"] == {
        "key": "digests.daily.schedule",
        "value": "0 7 * * *",
        "origin": _line(config, "schedule"),
        "in_words": "كل يوم الساعة 07:00",
    }


def test_an_override_the_file_no_longer_fits_is_shown_and_the_files_value_used(
    make_settings: Callable[[str], Settings],
) -> None:
    settings = make_settings(SITE + DAILY)
    config = Path(settings.origin or "")
    assert _nashra(config, "config", "set", "digests.daily.schedule", "0 6 * * *").returncode == 0
    config.write_text(config.read_text("utf-8").replace('name = "daily"', 'name = "morning"'), "utf-8")
    shown = _nashra(config, "config", "show")
    assert shown.returncode == 0, shown.stderr
    assert "override digests.daily.schedule" in shown.stdout and "is not applied" in shown.stdout
    assert "no digest named 'daily' in the file any more" in shown.stdout
    assert "config.override_ignored" in shown.stderr


def _next_run_local(runtime: Runtime, job: str) -> str | None:
    with runtime.store.connect() as conn:
        run = workers.job_runs_by_name(conn).get(job)
    moment = run.next_run_at if run else None
    return moment.astimezone(ZoneInfo("Africa/Algiers")).strftime("%H:%M") if moment else None


def test_a_running_worker_takes_a_new_schedule_without_a_restart(
    make_settings: Callable[[str], Settings], tmp_path: Path
) -> None:
    settings = make_settings(SITE + DAILY)
    config = Path(settings.origin or "")
    with Runtime.open(settings) as runtime, processes(config) as running:
        worker = running.start("run")
        wait_until(lambda: _next_run_local(runtime, "digest:daily") == "07:00", "the worker's schedule", SLOW)
        assert _nashra(config, "config", "set", "digests.daily.schedule", "45 18 * * *").returncode == 0
        wait_until(lambda: _next_run_local(runtime, "digest:daily") == "18:45", "the new schedule", 30)
        assert worker.poll() is None
        assert "config.overrides_applied" in running.output(worker)
        assert running.stop_all()[worker.pid] == 0


@pytest.mark.postgres_only
def test_the_active_scheduler_of_the_distributed_mode_takes_a_new_schedule(
    database_url: str, tmp_path: Path
) -> None:
    config = queue_config(tmp_path, database_url, SITE + DAILY)
    with processes(config) as running, Runtime.open(load_settings(config)) as runtime:
        scheduler = running.start("run")  # with backend = "procrastinate": the scheduler
        try:
            wait_until(lambda: _next_run_local(runtime, "digest:daily") == "07:00", "the schedule", SLOW)
        except TimeoutError:
            raise AssertionError(running.output(scheduler)) from None
        assert _nashra(config, "config", "set", "digests.daily.schedule", "15 20 * * 5").returncode == 0
        wait_until(lambda: _next_run_local(runtime, "digest:daily") == "20:15", "the new schedule", 30)
        assert scheduler.poll() is None
        assert running.stop_all()[scheduler.pid] == 0


@pytest.mark.parametrize(
    ("expression", "locale", "words"),
    [
        ("0 7 * * *", "ar", "كل يوم الساعة 07:00"),
        ("30 9 * * 1,3", "ar", "أيام الاثنين والأربعاء الساعة 09:30"),
        ("0 8 * * 5", "ar_DZ", "يوم الجمعة الساعة 08:00"),
        ("0 7 * * 6,0", "ar", "أيام السبت والأحد الساعة 07:00"),
        ("0 7,19 * * *", "ar", "كل يوم الساعة 07:00 و19:00"),
        ("* * * * *", "ar", "كل دقيقة"),
        ("*/2 * * * *", "ar", "كل دقيقتين"),
        ("*/15 * * * *", "ar", "كل 15 دقيقة"),
        ("0 */2 * * *", "ar", "كل ساعتين"),
        ("0 */3 * * *", "ar", "كل 3 ساعات"),
        ("0 */12 * * *", "ar", "كل 12 ساعة"),
        ("0 7 1 * *", "ar", "جدول cron: 0 7 1 * *"),
        ("30 9 * * 1,3", "en", "on Monday and Wednesday at 09:30"),
        ("0 */3 * * *", "en", "every 3 hours"),
        ("* * * * *", "en", "every minute"),
    ],
)
def test_a_schedule_in_words(expression: str, locale: str, words: str) -> None:
    assert describe(expression, locale) == words
