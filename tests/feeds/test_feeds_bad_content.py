"""Garbage in a source never produces an invalid feed: it is cleaned, and what was cleaned is logged."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import feedparser
import lxml.etree
from feeds_helpers import BASE, article, feed_files, store_articles

from nashra.config.loader import parse_settings
from nashra.feeds import build_feeds, build_from_articles
from nashra.model import Article, StoredArticle

BROKEN_BODY = (
    "<p>فقرة أولى <b>غير مغلقة<p>فقرة\x0b ثانية\x08 فيها <i>وسوم <b>متداخلة</i> خطأً</b>"
    "<script>alert(1)</script><img src=/x.png onerror=alert(1)><div><table><td>خلية يتيمة"
)


def _bad_articles() -> list[Article]:
    return [
        article(
            1,
            section="\u200fسياسة",
            tags=["\u202bعاجل\u202c", "انتخابات\x1b"],
            title="\u202eعنوان\x1b فيه\u2066 تحكم\u2069 ثنائي الاتجاه\ufffe\x07",
            lead="مقدمة\x1b فيها محرف\x0c تحكم",
            body=BROKEN_BODY,
        ),
        article(
            2, section="اقتصاد", tags=[], title="\u200f\u202a\x1b", body="<p>نص قصير"
        ),  # nothing left of the title
    ]


def _check_all(public: Path, atom_schema, jsonfeed_validator) -> None:  # type: ignore[no-untyped-def]
    files = feed_files(public)
    assert files
    for rel, path in files.items():
        if rel.endswith(".xml"):
            parsed = feedparser.parse(path.read_bytes())
            assert parsed.bozo == 0, (rel, parsed.get("bozo_exception"))
            if rel.endswith("atom.xml"):
                assert atom_schema.validate(lxml.etree.parse(str(path))), (rel, atom_schema.error_log)
        else:
            assert not list(jsonfeed_validator.iter_errors(json.loads(path.read_bytes()))), rel


def test_bad_content_in_the_store_still_gives_valid_feeds(
    make_runtime, atom_schema, jsonfeed_validator, feed_logs
) -> None:  # type: ignore[no-untyped-def]
    runtime = make_runtime("")
    articles = _bad_articles()
    store_articles(runtime, articles)
    build_feeds(runtime)
    public = runtime.settings.public_dir
    _check_all(public, atom_schema, jsonfeed_validator)
    assert {rel.rsplit("/", 1)[0] for rel in feed_files(public)} == {
        "feeds",
        "feeds/sections/سياسة",
        "feeds/sections/اقتصاد",
        "feeds/tags/عاجل",
        "feeds/tags/انتخابات",
    }
    atom = feedparser.parse((public / "feeds/atom.xml").read_bytes())
    by_id = {e.id: e for e in atom.entries}
    first = by_id[f"urn:nashra:{articles[0].id}"]
    assert first.title == "عنوان فيه تحكم ثنائي الاتجاه"
    assert [t.term for t in first.tags] == ["سياسة", "عاجل", "انتخابات"]
    assert first.summary == "مقدمة فيها محرف تحكم"
    content = first.content[0].value
    assert "<script" not in content and "onerror" not in content and "alert(1)" not in content
    assert 'src="https://news.example.org/x.png"' in content
    assert "خلية يتيمة" in content
    # Missing updated date: the published date stands in, in every format.
    assert first.updated_parsed == first.published_parsed
    second = by_id[f"urn:nashra:{articles[1].id}"]
    assert second.title == "نص قصير"  # empty title replaced by the start of the teaser
    cleaned = {
        r.__dict__["article"]: r.__dict__["removed"] for r in feed_logs if r.getMessage() == "feeds.cleaned"
    }
    assert cleaned[articles[0].id] == "body:1,lead:1,section:1,tags:3,title:6"
    assert cleaned[articles[1].id] == "title:3,title.empty:1"


def test_nul_and_surrogates_never_reach_lxml(tmp_path: Path, atom_schema, jsonfeed_validator) -> None:  # type: ignore[no-untyped-def]
    """NUL cannot even be stored in PostgreSQL text, so this goes through the in-memory build."""
    settings = parse_settings("", origin="test", base_dir=tmp_path)
    bad = article(
        1,
        section="ثقافة",
        tags=["\x00وسم"],
        title="عنوان\x00 مع\ud800 محارف\ufffe\uffff باطلة",
        body="<p>\x00نص\ud800 الجسم</p>",
    )
    stored = StoredArticle(id=bad.id, article=bad, first_seen_at=BASE, last_changed_at=BASE)
    result = build_from_articles([stored], settings, tmp_path / "out")
    assert result.feeds == 3
    _check_all(tmp_path / "out", atom_schema, jsonfeed_validator)
    parsed = feedparser.parse((tmp_path / "out/feeds/rss.xml").read_bytes())
    assert parsed.entries[0].title == "عنوان مع محارف باطلة"
    assert [t.term for t in parsed.entries[0].tags] == ["ثقافة", "وسم"]
    assert (
        tuple(parsed.entries[0].published_parsed)[:6]
        == tuple(bad.published_at.astimezone(UTC).timetuple())[:6]
    )
    assert (
        datetime.fromisoformat(
            json.loads((tmp_path / "out/feeds/feed.json").read_bytes())["items"][0]["date_modified"]
        )
        == bad.published_at
    )
