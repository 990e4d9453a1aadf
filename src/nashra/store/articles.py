"""Article queries: the batched upsert that ingest uses, and the reads every output step uses."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, func, select, update

from nashra.forms import DEFAULT_TEASER_LENGTH, forms_from_json, forms_to_json, prepare_forms, stale
from nashra.model import Article, Image, StoredArticle
from nashra.store.schema import articles

_CHUNK = 500


@dataclass(slots=True)
class UpsertResult:
    new: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: int = 0
    duplicates: list[tuple[Article, str]] = field(default_factory=list)
    """(incoming article, id of the article already holding its URL)."""

    @property
    def changed(self) -> bool:
        return bool(self.new or self.updated)


def _chunks(values: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]


def _forms(article: Article, content_hash: str, teaser_lengths: Collection[int]) -> dict[str, Any]:
    return forms_to_json(prepare_forms(article, teaser_lengths), content_hash)


def _row_values(article: Article, teaser_lengths: Collection[int]) -> dict[str, Any]:
    content_hash = article.content_hash
    return {
        "source": article.source,
        "guid": article.guid,
        "url": article.url,
        "title": article.title,
        "published_at": article.published_at,
        "updated_at": article.updated_at,
        "author": article.author,
        "section": article.section,
        "tags": list(article.tags),
        "lead": article.lead,
        "body_html": article.body_html,
        "image": asdict(article.image) if article.image else None,
        "language": article.language,
        "content_hash": content_hash,
        "forms": _forms(article, content_hash, teaser_lengths),
    }


def upsert_articles(
    conn: Connection,
    items: Iterable[Article],
    *,
    now: datetime,
    teaser_lengths: Collection[int] = (DEFAULT_TEASER_LENGTH,),
) -> UpsertResult:
    """Insert new articles, update changed ones, leave the rest alone, in a few batched statements.

    An incoming article whose URL already belongs to a *different* stored article is a duplicate
    (the same story re-exported under another id) and is reported, not stored twice. An undated
    article keeps the date stored when it was first seen, so an edit does not move it to the top.

    Every article written gets its forms (`nashra.forms`) with an excerpt for each of
    `teaser_lengths`; an unchanged one whose stored forms are stale (a row from before forms, an
    older FORMS_VERSION, a teaser length added since) gets them too, and nothing else.
    """
    result = UpsertResult()
    unique: dict[str, Article] = {}
    for article in items:
        unique.setdefault(article.id, article)
    ids = list(unique)
    known: dict[str, str] = {}
    first_dates: dict[str, datetime] = {}
    stale_forms: set[str] = set()
    for chunk in _chunks(ids):
        query = select(articles.c.id, articles.c.content_hash, articles.c.published_at, articles.c.forms)
        for id_, stored_hash, published_at, forms in conn.execute(query.where(articles.c.id.in_(chunk))):
            known[id_] = stored_hash
            first_dates[id_] = published_at
            if stale(forms, stored_hash, teaser_lengths):
                stale_forms.add(id_)

    fresh = [a for i, a in unique.items() if i not in known]
    taken: dict[str, str] = {}
    fresh_urls = list({a.url for a in fresh})
    for chunk in _chunks(fresh_urls):
        taken.update(
            (url, id_)
            for id_, url in conn.execute(
                select(articles.c.id, articles.c.url).where(articles.c.url.in_(chunk))
            )
        )

    inserts: list[dict[str, Any]] = []
    for article in fresh:
        holder = taken.get(article.url)
        if holder is not None:
            result.duplicates.append((article, holder))
            continue
        taken[article.url] = article.id
        inserts.append(
            {
                "id": article.id,
                **_row_values(article, teaser_lengths),
                "first_seen_at": now,
                "last_changed_at": now,
                "version": 1,
            }
        )
        result.new.append(article.id)

    updates: list[dict[str, Any]] = []
    form_updates: list[dict[str, Any]] = []
    for id_, stored_hash in known.items():
        article = unique[id_]
        if article.undated:
            article = replace(article, published_at=first_dates[id_])
        if article.content_hash == stored_hash:
            result.unchanged += 1
            if id_ in stale_forms:
                form_updates.append({"b_id": id_, "b_forms": _forms(article, stored_hash, teaser_lengths)})
            continue
        updates.append({"b_id": id_, **_row_values(article, teaser_lengths), "last_changed_at": now})
        result.updated.append(id_)

    if inserts:
        conn.execute(articles.insert(), inserts)
    if updates:
        statement = (
            update(articles).where(articles.c.id == bindparam("b_id")).values(version=articles.c.version + 1)
        )
        conn.execute(statement, updates)
    if form_updates:
        forms_only = (
            update(articles).where(articles.c.id == bindparam("b_id")).values(forms=bindparam("b_forms"))
        )
        conn.execute(forms_only, form_updates)
    return result


def _to_stored(row: Any) -> StoredArticle:
    image = Image(**row.image) if row.image else None
    article = Article(
        source=row.source,
        guid=row.guid,
        url=row.url,
        title=row.title,
        published_at=row.published_at,
        updated_at=row.updated_at,
        author=row.author,
        section=row.section,
        tags=tuple(row.tags or ()),
        lead=row.lead,
        body_html=row.body_html,
        image=image,
        language=row.language,
    )
    return StoredArticle(
        id=row.id,
        article=article,
        first_seen_at=row.first_seen_at,
        last_changed_at=row.last_changed_at,
        version=row.version,
        forms=forms_from_json(row.forms, row.content_hash),
    )


def get_article(conn: Connection, article_id: str) -> StoredArticle | None:
    row = conn.execute(select(articles).where(articles.c.id == article_id)).one_or_none()
    return _to_stored(row) if row else None


def get_articles(conn: Connection, ids: Sequence[str]) -> list[StoredArticle]:
    """Articles by id, in the order asked for; unknown ids are left out."""
    found: dict[str, StoredArticle] = {}
    for chunk in _chunks(list(ids)):
        for row in conn.execute(select(articles).where(articles.c.id.in_(chunk))):
            found[row.id] = _to_stored(row)
    return [found[i] for i in ids if i in found]


def list_articles(
    conn: Connection,
    *,
    seen_since: datetime | None = None,
    sections: Sequence[str] | None = None,
    limit: int | None = None,
) -> list[StoredArticle]:
    """Newest first by publication time (ties broken by id, so the order is stable)."""
    query = select(articles).order_by(articles.c.published_at.desc(), articles.c.id)
    if seen_since is not None:
        query = query.where(articles.c.first_seen_at > seen_since)
    if sections:
        query = query.where(articles.c.section.in_(list(sections)))
    if limit is not None:
        query = query.limit(limit)
    return [_to_stored(row) for row in conn.execute(query)]


def count_articles(conn: Connection) -> dict[str, int]:
    """Article count per source."""
    rows = conn.execute(select(articles.c.source, func.count()).group_by(articles.c.source))
    return dict(rows.all())
