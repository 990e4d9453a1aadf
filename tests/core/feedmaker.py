"""Small builders for the RSS documents and WordPress payloads the source tests serve."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from email.utils import format_datetime
from xml.sax.saxutils import escape

ALGIERS = timezone(timedelta(hours=1))
START = datetime(2026, 11, 20, 8, 0, tzinfo=ALGIERS)


def rss_item(n: int, *, title: str | None = None, body: str | None = None, description: bool = True) -> str:
    """One item; `description=False` sends only content:encoded, as many CMS feeds do."""
    published = format_datetime(START + timedelta(hours=n))
    title = title or f"الحكومة تعرض مشروع قانون المالية رقم {n} على البرلمان"
    body = body or f"<p>ناقش النواب اليوم بنود المشروع رقم {n} وسط جدل حول الضرائب.</p>"
    summary = f"<description>{escape('ملخص الخبر رقم ' + str(n))}</description>" if description else ""
    return f"""<item>
  <title>{escape(title)}</title>
  <link>https://news.example/politics/{n}</link>
  <guid isPermaLink="false">news-{n}</guid>
  <pubDate>{published}</pubDate>
  <dc:creator>سليمة بن عيسى</dc:creator>
  <category>سياسة</category>
  <category>البرلمان</category>
  {summary}
  <content:encoded>{escape(body)}</content:encoded>
  <enclosure url="https://news.example/img/{n}.jpg" length="4096" type="image/jpeg"/>
</item>"""


def rss(items: list[str]) -> str:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel><title>أخبار تجريبية</title><link>https://news.example/</link><description>اختبار</description>
<language>ar</language>
{"".join(items)}
</channel></rss>"""


def wp_post(n: int, *, title: str | None = None, modified: str | None = None) -> dict[str, object]:
    date = (START + timedelta(hours=n)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")
    return {
        "id": 1000 + n,
        "date_gmt": date,
        "modified_gmt": modified or date,
        "link": f"https://wp.example/?p={1000 + n}",
        "title": {"rendered": title or f"مهرجان المسرح يفتتح دورته &#8211; {n}"},
        "excerpt": {"rendered": f"<p>افتتح المهرجان دورته رقم {n} بعرض جديد.</p>"},
        "content": {"rendered": f"<p>قدّمت الفرقة عرضها رقم {n} أمام جمهور غفير.</p>"},
        "_embedded": {
            "author": [{"name": "كريم زروقي"}],
            "wp:featuredmedia": [
                {
                    "source_url": f"https://wp.example/media/{n}.jpg",
                    "alt_text": "خشبة المسرح",
                    "caption": {"rendered": "<p>من العرض الافتتاحي</p>"},
                    "mime_type": "image/jpeg",
                    "media_details": {"filesize": 52000},
                }
            ],
            "wp:term": [
                [{"taxonomy": "category", "name": "ثقافة"}],
                [{"taxonomy": "post_tag", "name": "المسرح"}, {"taxonomy": "post_tag", "name": "مهرجانات"}],
            ],
        },
    }
