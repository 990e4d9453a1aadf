"""The feeds step in its faces: `nashra feeds build`, the pipeline, and the worker after an ingest."""

from __future__ import annotations

from pathlib import Path

from feeds_helpers import article, feed_files, sample_articles, store_articles
from pytest_httpserver import HTTPServer
from typer.testing import CliRunner

from nashra.cli import app
from nashra.feeds import build_feeds_stage
from nashra.ingest import ingest
from nashra.jobs import Every, Unit
from nashra.pipeline import STAGES, Job, followers_of_ingest
from nashra.worker import Presence, _run_job


def test_cli_builds_into_out_dir_without_pinging_the_hub(
    make_runtime, httpserver: HTTPServer, tmp_path: Path, restore_logging
) -> None:  # type: ignore[no-untyped-def]
    runtime = make_runtime(f'[feeds]\nhub_url = "{httpserver.url_for("/hub")}"\n')
    store_articles(runtime, sample_articles())
    out = tmp_path / "preview"
    runner = CliRunner()
    first = runner.invoke(
        app, ["--config", str(runtime.settings.origin), "feeds", "build", "--out", str(out)]
    )
    assert first.exit_code == 0, first.output
    assert "11 feeds × 3 formats" in first.output and "33 written, 0 unchanged" in first.output
    assert len(feed_files(out)) == 33
    assert not (runtime.settings.public_dir / "feeds").exists()
    assert httpserver.log == []  # a preview folder is not what the public URLs serve
    again = runner.invoke(
        app, ["--config", str(runtime.settings.origin), "feeds", "build", "--out", str(out)]
    )
    assert again.exit_code == 0 and "0 written, 33 unchanged" in again.output


def test_cli_says_when_there_is_nothing_to_build(make_runtime, restore_logging) -> None:  # type: ignore[no-untyped-def]
    runtime = make_runtime("")
    result = CliRunner().invoke(app, ["--config", str(runtime.settings.origin), "feeds", "build"])
    assert result.exit_code == 0 and "nothing built" in result.output


def test_feeds_stage_is_registered_after_ingest() -> None:
    names = [stage.name for stage in STAGES]
    assert names[0] == "ingest" and "feeds" in names
    feeds = STAGES[names.index("feeds")]
    assert feeds.run is build_feeds_stage and feeds.after_ingest
    assert feeds in followers_of_ingest()


def test_worker_builds_feeds_after_an_ingest_that_found_something(make_runtime, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    articles = tmp_path / "articles"
    articles.mkdir()
    (articles / "one.md").write_text(
        "---\ntitle: افتتاح المكتبة البلدية بعد الترميم\ndate: 2026-11-25T10:00:00+01:00\nsection: ثقافة\n"
        "keywords: [المكتبات]\n---\n\nأعادت البلدية فتح أبواب المكتبة بعد عامين من أشغال الترميم والتوسعة.\n",
        encoding="utf-8",
    )
    runtime = make_runtime('[[sources]]\ntype = "folder"\nname = "local"\npath = "articles"\n')
    feeds_stage = next(stage for stage in STAGES if stage.name == "feeds")
    job = Job("ingest", Every(minutes=10), ingest, Unit("ingest"))
    presence = Presence(runtime)
    _run_job(runtime, job, [feeds_stage], presence)
    public = runtime.settings.public_dir
    assert {rel.rsplit("/", 1)[0] for rel in feed_files(public)} == {
        "feeds",
        "feeds/sections/ثقافة",
        "feeds/tags/المكتبات",
    }
    stamp = (public / "feeds/rss.xml").stat().st_mtime_ns
    _run_job(runtime, job, [feeds_stage], presence)  # nothing new: the feeds are not even rebuilt
    assert (public / "feeds/rss.xml").stat().st_mtime_ns == stamp
    store_articles(runtime, [article(9, section="ثقافة", tags=[])])
    assert build_feeds_stage(runtime).counts["written"] == 6  # site + ثقافة, three formats each
