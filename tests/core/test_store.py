"""Store: batched upsert semantics, aware datetimes, and the migrations matching the tables."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from nashra.model import Article, Image
from nashra.store import Store
from nashra.store.articles import count_articles, get_article, get_articles, list_articles, upsert_articles
from nashra.store.queue_schema import ours
from nashra.store.registry import metadata

ALGIERS = timezone(timedelta(hours=1))
NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def _article(guid: str, **changes: object) -> Article:
    base = Article(
        source="wire",
        guid=guid,
        url=f"https://news.example/a/{guid}",
        title=f"عنوان الخبر رقم {guid}",
        published_at=datetime(2026, 11, 27, 9, 30, tzinfo=ALGIERS),
        section="اقتصاد",
        tags=("الطاقة", "الغاز الطبيعي"),
        lead="مقدمة قصيرة للخبر.",
        body_html="<p>نص الخبر.</p>",
        image=Image(url="https://news.example/i.jpg", alt="صورة", mime_type="image/jpeg", length=1234),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def test_new_then_unchanged_then_updated(store: Store) -> None:
    with store.begin() as conn:
        first = upsert_articles(conn, [_article("1"), _article("2")], now=NOW)
    assert sorted(first.new) == sorted([_article("1").id, _article("2").id])
    with store.begin() as conn:
        again = upsert_articles(conn, [_article("1"), _article("2")], now=NOW + timedelta(minutes=10))
    assert (again.new, again.updated, again.unchanged) == ([], [], 2)

    edited = _article("1", title="عنوان معدّل", updated_at=datetime(2026, 11, 28, 8, 0, tzinfo=ALGIERS))
    later = NOW + timedelta(hours=1)
    with store.begin() as conn:
        third = upsert_articles(conn, [edited, _article("2")], now=later)
        stored = get_article(conn, edited.id)
    assert third.updated == [edited.id] and third.new == [] and third.unchanged == 1
    assert stored is not None
    assert stored.version == 2
    assert stored.title == "عنوان معدّل"
    assert stored.first_seen_at == NOW
    assert stored.last_changed_at == later


def test_round_trip_keeps_arabic_times_and_image(store: Store) -> None:
    article = _article("rt", title="«الجزائر» تُصدِّر 3.5 مليار م³ من الغاز")
    with store.begin() as conn:
        upsert_articles(conn, [article], now=NOW)
        stored = get_article(conn, article.id)
    assert stored is not None
    assert stored.article.title == article.title
    assert stored.article.published_at == article.published_at
    assert stored.article.published_at.tzinfo is not None
    assert stored.article.tags == ("الطاقة", "الغاز الطبيعي")
    assert stored.article.image == article.image
    assert stored.article.content_hash == article.content_hash


def test_same_url_under_another_id_is_a_duplicate(store: Store) -> None:
    original = _article("orig")
    repost = _article("repost", url=original.url)
    with store.begin() as conn:
        upsert_articles(conn, [original], now=NOW)
        result = upsert_articles(conn, [repost], now=NOW)
        assert count_articles(conn) == {"wire": 1}
    assert result.new == []
    assert result.duplicates == [(repost, original.id)]


def test_duplicate_within_one_batch(store: Store) -> None:
    a = _article("a")
    b = _article("b", url=a.url)
    with store.begin() as conn:
        result = upsert_articles(conn, [a, b, a], now=NOW)
    assert result.new == [a.id]
    assert [d[0].guid for d in result.duplicates] == ["b"]


def test_large_batch_crosses_chunk_boundaries(store: Store) -> None:
    items = [_article(str(i)) for i in range(1203)]
    with store.begin() as conn:
        assert len(upsert_articles(conn, items, now=NOW).new) == 1203
        assert upsert_articles(conn, items, now=NOW).unchanged == 1203
        ids = [items[5].id, "missing", items[1200].id]
        assert [a.id for a in get_articles(conn, ids)] == [items[5].id, items[1200].id]


def test_list_articles_filters_and_orders(store: Store) -> None:
    old = _article("old", published_at=datetime(2026, 11, 20, 8, 0, tzinfo=UTC), section="رياضة")
    new = _article("new", published_at=datetime(2026, 11, 27, 8, 0, tzinfo=UTC))
    with store.begin() as conn:
        upsert_articles(conn, [old], now=NOW)
        upsert_articles(conn, [new], now=NOW + timedelta(hours=1))
        assert [a.article.guid for a in list_articles(conn)] == ["new", "old"]
        assert [a.article.guid for a in list_articles(conn, sections=["رياضة"])] == ["old"]
        assert [a.article.guid for a in list_articles(conn, seen_since=NOW)] == ["new"]
        assert len(list_articles(conn, limit=1)) == 1


def test_migrations_match_the_tables(store: Store) -> None:
    """Every table of every feature, as migrated, equals what the code declares."""
    with store.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": False, "include_name": ours})
        diff = compare_metadata(context, metadata)
    assert diff == []
