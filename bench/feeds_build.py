"""Benchmark: every feed (site + all sections + all tags, RSS + Atom + JSON Feed) for a 10,000-article archive.

Baseline, in the same run and interleaved with each measured build: feedgen alone writing the same
627 files from already-prepared text (every item's cleaned, sanitised, summarised strings made
before the clock starts; one FeedGenerator per feed and format, entries added the plain way,
json.dumps for JSON Feed, plain file writes). Measured:

- cold, nothing prepared: a new data folder and a new output folder (every article prepared once);
- cold, items prepared: a new output folder, the prepared items already stored (what issue #13's
  "cold build" target compares with the baseline: the same 627 files, no text work);
- a new process, nothing changed: `build_feeds` from SQLite in a fresh interpreter;
- a new process, one new article: the same, after ingesting one more article.

The articles are synthetic Arabic text generated here (8 sections, 200 tags). The bench only uses
calls the code before #13 also has, so it runs on that code too (PYTHONPATH=<old checkout>/src).

Run: .venv/bin/python bench/feeds_build.py [--articles 10000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from feedgen.feed import FeedGenerator

from nashra.config import Settings
from nashra.config.loader import parse_settings
from nashra.feeds import build as build_module
from nashra.feeds import build_from_articles
from nashra.feeds.collect import index_of, needed_ids, plan_feeds
from nashra.feeds.items import FeedItem, prepare_item
from nashra.model import Article, Image, StoredArticle
from nashra.runtime import Runtime
from nashra.store.articles import upsert_articles

WORDS = (  # noqa: SIM905 - one readable block of words
    "المدينة البلدية المجلس الوزارة المشروع الطريق الميناء السوق المزارعون الموسم الحصاد الزيتون القمح "
    "الجامعة الطلبة المدرسة المعلمون المستشفى الأطباء المرضى الماء السد الأمطار الجفاف الطاقة الشمسية "
    "الرياح المصنع العمال النقابة الأجور الأسعار التضخم البنك القروض الاستثمار الشركات الصادرات الواردات "
    "المهرجان الشعر الرواية المسرح السينما الموسيقى الفريق المباراة البطولة الملعب المدرب اللاعبون "
    "الانتخابات البرلمان الحكومة القانون الميزانية الضرائب الإصلاح الحوار المعارضة الأغلبية الولاية "
    "الصحراء الواحة الساحل الجبال القرية الحي السكان الشباب النساء الأطفال الحافلة القطار المطار الرحلات "
    "أعلن أكد قال أوضح أشار افتتح أطلق ناقش صادق رفض طالب استقبل زار وقع نظم شارك فاز خسر ارتفع انخفض "
    "اليوم أمس الأسبوع الشهر العام المقبل الماضي الجديد الأول الثاني الكبير الصغير المحلي الوطني الدولي"
).split()
SECTIONS = ["سياسة", "اقتصاد", "ثقافة", "رياضة", "مجتمع", "تكنولوجيا", "بيئة", "دولي"]
ZONE = ZoneInfo("Africa/Algiers")


def _sentence(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n))


def make_tags(rng: random.Random, count: int = 200) -> list[str]:
    tags: set[str] = set()
    while len(tags) < count:
        tags.add(_sentence(rng, rng.choice((1, 2, 2, 3))))
    return sorted(tags)


def make_articles(count: int, seed: int = 7) -> list[StoredArticle]:
    rng = random.Random(seed)
    tags = make_tags(rng)
    start = datetime(2024, 1, 1, 6, 0, tzinfo=ZONE)
    stored = []
    for n in range(count):
        published = start + timedelta(minutes=97 * n + rng.randrange(60))
        paragraphs = [f"<p>{_sentence(rng, rng.randrange(30, 60))}.</p>" for _ in range(rng.randrange(4, 8))]
        paragraphs.insert(
            2,
            f'<h2>{_sentence(rng, 4)}</h2><p>{_sentence(rng, 20)} <a href="/archive/{n}">{_sentence(rng, 3)}</a>.</p>',
        )
        image = None
        if n % 3:
            image = Image(
                url=f"/media/{n}.jpg",
                alt=_sentence(rng, 6),
                length=rng.randrange(20_000, 400_000) if n % 2 else None,
                mime_type="image/jpeg",
            )
        article = Article(
            source="bench",
            guid=f"a{n}",
            url=f"https://news.example.org/{n}",
            title=_sentence(rng, rng.randrange(6, 14)),
            published_at=published,
            updated_at=published + timedelta(hours=2) if n % 5 == 0 else None,
            author=_sentence(rng, 2),
            section=SECTIONS[rng.randrange(len(SECTIONS))],
            tags=tuple(rng.sample(tags, rng.randrange(2, 5))),
            lead=_sentence(rng, 25) if n % 4 == 0 else "",
            body_html="".join(paragraphs),
            image=image,
        )
        stored.append(
            StoredArticle(id=article.id, article=article, first_seen_at=published, last_changed_at=published)
        )
    return stored


def _plain_entry(generator: FeedGenerator, item: FeedItem) -> None:
    entry = generator.add_entry(order="append")
    entry.id(item.guid)
    entry.title(item.title)
    entry.link(href=item.url, rel="alternate")
    entry.published(item.published)
    entry.updated(item.updated)
    if item.summary:
        entry.summary(item.summary)
    if item.content_html:
        entry.content(item.content_html, type="html")
    if item.author:
        entry.author({"name": item.author})
    if item.categories:
        entry.category([{"term": term} for term in item.categories])


def _plain_generator(title: str, settings: Settings, items: list[FeedItem], self_url: str) -> FeedGenerator:
    generator = FeedGenerator()
    generator.id(self_url)
    generator.title(title)
    generator.subtitle(settings.site.description or settings.site.name)
    generator.language(settings.site.language)
    generator.author({"name": settings.site.name})
    generator.updated(max(i.changed for i in items))
    generator.link(href=self_url, rel="self")
    generator.link(href=settings.site.base_url + "/", rel="alternate")
    for item in items:
        _plain_entry(generator, item)
    return generator


def _plain_json(title: str, items: list[FeedItem], self_url: str) -> bytes:
    feed = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": title,
        "feed_url": self_url,
        "items": [
            {
                "id": i.guid,
                "url": i.url,
                "title": i.title,
                "content_html": i.content_html,
                "summary": i.summary,
                "date_published": i.published.isoformat(),
                "date_modified": i.updated.isoformat(),
                "authors": [{"name": i.author}],
                "tags": list(i.categories),
            }
            for i in items
        ],
    }
    return (json.dumps(feed, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")


class Baseline:
    """feedgen alone writing every feed file from prepared strings (prepared here, before timing)."""

    def __init__(self, stored: list[StoredArticle], settings: Settings) -> None:
        self.settings = settings
        self.plans = plan_feeds(index_of(stored), settings.feeds)
        by_id = {s.id: s for s in stored}
        self.items = {i: prepare_item(by_id[i], settings) for i in needed_ids(self.plans)}

    def write(self, out: Path) -> int:
        written = 0
        for plan in self.plans:
            items = [self.items[i] for i in plan.article_ids]
            folder = out / plan.folder
            folder.mkdir(parents=True, exist_ok=True)
            title = plan.name or self.settings.site.name
            url = f"{self.settings.site.base_url}/{plan.folder}/"
            (folder / "rss.xml").write_bytes(
                _plain_generator(title, self.settings, items, url + "rss.xml").rss_str(pretty=True)
            )
            (folder / "atom.xml").write_bytes(
                _plain_generator(title, self.settings, items, url + "atom.xml").atom_str(pretty=True)
            )
            (folder / "feed.json").write_bytes(_plain_json(title, items, url + "feed.json"))
            written += 3
        return written


def _settings(base: Path, data: str) -> Settings:
    toml = f'[database]\nurl = "sqlite:///{base / "bench.db"}"\n\n[paths]\ndata = "{data}"\n'
    return parse_settings(toml, origin="bench", base_dir=base)


def _cold(stored: list[StoredArticle], settings: Settings, out: Path) -> Any:
    if hasattr(build_module, "PreparedCache"):  # the code before #13 kept prepared items in the process
        build_module._CACHE = build_module.PreparedCache()  # type: ignore[attr-defined]
    return build_from_articles(stored, settings, out)


NEW_PROCESS = r"""
import json, sys, time
from pathlib import Path
started = time.perf_counter()
from nashra.config.loader import parse_settings
from nashra.feeds import build_feeds
from nashra.runtime import Runtime
imported = time.perf_counter()
base, data, out = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3])
toml = f'[database]\nurl = "sqlite:///{base / "bench.db"}"\n\n[paths]\ndata = "{data}"\n'
with Runtime.open(parse_settings(toml, origin="bench", base_dir=base)) as runtime:
    opened = time.perf_counter()
    result = build_feeds(runtime, out)
    built = time.perf_counter()
