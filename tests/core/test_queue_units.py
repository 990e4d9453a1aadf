"""What a queue runs, as data: a stage splits into one unit per source, channel or digest, and a
unit runs with the stage's own function for its target only. `nashra worker` refuses the inline
mode and unknown queues before touching anything."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import text

from nashra import ingest as ingest_module
from nashra.config import Settings
from nashra.jobs import Unit
from nashra.pipeline import all_jobs, run_unit, spread
from nashra.queue.task import followers_in
from nashra.runtime import Runtime
from nashra.store.articles import count_articles

DEMO = Path(__file__).parents[2] / "src" / "nashra" / "demo"


def _two_folders(tmp_path: Path) -> str:
    for name, files in (("a", ["01-*.md", "02-*.md"]), ("b", ["03-*.md"])):
        folder = tmp_path / name
        folder.mkdir()
        for pattern in files:
            for path in DEMO.glob(pattern):
                shutil.copy(path, folder)
    return "".join(
        f'[[sources]]\ntype = "folder"\nname = "{name}"\npath = "{tmp_path / name}"\n\n'
        for name in ("a", "b")
    )


@pytest.mark.sqlite_only
def test_units_spread_per_target_and_jobs_carry_theirs(
    make_runtime: Callable[[str], Runtime], tmp_path: Path
) -> None:
    runtime = make_runtime(
        _two_folders(tmp_path)
        + '[[channels]]\ntype = "file"\nname = "x"\n\n[[channels]]\ntype = "file"\nname = "y"\nenabled = false\n\n'
        + '[[digests]]\nname = "daily"\nschedule = "0 7 * * *"\n'
    )
    settings = runtime.settings
    assert spread(Unit("ingest"), settings) == [Unit("ingest", "a"), Unit("ingest", "b")]
    assert spread(Unit("social"), settings) == [Unit("social", "x")]  # enabled channels only
    assert spread(Unit("digests"), settings) == [Unit("digests", "daily")]
    assert spread(Unit("feeds"), settings) == [Unit("feeds")]
    assert spread(Unit("social", "x"), settings) == [Unit("social", "x")]
    assert {job.id: job.unit.key for job in all_jobs(settings)} == {
        "ingest": "ingest",
        "digest:daily": "digests:daily",
        "social:x": "social:x",
    }


def test_a_unit_runs_its_stage_for_its_target_only(
    make_runtime: Callable[[str], Runtime], tmp_path: Path
) -> None:
    runtime = make_runtime(_two_folders(tmp_path))
    report = run_unit(runtime, Unit("ingest", "b"))
    assert (report.counts["sources_ok"], report.counts["new"]) == (1, 1)
    with runtime.store.connect() as conn:
        assert count_articles(conn) == {"b": 1}
    gone = run_unit(runtime, Unit("ingest", "old"))
    assert gone.problems == ["source old: not configured (any more); nothing read"]
    whole = run_unit(runtime, Unit("ingest"))
    assert whole.counts["new"] == 2 and whole.counts["sources_ok"] == 2


def _worker(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "nashra", "--config", str(config), "worker", *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def test_nashra_worker_refuses_the_inline_mode_and_unknown_queues(tmp_path: Path) -> None:
    config = tmp_path / "nashra.toml"
    config.write_text('[site]\nname = "x"\n\n[queue]\nbackend = "inline"\n', "utf-8")
    inline = _worker(config)
    assert inline.returncode == 2
    assert f'{config}:5: queue.backend is "inline": `nashra worker` runs queued jobs only' in inline.stderr
    assert not (tmp_path / "data").exists(), "nothing is created before the refusal"
    unknown = _worker(config, "--queues", "ingest,mail")
    assert unknown.returncode == 2 and "unknown queue mail" in unknown.stderr


@pytest.mark.postgres_only
def test_nashra_reload_says_the_distributed_mode_reads_its_config_at_start(
    make_settings: Callable[[str], Settings],
) -> None:
    config = make_settings('[queue]\nbackend = "procrastinate"\n').origin
    assert config is not None
    told = subprocess.run(
        [sys.executable, "-m", "nashra", "--config", config, "reload"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
        env={**os.environ, "COLUMNS": "200"},
    )
    assert told.returncode == 1
    assert "the distributed mode reads its config only at start" in told.stdout


def _queued(runtime: Runtime) -> list[str]:
    with runtime.store.connect() as conn:
        return list(conn.execute(text("SELECT lock FROM procrastinate_jobs ORDER BY id")).scalars())


@pytest.mark.postgres_only
def test_what_follows_an_ingest_is_queued_in_the_ingests_own_transaction(
    make_runtime: Callable[[str], Runtime], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Queued after the commit, the follow-up jobs were lost to a worker dying in between: the next
    ingest found nothing new, and nothing rebuilt the feeds or posted the articles."""
    runtime = make_runtime(_two_folders(tmp_path) + '[[channels]]\ntype = "file"\nname = "x"\n')
    runtime.on_new_articles = followers_in(runtime.settings)

    def crash(*_: object, **__: object) -> None:
        raise RuntimeError("the worker died before the commit (after queueing the follow-ups)")

    with monkeypatch.context() as patched:
        patched.setattr(ingest_module, "save_state", crash)
        with pytest.raises(RuntimeError):
            run_unit(runtime, Unit("ingest", "a"))
    assert _queued(runtime) == []
    with runtime.store.connect() as conn:
        assert count_articles(conn) == {}, "the articles went with the jobs"
    assert run_unit(runtime, Unit("ingest", "a")).counts["new"] == 2
    assert _queued(runtime) == ["feeds", "social:x"]
    assert run_unit(runtime, Unit("ingest", "b")).counts["new"] == 1
    assert _queued(runtime) == ["feeds", "social:x"], "still waiting: not queued twice"
    assert run_unit(runtime, Unit("ingest", "b")).counts.get("new", 0) == 0
    assert _queued(runtime) == ["feeds", "social:x"]
