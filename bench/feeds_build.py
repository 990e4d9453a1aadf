"""Benchmark: every feed (site + all sections + all tags, RSS + Atom + JSON Feed) for a 10,000-article archive.

Baseline, measured in the same run: feedgen alone building the site-wide RSS for the same articles with
the same max_items (sort the archive, take the newest, add entries with their raw bodies, serialise).
The articles are synthetic Arabic text generated here (8 sections, 200 tags). Nothing touches a
database: both sides start from the same articles in memory, and our build writes its files into a
fresh temporary folder (atomic writes with fsync) on its first run, then rebuilds with no change.

Run: .venv/bin/python bench/feeds_build.py [--articles 10000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from feedgen.feed import FeedGenerator

from nashra.config.loader import parse_settings
from nashra.feeds import build_feeds, build_from_articles
from nashra.feeds.build import PreparedCache
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


def feedgen_site_rss(stored: list[StoredArticle], max_items: int) -> bytes:
    """The baseline: what feedgen alone does for one feed, used the plain way."""
    newest = sorted(stored, key=lambda s: s.article.published_at, reverse=True)[:max_items]
    generator = FeedGenerator()
    generator.title("نشرة")
    generator.link(href="https://news.example.org/", rel="alternate")
    generator.description("آخر الأخبار")
    generator.language("ar")
    for s in newest:
        a = s.article
        entry = generator.add_entry(order="append")
        entry.id(f"urn:nashra:{s.id}")
        entry.title(a.title)
        entry.link(href=a.url)
        entry.published(a.published_at)
        entry.updated(a.updated_at or a.published_at)
        entry.description(a.lead or a.title)
        entry.content(a.body_html, type="CDATA")
        entry.author({"name": a.author})
        entry.category([{"term": t} for t in (a.section, *a.tags)])
    return generator.rss_str(pretty=True)


@dataclass
class Timing:
    wall: float
    cpu: float


def _time(fn, repeat: int) -> tuple[Timing, object]:  # type: ignore[no-untyped-def]
    """Median wall and CPU time: the machine may be shared, and CPU time is what contention does not inflate."""
    walls, cpus, result = [], [], None
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        result = fn()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return Timing(statistics.median(walls), statistics.median(cpus)), result


def _line(label: str, timing: Timing, baseline: Timing, per_file: int | None = None) -> str:
    text = (
        f"{label:<62} wall {timing.wall * 1000:8.1f} ms ({timing.wall / baseline.wall:6.0f}x)"
        f"   cpu {timing.cpu * 1000:8.1f} ms ({timing.cpu / baseline.cpu:6.0f}x)"
    )
    if per_file:
        text += f"   per file {timing.cpu / per_file * 1000:.2f} ms cpu ({timing.cpu / per_file / baseline.cpu:.1f}x)"
    return text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-store", action="store_true", help="skip the end-to-end build from SQLite")
    args = parser.parse_args()

    stored = make_articles(args.articles)
    baseline_runs = max(args.repeat * 5, 10)
    with tempfile.TemporaryDirectory(prefix="nashra-bench-") as tmp:
        base = Path(tmp)
        settings = parse_settings("", origin="bench", base_dir=base)
        max_items = settings.feeds.max_items

        baseline, rss = _time(lambda: feedgen_site_rss(stored, max_items), baseline_runs)

        runs = iter(range(1_000))
        # Cold: empty folder and an empty item cache, so every article is cleaned and sanitised.
        cold, first = _time(
            lambda: build_from_articles(stored, settings, base / f"out{next(runs)}", PreparedCache()),
            args.repeat,
        )
        warm_cache = PreparedCache()
        build_from_articles(stored, settings, base / "warm", warm_cache)
        # The worker's case: same process, nothing changed since the last build.
        warm, again = _time(
            lambda: build_from_articles(stored, settings, base / "warm", warm_cache), args.repeat
        )
        # A new process (e.g. `nashra feeds build` from cron), nothing changed: items prepared again, nothing written.
        restart, _ = _time(
            lambda: build_from_articles(stored, settings, base / "warm", PreparedCache()), args.repeat
        )
        from_store = None
        if not args.no_store:
            # End to end as the CLI runs it: read the index and the needed articles from SQLite, then build.
            db = parse_settings(
                f'[database]\nurl = "sqlite:///{base / "bench.db"}"\n', origin="bench", base_dir=base
            )
            with Runtime.open(db) as runtime:
                with runtime.store.begin() as conn:
                    upsert_articles(conn, [s.article for s in stored], now=datetime.now(ZONE))
                from_store, _ = _time(
                    lambda: build_feeds(runtime, base / f"db{next(runs)}", PreparedCache()), args.repeat
                )

    files = len(first.written)  # type: ignore[attr-defined]
    print(
        f"archive: {len(stored):,} synthetic Arabic articles, {len(SECTIONS)} sections, 200 tags; "
        f"max_items={max_items}; {first.feeds} feeds x 3 formats = {files} files"
    )  # type: ignore[attr-defined]
    print(
        f"{'baseline: feedgen alone, site-wide RSS, 1 file (' + format(len(rss), ',') + ' bytes)':<62} "  # type: ignore[arg-type]
        f"wall {baseline.wall * 1000:8.1f} ms            cpu {baseline.cpu * 1000:8.1f} ms"
    )
    print(_line(f"nashra: every feed, cold build, {files} files written", cold, baseline, files))
    print(
        _line(
            f"nashra: every feed, new process, {again.unchanged} files unchanged",  # type: ignore[attr-defined]
            restart,
            baseline,
        )
    )
    print(_line("nashra: every feed, worker rebuild, nothing changed", warm, baseline))
    if from_store is not None:
        print(
            _line(
                f"nashra: every feed, cold, read from SQLite, {files} files written",
                from_store,
                baseline,
                files,
            )
        )
    print(
        f"(medians of {args.repeat} builds and {baseline_runs} baseline runs, same process, same articles; "
        "(Nx) = ratio to the baseline)"
    )


if __name__ == "__main__":
    main()