print(json.dumps({"import": imported - started, "open": opened - imported, "build": built - opened,
                  "rendered": len(getattr(result, "rendered", result.written)), "written": len(result.written)}))
"""


def _new_process(base: Path, data: str, out: Path) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", NEW_PROCESS, str(base), data, str(out)],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    )
    figures: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    figures["process"] = time.perf_counter() - started
    return figures


def _median(values: list[float]) -> float:
    return statistics.median(values)


def _timed(fn: Callable[..., Any], *args: Any) -> tuple[float, Any]:
    started = time.perf_counter()
    result = fn(*args)
    return time.perf_counter() - started, result


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    stored = make_articles(args.articles)
    with tempfile.TemporaryDirectory(prefix="nashra-bench-") as tmp:
        base = Path(tmp)
        settings = _settings(base, "data-warm")
        baseline = Baseline(stored, settings)
        build_from_articles(stored, settings, base / "prime")  # stores the prepared items (new code)
        times: dict[str, list[float]] = {"baseline": [], "cold": [], "prepared": []}
        files = 0
        for run in range(args.repeat):  # interleaved: contention hits every side alike
            took, files = _timed(baseline.write, base / f"baseline{run}")
            times["baseline"].append(took)
            cold_settings = _settings(base, f"data-cold{run}")
            took, cold = _timed(_cold, stored, cold_settings, base / f"cold{run}")
            times["cold"].append(took)
            took, prepared = _timed(_cold, stored, settings, base / f"prepared{run}")
            times["prepared"].append(took)
            assert len(cold.written) == len(prepared.written) == files, (len(cold.written), files)
            for path in (base / f"baseline{run}", base / f"cold{run}", base / f"prepared{run}"):
                shutil.rmtree(path)

        # End to end in new processes, as `nashra feeds build` from cron runs: SQLite, build once, then
        # rebuild with nothing changed, then after one more article each time.
        db_settings = _settings(base, "data-db")
        out = base / "public"
        with Runtime.open(db_settings) as runtime, runtime.store.begin() as conn:
            upsert_articles(conn, [s.article for s in stored], now=datetime(2026, 11, 28, tzinfo=UTC))
        first = _new_process(base, "data-db", out)
        unchanged = [_new_process(base, "data-db", out) for _ in range(args.repeat)]
        one_new = []
        for n in range(args.repeat):
            newest = max(s.article.published_at for s in stored) + timedelta(hours=n + 1)
            fresh = Article(
                source="bench-new",
                guid=f"new{n}",
                url=f"https://news.example.org/new/{n}",
                title="خبر جديد عن الميناء",
                published_at=newest,
                section=SECTIONS[n],
                tags=(stored[n].article.tags[0],),
                body_html="<p>افتتح الوالي اليوم الميناء الجاف.</p>",
            )
            with Runtime.open(db_settings) as runtime, runtime.store.begin() as conn:
                upsert_articles(conn, [fresh], now=newest)
            one_new.append(_new_process(base, "data-db", out))

    base_s = _median(times["baseline"])
    print(f"archive: {len(stored):,} synthetic Arabic articles; {files} feed files (3 formats)")
    print(f"{'baseline: feedgen alone, same files from prepared text':<58} {base_s:7.2f} s")
    for key, label in (
        ("cold", "nashra cold, nothing prepared"),
        ("prepared", "nashra cold, items already prepared"),
    ):
        value = _median(times[key])
        print(f"{label:<58} {value:7.2f} s  ({value / base_s:.2f}x baseline)")
    print(f"{'nashra first build from SQLite, new process (build only)':<58} {first['build']:7.2f} s")
    for label, runs in (
        ("new process, nothing changed", unchanged),
        ("new process, one new article", one_new),
    ):
        build = _median([r["build"] for r in runs])
        rendered = sorted({int(r["rendered"]) for r in runs})
        extra = (
            f"import {_median([r['import'] for r in runs]):.2f} s, open {_median([r['open'] for r in runs]):.2f} s, "
            f"whole process {_median([r['process'] for r in runs]):.2f} s"
        )
        print(f"{'nashra ' + label + ' (build only)':<58} {build:7.3f} s  rendered {rendered}  ({extra})")
    print(f"(medians of {args.repeat}; baseline and cold builds interleaved in one process)")


if __name__ == "__main__":
    main()
