"""Golden feed outputs: the demo and a generated archive, built, then changed and rebuilt.

The manifests in data/golden.json hold the SHA-256 of every file the feed build wrote, recorded
from the build as it was before feeds became incremental (commit 6d8030b); a faster build must
write the same bytes. Record again only when an output change is intended:

    .venv/bin/python tests/feeds/feeds_golden.py --record
"""

from __future__ import annotations

import hashlib
import json
import random
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import delete, update

from nashra.feeds import build_feeds
from nashra.ingest import ingest
from nashra.model import Article, Image
from nashra.runtime import Runtime
from nashra.store.articles import upsert_articles
from nashra.store.schema import articles

GOLDEN = Path(__file__).parent / "data" / "golden.json"
ZONE_START = datetime(2026, 10, 1, 5, 0, tzinfo=UTC)
INGESTED = datetime(2026, 11, 28, 6, 0, tzinfo=UTC)
EDITED = datetime(2026, 11, 29, 9, 30, tzinfo=UTC)

WORDS = (  # noqa: SIM905 - one readable block of words
    "المدينة البلدية المجلس الوزارة المشروع الطريق الميناء السوق المزارعون الموسم الحصاد الزيتون "
    "الجامعة الطلبة المستشفى الماء السد الأمطار الطاقة الشمسية المصنع العمال الأسعار البنك "
    "المهرجان الشعر الرواية الفريق المباراة البطولة الانتخابات البرلمان الحكومة القانون الميزانية "
    "أعلن أكد قال أوضح افتتح ناقش صادق اليوم أمس الأسبوع المقبل الجديد الكبير المحلي الوطني "
    "مُعلَّقة الشِّعر القـــمح ١٤٤٧ 2026 «الجسر» (البلدية)"
).split()
SECTIONS = ["سياسة", "اقتصاد", "ثقافة", "رياضة", "مجتمع"]
# Awkward text readers meet: controls lxml rejects, bidi controls, joiners, harakat, tatweel.
ODD = ["\x0b", "\u202e", "\u200d", "\u200f", "\ufeff", "\x07", "e\u0301", "\u0651\u064e"]


def _sentence(rng: random.Random, n: int) -> str:
    words = [rng.choice(WORDS) for _ in range(n)]
    if rng.random() < 0.15:
        words.insert(rng.randrange(len(words)), rng.choice(ODD))
    return " ".join(words)


def generated_articles(count: int = 90, seed: int = 13) -> list[Article]:
    """Arabic articles of the demo's shape with every awkward case the item preparation handles."""
    rng = random.Random(seed)
    tags = [*sorted({_sentence(rng, rng.choice((1, 2))) for _ in range(14)}), "مهرجان الشِّعر", "مهرجان الشعر"]
    made = []
    for n in range(count):
        published = ZONE_START + timedelta(minutes=613 * n + rng.randrange(60))
        paragraphs = [f"<p>{_sentence(rng, rng.randrange(8, 30))}.</p>" for _ in range(rng.randrange(1, 4))]
        if n % 7 == 0:
            paragraphs.append(f'<p><a href="/archive/{n}">{_sentence(rng, 3)}</a> <script>x()</script></p>')
        if n % 11 == 0:
            paragraphs.append('<p><a href="javascript:alert(1)">رابط</a><img src=""><b>غامق')
        lead = ""
        if n % 4 == 0:
            lead = _sentence(rng, rng.randrange(5, 90))
        elif n % 9 == 0:  # a WordPress-style excerpt cut from the body
            lead = paragraphs[0][3:60] + " […]"
        image = None
        if n % 3 == 0:
            image = Image(
                url=rng.choice((f"/media/{n}.jpg", f"https://cdn.example.org/{n}.png", "javascript:x", "")),
                alt=_sentence(rng, 4) if n % 2 else "",
                caption=_sentence(rng, 5) if n % 5 else "",
                length=rng.randrange(1_000, 90_000) if n % 2 else None,
                mime_type=rng.choice((None, "image/jpeg", "text/html")),
            )
        made.append(
            Article(
                source="gen",
                guid=f"g{n}",
                url=f"https://news.example.org/{n}" if n % 13 else f"/ar/{n}/مقال",
                title=_sentence(rng, rng.randrange(4, 12)) if n % 17 else "\u202e\x0b",
                published_at=published,
                updated_at=published + timedelta(hours=3) if n % 5 == 0 else None,
                author=_sentence(rng, 2) if n % 6 else "",
                section=rng.choice(SECTIONS) if n % 10 else "",
                tags=tuple(rng.sample(tags, rng.randrange(0, 4))),
                lead=lead,
                body_html="".join(paragraphs) if n % 19 else "",
                image=image,
                language=rng.choice(("ar", "ar_DZ", "ar-MA", "not a tag!")),
            )
        )
    return made


