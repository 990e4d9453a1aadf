"""Article forms in the store: written with each new or changed article, read back only while they
match the article version and FORMS_VERSION, and filled in for rows that have none."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Text, cast, select, update

from nashra.forms import FORMS_VERSION, prepare_forms
from nashra.model import Article, Image
from nashra.store import Store
from nashra.store.articles import get_article, upsert_articles
from nashra.store.database import dumps_json, loads_json
from nashra.store.schema import articles

ALGIERS = timezone(timedelta(hours=1))
NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def _article(guid: str, **changes: object) -> Article:
    base = Article(
        source="wire",
        guid=guid,
        url=f"https://news.example/a/{guid}",
        title=f"قمة BRICS في جوهانسبرغ: الخبر رقم {guid}",
        published_at=datetime(2026, 11, 27, 9, 30, tzinfo=ALGIERS),
        section="اقتصاد",
        lead="<p>مقدمة الخبر عن صادرات الغاز التي بلغت 3.5 مليار م³ هذا العام حسب Sonatrach.</p>",
        body_html="<p>نص الخبر.</p>",
        image=Image(url="https://news.example/i.jpg", alt=""),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def test_ingest_stores_the_forms_every_output_reads(store: Store) -> None:
    article = _article("1")
    with store.begin() as conn:
        upsert_articles(conn, [article], now=NOW, teaser_lengths=(90, 220))
        stored = get_article(conn, article.id)
    assert stored is not None
    assert stored.forms == prepare_forms(article, (90, 220))
    assert stored.forms.has_excerpt(90) and stored.forms.has_excerpt(220)


def test_an_edited_article_gets_new_forms(store: Store) -> None:
    article = _article("1")
    edited = replace(article, title="عنوان معدّل عن BRICS")
    with store.begin() as conn:
        upsert_articles(conn, [article], now=NOW)
        upsert_articles(conn, [edited], now=NOW + timedelta(hours=1))
        stored = get_article(conn, article.id)
    assert stored is not None and stored.forms is not None
    assert stored.forms.title.plain == "عنوان معدّل عن BRICS"
    assert stored.forms == prepare_forms(edited, (220,))


def test_stale_or_missing_forms_are_not_read_and_the_next_ingest_fills_them(store: Store) -> None:
    """A row from before forms, forms from another FORMS_VERSION or another article version: the
    reader gets None (outputs compute them on first use); the next ingest stores them, changing
    nothing else about the article."""
    first, second, third = _article("1"), _article("2"), _article("3")
    with store.begin() as conn:
        upsert_articles(conn, [first, second, third], now=NOW)
        rows = {a.id: get_article(conn, a.id) for a in (first, second, third)}
        good = conn.execute(articles.select().where(articles.c.id == first.id)).one().forms
        conn.execute(update(articles).where(articles.c.id == first.id).values(forms=None))
        older = {**good, "key": f"{FORMS_VERSION - 1}:{second.content_hash}"}
        conn.execute(update(articles).where(articles.c.id == second.id).values(forms=older))
        other = {**good, "key": f"{FORMS_VERSION}:{'0' * 64}"}
        conn.execute(update(articles).where(articles.c.id == third.id).values(forms=other))
        assert all(get_article(conn, a.id).forms is None for a in (first, second, third))  # type: ignore[union-attr]

        result = upsert_articles(conn, [first, second, third], now=NOW + timedelta(hours=1))
        after = {a.id: get_article(conn, a.id) for a in (first, second, third)}
    assert (result.new, result.updated, result.unchanged) == ([], [], 3)
    for article in (first, second, third):
        stored = after[article.id]
        assert stored is not None
        assert stored.forms == prepare_forms(article, (220,))
        assert replace(stored, forms=None) == replace(rows[article.id], forms=None)  # version, dates


def test_a_teaser_length_added_since_is_filled_in(store: Store) -> None:
    article = _article("1")
    with store.begin() as conn:
        upsert_articles(conn, [article], now=NOW, teaser_lengths=(220,))
        upsert_articles(conn, [article], now=NOW + timedelta(hours=1), teaser_lengths=(90, 220))
        stored = get_article(conn, article.id)
    assert stored is not None and stored.forms is not None
    assert stored.forms.has_excerpt(90)
    assert stored.version == 1


def test_forms_are_stored_as_compact_utf8_json(store: Store) -> None:
    """The column is read for every article of every render: Arabic written as UTF-8, not as
    six-byte `\\u0642` escapes (four times the text for json to decode), and a text with no Latin
    run in it (its HTML the escaped text, its isolated form the text) written once, not three times."""
    article = _article("1", title="عنوان عربي خالص", lead="<p>مقدمة عربية خالصة بلا أرقام.</p>")
    with store.begin() as conn:
        upsert_articles(conn, [article], now=NOW, teaser_lengths=(90,))
        raw = conn.execute(
            select(cast(articles.c.forms, Text)).where(articles.c.id == article.id)
        ).scalar_one()
        stored = get_article(conn, article.id)
    assert "\\u" not in raw and "عنوان عربي خالص" in raw
    data = json.loads(raw)
    assert data["title"] == "عنوان عربي خالص"
    assert data["excerpts"] == {"90": "مقدمة عربية خالصة بلا أرقام."}
    assert stored is not None and stored.forms == prepare_forms(article, (90,))


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)


@given(_JSON)
def test_json_columns_read_back_what_json_loads_reads(value: object) -> None:
    """The store's reader takes its short way for what the store wrote, and `json.loads`' for the
    rest: same values, and the same errors for text that is not one JSON value."""
    written = dumps_json(value)
    assert loads_json(written) == json.loads(written)
    spaced = json.dumps(value, indent=1)
    assert loads_json(f" {spaced} ") == json.loads(spaced)
    assert loads_json(written.encode()) == json.loads(written)
    for broken in (written + " x", written[:-1] or "[", "", f"{written}{written}"):
        try:
            expected: object = json.loads(broken)
        except json.JSONDecodeError as error:
            expected = (type(error), str(error))
        try:
            got: object = loads_json(broken)
        except json.JSONDecodeError as error:
            got = (type(error), str(error))
        assert got == expected
