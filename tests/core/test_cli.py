"""The CLI end to end, as an operator runs it: real processes, real databases, real files."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select

from nashra.store.schema import articles

NASHRA = [sys.executable, "-m", "nashra"]


def _run(
    args: list[str], cwd: Path, env_extra: dict[str, str] | None = None, timeout: float = 240
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NASHRA_")}
    env.update(env_extra or {})
    env["COLUMNS"] = "200"
    return subprocess.run([*NASHRA, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


def _count(url: str) -> int:
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.connect() as conn:
        count = conn.execute(select(func.count()).select_from(articles)).scalar_one()
    engine.dispose()
    return count


def test_run_once_on_a_fresh_folder_ingests_the_demo(tmp_path: Path, database_url: str) -> None:
    """No config at all: the demo articles go into the database, a summary is printed."""
    env = {"NASHRA_DATABASE_URL": database_url}
    first = _run(["run", "--once"], tmp_path, env)
    assert first.returncode == 0, first.stderr
    assert "new=10" in first.stdout and "duplicates=1" in first.stdout
    assert "built-in defaults (demo content)" in first.stderr.splitlines()[0]
    assert _count(database_url) == 10
    second = _run(["ingest"], tmp_path, env)
    assert second.returncode == 0, second.stderr
    assert "new=0" in second.stdout and "unchanged=10" in second.stdout
    assert _count(database_url) == 10


def test_default_database_is_sqlite_under_data(tmp_path: Path) -> None:
    result = _run(["--demo", "ingest"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "data" / "nashra.db").is_file()


def test_bad_config_is_one_line_per_problem_and_changes_nothing(tmp_path: Path) -> None:
    config = tmp_path / "nashra.toml"
    config.write_text('[site]\ntimezone = "Nowhere/City"\n\n[[sources]]\ntype = "rss"\n', encoding="utf-8")
    result = _run(["--config", str(config), "run", "--once"], tmp_path)
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines == [
        f"config error: {config}:2: site.timezone: unknown time zone 'Nowhere/City'; use an IANA name such as Africa/Algiers",
        f"config error: {config}:4: sources[0].name: required key is missing",
        f"config error: {config}:4: sources[0].url: required key is missing",
    ]
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "data").exists()


def test_errors_are_printed_as_written_not_as_markup(tmp_path: Path) -> None:
    """Rich would read `[[digests]]` or `[mail.smtp]` in a message as markup and drop it."""
    config = tmp_path / "nashra.toml"
    config.write_text('[[digests]]\nname = "daily"\nhtml_template = "missing.mjml.j2"\n', encoding="utf-8")
    assert _run(["--config", str(config), "--quiet", "ingest"], tmp_path).returncode == 0
    result = _run(["--config", str(config), "digest", "preview", "daily"], tmp_path)
    assert result.returncode == 1
    assert "template file not found (fix html_template/text_template in [[digests]])" in result.stderr


def test_debug_shows_the_traceback(tmp_path: Path) -> None:
    config = tmp_path / "nashra.toml"
    config.write_text("[site\n", encoding="utf-8")
    result = _run(["--debug", "--config", str(config), "status"], tmp_path)
    assert result.returncode != 0
    assert "Traceback" in result.stderr


def test_init_then_status(tmp_path: Path) -> None:
    site = tmp_path / "newsroom"
    created = _run(["init", str(site)], tmp_path)
    assert created.returncode == 0, created.stderr
    assert (site / "nashra.toml").is_file() and (site / "articles").is_dir()
    again = _run(["init", str(site)], tmp_path)
    assert again.returncode == 1 and "already exists" in again.stdout
    (site / "articles" / "one.md").write_text(
        '---\ntitle: "افتتاح معرض الكتاب"\ndate: 2026-11-28T10:00:00+01:00\nsection: ثقافة\n---\n\nنص.\n',
        encoding="utf-8",
    )
    ingest = _run(["--config", str(site / "nashra.toml"), "ingest"], tmp_path)
    assert ingest.returncode == 0 and "new=1" in ingest.stdout
    status = _run(["--config", str(site / "nashra.toml"), "status"], tmp_path)
    assert status.returncode == 0, status.stderr
    assert "local" in status.stdout and "articles stored: 1" in status.stdout
    assert "ingest" in status.stdout and "Africa/Algiers" in status.stdout


def test_status_shows_a_failing_source(tmp_path: Path) -> None:
    config = tmp_path / "nashra.toml"
    config.write_text(
        '[[sources]]\ntype = "rss"\nname = "dead"\nurl = "http://127.0.0.1:9/feed"\n'
        "[ingest]\ntimeout_seconds = 2\n",
        encoding="utf-8",
    )
    ingest = _run(["--config", str(config), "ingest"], tmp_path)
    assert ingest.returncode == 1
    assert "cannot fetch http://127.0.0.1:9/feed" in ingest.stdout
    status = _run(["--config", str(config), "status"], tmp_path)
    assert "cannot fetch" in status.stdout and "never" in status.stdout


@pytest.mark.parametrize("command", [[], ["run"], ["ingest"], ["status"], ["init"]])
def test_help_is_useful(tmp_path: Path, command: list[str]) -> None:
    result = _run([*command, "--help"], tmp_path)
    assert result.returncode == 0
    assert "Usage:" in result.stdout and len(result.stdout.splitlines()) > 5


def test_worker_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NASHRA_")}
    process = subprocess.Popen(
        [*NASHRA, "run"], cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    watchdog = threading.Timer(120, process.kill)  # a worker that never logs its first job ends the wait
    watchdog.start()
    try:
        assert process.stderr is not None
        lines: list[str] = []
        for line in process.stderr:  # SIGTERM once the first ingest is done, not after a guessed delay
            lines.append(line)
            if "event=job.done job=ingest" in line:
                break
        process.send_signal(signal.SIGTERM)
        _out, rest = process.communicate(timeout=120)
    finally:
        watchdog.cancel()
        if process.poll() is None:
            process.kill()
    err = "".join(lines) + rest
    assert process.returncode == 0, err
    assert "event=stop.requested signal=SIGTERM" in err and "event=worker.stopping" in err
    assert "event=worker.stopped" in err
    assert "event=job.done job=ingest" in err


@pytest.mark.sqlite_only
def test_the_details_an_operator_meets(tmp_path: Path, database_url: str) -> None:
    """Help shows `[[digests]]` and no `<bool>`; --config works after the command; log times are
    UTC (Z); the run summary folds output paths instead of cutting them at 80 columns."""
    preview = _run(["digest", "preview", "--help"], tmp_path)
    assert "the first [[digests]] table" in preview.stdout, preview.stdout
    send = _run(["digest", "send", "--help"], tmp_path)
    assert "--dry-run" in send.stdout and "<bool>" not in send.stdout, send.stdout

    deep = tmp_path / "a-newsroom-folder-with-a-rather-long-name" / "and-another-level-below-it"
    deep.mkdir(parents=True)
    config = deep / "nashra.toml"
    config.write_text(f'[database]\nurl = "{database_url}"\n', encoding="utf-8")
    env = {"COLUMNS": "80"}
    run = subprocess.run(
        [*NASHRA, "run", "--once", "--config", str(config)],
        cwd=tmp_path,
        env={**{k: v for k, v in os.environ.items() if not k.startswith("NASHRA_")}, **env},
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert run.returncode == 0, run.stderr
    assert "…" not in run.stdout, run.stdout
    folded = "".join(line.strip("│ ").split("│")[-1].strip() for line in run.stdout.splitlines())
    assert str(deep / "public" / "feeds") in folded, run.stdout
    stamps = [line.split()[0] for line in run.stderr.splitlines() if " event=" in line]
    assert stamps and all(stamp.endswith("Z") for stamp in stamps), run.stderr
