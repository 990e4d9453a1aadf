"""Arabic sample articles (our own text) and small helpers for the feed tests.

A plain module rather than conftest.py: test modules import it by a name no other test area uses.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from nashra.model import Article, Image
from nashra.runtime import Runtime
from nashra.store.articles import upsert_articles

ZONE = ZoneInfo("Africa/Algiers")
BASE = datetime(2026, 11, 20, 8, 0, tzinfo=ZONE)
INGESTED_AT = datetime(2026, 11, 28, 6, 0, tzinfo=ZoneInfo("UTC"))


def article(
    n: int,
    *,
    section: str,
    tags: Sequence[str],
    title: str | None = None,
    url: str | None = None,
    updated: datetime | None = None,
    image: Image | None = None,
    lead: str = "",
    body: str | None = None,
) -> Article:
    return Article(
        source="newsroom",
        guid=f"story-{n}",
        url=url or f"https://news.example.org/{n}",
        title=title or f"خبر رقم {n} عن مدينة الجسور المعلّقة",
        published_at=BASE + timedelta(hours=n),
        updated_at=updated,
        author="ليلى بوزيد" if n % 2 else "كريم سعدي",
        section=section,
        tags=tuple(tags),
        lead=lead,
        body_html=body
        if body is not None
        else (
            f"<p>افتتحت البلدية صباح اليوم الجسر الجديد رقم {n} بعد أشهر من الأشغال، وسط حضور كبير من سكان الأحياء المجاورة.</p>"
            '<p>وقال رئيس البلدية إن <a href="/mashari3">المشاريع القادمة</a> ستشمل الطرق الريفية.</p>'
        ),
        image=image,
    )


def sample_articles() -> list[Article]:
    """Eight stories over three sections and overlapping tags, with the awkward cases readers meet."""
    photo = Image(
        url="https://news.example.org/media/bridge.jpg",
        alt="جسر معلّق عند الغروب",
        length=48213,
        mime_type="image/jpeg",
        caption="الجسر كما يبدو من الضفة الشرقية",
    )
    return [
        article(1, section="سياسة", tags=["الانتخابات المحلية", "البرلمان"], image=photo),
        article(
            2,
            section="اقتصاد",
            tags=["الموانئ", "التجارة الخارجية"],
            lead="ميناء جاف جديد يدخل الخدمة هذا الأسبوع.",
        ),
        article(
            3,
            section="سياسة",
            tags=["البرلمان"],
            title='نقاش "حادّ" حول الميزانية & الضرائب في البرلمان',
            updated=BASE + timedelta(hours=30),
        ),
        article(
            4,
            section="ثقافة",
            tags=["مهرجان الشعر", "الواحات"],
            url="https://news.example.org/ثقافة/مهرجان-الشعر",
            image=Image(url="/media/poetry.png"),
        ),
        article(5, section="اقتصاد", tags=["التجارة الخارجية", "الموانئ"]),
        article(6, section="ثقافة", tags=["مهرجان الشِّعر"]),  # same slug as "مهرجان الشعر": one feed
        article(7, section="سياسة", tags=["الانتخابات المحلية"], updated=BASE + timedelta(hours=40)),
        article(8, section="", tags=["عاجل"]),
    ]


def store_articles(runtime: Runtime, articles: Sequence[Article], now: datetime = INGESTED_AT) -> None:
    with runtime.store.begin() as conn:
        upsert_articles(conn, articles, now=now)


def feed_files(root: Path) -> dict[str, Path]:
    """Every feed file under <root>/feeds, keyed by relative posix path."""
    return {p.relative_to(root).as_posix(): p for p in sorted((root / "feeds").rglob("*")) if p.is_file()}
