"""Atomic, change-only writes and stale-file removal; the slug grouping that decides which feeds exist."""

from __future__ import annotations

import os
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest

from nashra.config.feeds import FeedsSettings
from nashra.feeds import write as write_module
from nashra.feeds.collect import IndexRow, plan_feeds
from nashra.feeds.write import remove_stale, write_if_changed


def _row(article_id: str, section: str, tags: tuple[str, ...]) -> IndexRow:
    return IndexRow(article_id, section, tags, 1, datetime(2026, 11, 28, tzinfo=UTC))


def test_writes_new_and_changed_files_only(tmp_path: Path) -> None:
    path = tmp_path / "feeds/sections/سياسة/rss.xml"
    assert write_if_changed(path, "<rss>أ</rss>".encode())
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    os.utime(path, ns=(1_000_000_000, 1_000_000_000))
    assert not write_if_changed(path, "<rss>أ</rss>".encode())
    assert path.stat().st_mtime_ns == 1_000_000_000
    assert write_if_changed(path, "<rss>ب</rss>".encode())
    assert path.read_bytes() == "<rss>ب</rss>".encode()
    assert path.stat().st_mtime_ns != 1_000_000_000
    assert sorted(p.name for p in path.parent.iterdir()) == ["rss.xml"]  # no temporary file left


def test_a_failed_write_leaves_the_old_file_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "rss.xml"
    path.write_bytes(b"old")

    def broken_replace(_src: str, _dst: Path) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(write_module.os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        write_if_changed(path, b"new")
    assert path.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["rss.xml"]


def test_remove_stale_keeps_produced_files_and_others(tmp_path: Path) -> None:
    root = tmp_path / "feeds"
    keep = [root / "rss.xml", root / "tags/قائم/atom.xml"]
    gone = [root / "tags/قديم/rss.xml", root / "tags/قديم/feed.json"]
    foreign = root / "tags/قديم/notes.txt"
    for path in (*keep, *gone):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x")
    (root / "sections/فارغ").mkdir(parents=True)
    (root / "sections/فارغ/atom.xml").write_bytes(b"x")
    foreign.write_bytes(b"keep me")
    removed = remove_stale(root, keep)
    assert sorted(removed) == sorted([*gone, root / "sections/فارغ/atom.xml"])
    assert all(p.exists() for p in keep) and foreign.exists()
    assert not (root / "sections").exists()  # emptied folders go, up to the feeds root
    assert root.is_dir()


def test_plan_groups_spellings_by_slug_and_caps_items() -> None:
    index = [
        _row("a", "سياسة", ("الانتخابات المحلية", "الانتخابات  المحلية")),  # twice in one article: once
        _row("b", "سِيَاسَة", ("الإنتخابات المحلية",)),
        _row("c", "سياسة", ("الانتخابات المحلية", "123")),
        _row("d", "", ("\u200f",)),  # nothing left after cleaning: no feed
    ]
    plans = plan_feeds(index, FeedsSettings(max_items=2))
    summary = [(p.kind, p.slug, p.name, p.article_ids, p.folder) for p in plans]
    assert summary == [
        ("site", "", "", ("a", "b"), "feeds"),
        ("section", "سياسة", "سياسة", ("a", "b"), "feeds/sections/سياسة"),
        ("tag", "123", "123", ("c",), "feeds/tags/123"),
        ("tag", "الإنتخابات-المحلية", "الإنتخابات المحلية", ("b",), "feeds/tags/الإنتخابات-المحلية"),
        ("tag", "الانتخابات-المحلية", "الانتخابات المحلية", ("a", "c"), "feeds/tags/الانتخابات-المحلية"),
    ]
    assert plan_feeds([], FeedsSettings()) == []
    only_site = plan_feeds(index, FeedsSettings(per_section=False, per_tag=False))
    assert [p.kind for p in only_site] == ["site"]


def test_tag_feeds_of_different_keywords_are_never_merged() -> None:
    long_name = " ".join(["مهرجان الشعر الشعبي في الواحات"] * 3)
    index = [
        _row("a", "", ("C", "C++ & Python", f"{long_name} الأولى")),
        _row("b", "", ("C++", "C#", ".NET", f"{long_name} الثانية")),  # cut at 80: same slug as a's
        _row("c", "", ("c", "C\u200b#", f"{long_name} الأولى")),
    ]
    plans = plan_feeds(index, FeedsSettings(per_section=False))
    tags = {p.slug: (p.name, p.article_ids) for p in plans if p.kind == "tag"}
    cut = next(slug for slug in tags if slug.startswith("مهرجان"))
    assert tags == {
        "c": ("C", ("a", "c")),
        "cplusplus-python": ("C++ & Python", ("a",)),
        "cplusplus": ("C++", ("b",)),
        "csharp": ("C#", ("b", "c")),
        "dotnet": (".NET", ("b",)),
        cut: (f"{long_name} الأولى", ("a", "c")),
    }
