"""Feeds are rebuilt only where an article changed, and always with the bytes the full build writes.

The golden manifests (tests/feeds/data/golden.json, see feeds_golden.py) were recorded from the
build before it became incremental: every output here must match them, on both databases.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from feeds_golden import (
    GOLDEN,
    SCENARIOS,
    change_generated,
    manifest,
    newest_article,
    store_generated,
)

from nashra.feeds import build_feeds
from nashra.store.articles import upsert_articles

GOLDEN_MANIFESTS = json.loads(GOLDEN.read_text(encoding="utf-8"))


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_outputs_match_the_recorded_golden_files(make_runtime, scenario: str) -> None:  # type: ignore[no-untyped-def]
    runtime = make_runtime("")
    for step in SCENARIOS[scenario]:
        step(runtime)
        build_feeds(runtime)
    assert manifest(runtime.settings.public_dir) == GOLDEN_MANIFESTS[scenario]


def test_a_changed_archive_built_fresh_matches_too(make_runtime, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    runtime = make_runtime("")
    store_generated(runtime)
    change_generated(runtime)
    build_feeds(runtime, tmp_path / "fresh")
    assert manifest(tmp_path / "fresh") == GOLDEN_MANIFESTS["generated-changed"]


def _folders(paths: list[str]) -> set[str]:
    return {p.rsplit("/", 1)[0] for p in paths}


def test_one_new_article_renders_only_the_feeds_it_belongs_to(make_runtime) -> None:  # type: ignore[no-untyped-def]
    runtime = make_runtime("")
    store_generated(runtime)
    first = build_feeds(runtime)
    assert len(first.rendered) == len(first.written) == 63
    public = runtime.settings.public_dir
    before = {path: (p.stat().st_ino, p.stat().st_mtime_ns) for path, p in _files(public).items()}

    with runtime.store.begin() as conn:
        upsert_articles(conn, [newest_article()], now=newest_article().published_at)
    second = build_feeds(runtime)

    own = {"feeds", "feeds/sections/اقتصاد", "feeds/tags/مهرجان-الشعر", "feeds/tags/وسم-جديد"}
    assert _folders(second.rendered) == own
    assert len(second.rendered) == 3 * len(own)
    assert _folders(second.written) == own
    after = {path: (p.stat().st_ino, p.stat().st_mtime_ns) for path, p in _files(public).items()}
    touched = {path for path in after if before.get(path) != after[path]}
    assert _folders(sorted(touched)) == own


def test_nothing_changed_renders_nothing(make_runtime) -> None:  # type: ignore[no-untyped-def]
    runtime = make_runtime("")
    store_generated(runtime)
    build_feeds(runtime)
    again = build_feeds(runtime)
    assert again.rendered == [] and again.written == [] and again.unchanged == 63


def test_a_deleted_feed_file_is_written_again(make_runtime) -> None:  # type: ignore[no-untyped-def]
    runtime = make_runtime("")
    store_generated(runtime)
    build_feeds(runtime)
    victim = runtime.settings.public_dir / "feeds" / "sections" / "ثقافة" / "atom.xml"
    victim.unlink()
    again = build_feeds(runtime)
    assert again.written == ["feeds/sections/ثقافة/atom.xml"]
    assert manifest(runtime.settings.public_dir) == GOLDEN_MANIFESTS["generated"]


def test_a_new_process_with_nothing_changed_renders_nothing(make_runtime, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The prepared items and feed fingerprints outlive the process (the CLI from cron)."""
    runtime = make_runtime("")
    store_generated(runtime)
    build_feeds(runtime)
    config = tmp_path / "nashra.toml"  # written by make_settings
    result = subprocess.run(
        [sys.executable, "-m", "nashra", "--config", str(config), "feeds", "build"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "rendered=0" in result.stdout + result.stderr
    assert "written=0" in result.stdout + result.stderr


def _files(root: Path) -> dict[str, Path]:
    return {p.relative_to(root).as_posix(): p for p in (root / "feeds").rglob("*") if p.is_file()}


def test_changed_settings_render_every_feed_again(make_runtime) -> None:  # type: ignore[no-untyped-def]
    runtime = make_runtime("")
    store_generated(runtime)
    build_feeds(runtime)
    renamed = make_runtime('[site]\nname = "أخبار الجسور"\n')
    again = build_feeds(renamed)
    assert len(again.rendered) == len(again.written) == 63
    feed = (renamed.settings.public_dir / "feeds/sections/ثقافة/atom.xml").read_text(encoding="utf-8")
    assert "أخبار الجسور — ثقافة" in feed


def test_a_lost_state_file_costs_one_full_build_and_changes_no_byte(make_runtime) -> None:  # type: ignore[no-untyped-def]
    runtime = make_runtime("")
    store_generated(runtime)
    build_feeds(runtime)
    (runtime.settings.data_dir / "feeds-state.sqlite").unlink()
    again = build_feeds(runtime)
    assert len(again.rendered) == 63 and again.written == []
    assert manifest(runtime.settings.public_dir) == GOLDEN_MANIFESTS["generated"]
