"""Digest test helpers: articles as the store returns them, the demo "now" and a digest config.

A uniquely named module (not conftest) so `from digest_helpers import ...` can never pick up
another area's conftest when the whole suite runs.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

from nashra.model import Article, Image, StoredArticle

ALGIERS = timezone(timedelta(hours=1))
# The demo articles are dated 24–29 November 2026; "now" is the next morning in Algiers.
DEMO_NOW = datetime(2026, 11, 30, 6, 0, tzinfo=UTC)

DIGEST_TOML = """
[site]
name = "نشرة الواحة"
locale = "ar_DZ"
timezone = "Africa/Algiers"

[paths]
public = "public"

[[digests]]
name = "daily"
footer_address = "نشرة الواحة، 12 شارع العربي بن مهيدي، الجزائر العاصمة"
footer_legal = "© 2026 نشرة الواحة. يمكنك إلغاء اشتراكك في أي وقت."
"""


def stored(guid: str, *, seen: datetime | None = None, **changes: object) -> StoredArticle:
    """An article as the store would hand it to compose."""
    base = Article(
        source="wire",
        guid=guid,
        url=f"https://news.example/a/{guid}",
        title=f"عنوان الخبر {guid} عن موسم الحصاد في الهضاب العليا",
        published_at=datetime(2026, 11, 29, 9, 0, tzinfo=ALGIERS),
        section="اقتصاد",
        lead="مقدمة الخبر تشرح ما حدث في الأسواق هذا الأسبوع وما ينتظره المزارعون من الموسم المقبل.",
        body_html="<p>نص الخبر.</p>",
        image=Image(url=f"https://news.example/i/{guid}.png", alt="صورة من السوق"),
    )
    article = replace(base, **changes)  # type: ignore[arg-type]
    first_seen = seen or article.published_at
    return StoredArticle(id=article.id, article=article, first_seen_at=first_seen, last_changed_at=first_seen)
