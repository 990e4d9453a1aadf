"""Shared helpers of the social tests (fixtures live in conftest.py): articles of our own, a fake clock."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from nashra.model import Article, Image, StoredArticle, article_id
from nashra.social.protocol import Timing

NOW = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)


def make_article(
    guid: str = "a1",
    *,
    title: str = "مهرجان الشعر في الواحات يستقبل ضيوفه من تونس والمغرب",
    lead: str = "افتتحت الدورة الثانية عشرة لمهرجان الشعر الشعبي في الواحات مساء أمس بحضور شعراء من عشر ولايات.",
    tags: tuple[str, ...] = ("مهرجان الشعر", "الواحات", "ثقافة"),
    url: str | None = None,
    image: Image | None = None,
    section: str = "ثقافة",
    published_at: datetime = NOW - timedelta(hours=1),
    version: int = 1,
) -> StoredArticle:
    article = Article(
        source="test",
        guid=guid,
        url=url or f"https://news.example.org/culture/{guid}",
        title=title,
        published_at=published_at,
        section=section,
        tags=tags,
        lead=lead,
        image=image,
    )
    return StoredArticle(
        id=article_id("test", guid), article=article, first_seen_at=NOW, last_changed_at=NOW, version=version
    )


@dataclass
class FakeTime:
    """A clock the test moves by hand (the posting loop never sleeps)."""

    current: datetime

    def now(self) -> datetime:
        return self.current

    @property
    def timing(self) -> Timing:
        return Timing(now=self.now)


def fake_jwt(did: str, *, lifetime: timedelta = timedelta(hours=2)) -> str:
    """An unsigned JWT with the claims the atproto client reads (it never verifies signatures)."""

    def part(data: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    exp = int((datetime.now(UTC) + lifetime).timestamp())
    claims = {"sub": did, "exp": exp, "iat": exp - 7200, "scope": "com.atproto.access"}
    return f"{part({'alg': 'HS256', 'typ': 'JWT'})}.{part(claims)}.c2ln"