def newest_article() -> Article:
    return Article(
        source="gen",
        guid="fresh",
        url="https://news.example.org/fresh",
        title="خبر عاجل: افتتاح الميناء الجاف",
        published_at=ZONE_START + timedelta(days=90),
        section="اقتصاد",
        tags=("مهرجان الشعر", "وسم جديد"),
        body_html="<p>افتتح الوالي اليوم الميناء الجاف الجديد.</p>",
    )


def store_generated(runtime: Runtime) -> None:
    with runtime.store.begin() as conn:
        upsert_articles(conn, generated_articles(), now=INGESTED)


def change_generated(runtime: Runtime) -> None:
    """One new article, one edited (title and tags), one deleted, one tag feed left empty."""
    made = generated_articles()
    edited = made[40]
    edited = Article(**{**_fields(edited), "title": "عنوان معدّل", "tags": ("وسم جديد",)})
    with runtime.store.begin() as conn:
        upsert_articles(conn, [newest_article(), edited], now=EDITED)
        conn.execute(delete(articles).where(articles.c.id == made[50].id))


def _fields(article: Article) -> dict[str, object]:
    return {name: getattr(article, name) for name in Article.__dataclass_fields__}


def store_demo(runtime: Runtime) -> None:
    """The bundled demo articles, with the ingest time pinned so the feeds' dates are stable."""
    ingest(runtime)
    with runtime.store.begin() as conn:
        conn.execute(update(articles).values(first_seen_at=INGESTED, last_changed_at=INGESTED))


def manifest(root: Path) -> dict[str, str]:
    """SHA-256 of every file under <root>/feeds, by relative posix path."""
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted((root / "feeds").rglob("*"))
        if p.is_file() and not p.name.startswith(".")
    }


SCENARIOS: dict[str, list[Callable[[Runtime], None]]] = {
    "demo": [store_demo],
    "generated": [store_generated],
    "generated-changed": [store_generated, change_generated],
}


def record(runtime_for: Callable[[], Runtime]) -> dict[str, dict[str, str]]:
    result = {}
    for name, steps in SCENARIOS.items():
        runtime = runtime_for()
        try:
            for step in steps:
                step(runtime)
                build_feeds(runtime)
            result[name] = manifest(runtime.settings.public_dir)
        finally:
            runtime.close()
    return result


def _main() -> None:
    import tempfile

    from nashra.config.loader import parse_settings

    with tempfile.TemporaryDirectory() as tmp:
        counter = iter(range(100))

        def runtime_for() -> Runtime:
            base = Path(tmp) / str(next(counter))
            base.mkdir()
            body = f'[database]\nurl = "sqlite:///{base / "n.db"}"\n'
            return Runtime.open(parse_settings(body, origin="golden", base_dir=base))

        recorded = record(runtime_for)
    GOLDEN.parent.mkdir(exist_ok=True)
    GOLDEN.write_text(
        json.dumps(recorded, ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8"
    )
    sys.stdout.write(f"{ {name: len(files) for name, files in recorded.items()} }\n")


if __name__ == "__main__" and sys.argv[1:] == ["--record"]:
    _main()
