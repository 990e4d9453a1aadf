"""Feeds built from the store (SQLite and PostgreSQL) read back as what was ingested, and validate."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import unquote

import feedparser
import lxml.etree
import pytest
from feeds_helpers import BASE, INGESTED_AT, article, feed_files, sample_articles, store_articles

from nashra.feeds import build as build_module
from nashra.feeds import build_feeds
from nashra.model import Article, Image

# Which stories (by number) each feed lists, newest first: written out by hand, not computed.
EXPECTED_FEEDS = {
    "feeds": [8, 7, 6, 5, 4, 3, 2, 1],
    "feeds/sections/سياسة": [7, 3, 1],
    "feeds/sections/اقتصاد": [5, 2],
    "feeds/sections/ثقافة": [6, 4],
    "feeds/tags/الانتخابات-المحلية": [7, 1],
    "feeds/tags/البرلمان": [3, 1],
    "feeds/tags/الموانئ": [5, 2],
    "feeds/tags/التجارة-الخارجية": [5, 2],
    "feeds/tags/مهرجان-الشعر": [6, 4],  # "مهرجان الشِّعر" (with harakat) and "مهرجان الشعر": one feed
    "feeds/tags/الواحات": [4],
    "feeds/tags/عاجل": [8],
}
FORMATS = ("rss.xml", "atom.xml", "feed.json")


def _number(a: Article) -> int:
    return int(a.guid.removeprefix("story-"))


def _categories(a: Article) -> list[str]:
    return [c for c in (a.section, *a.tags) if c]


def _utc(moment: datetime) -> tuple[int, ...]:
    return tuple(moment.astimezone(UTC).timetuple())[:6]


@pytest.fixture
def built(make_runtime):  # type: ignore[no-untyped-def]
    runtime = make_runtime("")
    articles = sample_articles()
    store_articles(runtime, articles)
    result = build_feeds(runtime)
    return runtime, articles, result


def test_builds_site_section_and_tag_feeds_in_three_formats(built) -> None:  # type: ignore[no-untyped-def]
    runtime, _articles, result = built
    files = feed_files(runtime.settings.public_dir)
    assert set(files) == {f"{folder}/{name}" for folder in EXPECTED_FEEDS for name in FORMATS}
    assert sorted(result.written) == sorted(files)
    assert result.feeds == len(EXPECTED_FEEDS)


@pytest.mark.sqlite_only
def test_feedparser_reads_rss_and_atom_back_as_ingested(built) -> None:  # type: ignore[no-untyped-def]
    runtime, articles, _ = built
    by_guid = {f"urn:nashra:{a.id}": a for a in articles}
    public = runtime.settings.public_dir
    for folder, numbers in EXPECTED_FEEDS.items():
        for name in ("rss.xml", "atom.xml"):
            parsed = feedparser.parse((public / folder / name).read_bytes())
            assert parsed.bozo == 0, (folder, name, parsed.get("bozo_exception"))
            assert parsed.version == ("rss20" if name == "rss.xml" else "atom10")
            assert parsed.feed.language == "ar"
            assert [_number(by_guid[e.id]) for e in parsed.entries] == numbers
            for entry in parsed.entries:
                a = by_guid[entry.id]
                assert entry.title == a.title  # Arabic, quotes and "&" byte for byte
                assert unquote(entry.link) == a.url
                assert tuple(entry.published_parsed)[:6] == _utc(a.published_at)
                assert tuple(entry.updated_parsed)[:6] == _utc(a.updated_at or a.published_at)
                if name == "rss.xml":
                    assert entry.guidislink is False
                assert [t.term for t in entry.tags] == _categories(a)
                assert entry.author == a.author
            links = {link.rel: link.href for link in parsed.feed.links}
            assert unquote(links["self"]) == f"https://nashra.example/{folder}/{name}"
            assert links["alternate"] == "https://nashra.example/"
            assert parsed.feed.link == "https://nashra.example/"  # RSS <link>: the alternate, added last


def test_feed_dates_carry_the_zone_and_follow_content(built) -> None:  # type: ignore[no-untyped-def]
    runtime, _articles, _ = built
    public = runtime.settings.public_dir
    rss = (public / "feeds/rss.xml").read_text(encoding="utf-8")
    assert "<pubDate>Fri, 20 Nov 2026 09:00:00 +0100</pubDate>" in rss  # story 1, published 08:00+01:00 + 1 h
    # Feed-level date: the latest change among its items (here the moment they were ingested).
    assert "<lastBuildDate>Sat, 28 Nov 2026 07:00:00 +0100</lastBuildDate>" in rss
    atom = lxml.etree.parse(str(public / "feeds/sections/ثقافة/atom.xml"))
    updated = atom.findtext("{http://www.w3.org/2005/Atom}updated")
    assert updated == INGESTED_AT.astimezone(BASE.tzinfo).isoformat()


@pytest.mark.sqlite_only
def test_items_carry_summary_content_and_image(built) -> None:  # type: ignore[no-untyped-def]
    runtime, articles, _ = built
    public = runtime.settings.public_dir
    by_guid = {f"urn:nashra:{a.id}": a for a in articles}
    rss = feedparser.parse((public / "feeds/rss.xml").read_bytes())
    entries = {_number(by_guid[e.id]): e for e in rss.entries}
    one = entries[1]
    assert one.enclosures == [
        {"href": "https://news.example.org/media/bridge.jpg", "length": "48213", "type": "image/jpeg"}
    ]
    assert one.media_content[0]["url"] == "https://news.example.org/media/bridge.jpg"
    content = one.content[0].value
    assert content.startswith("<figure><img ")  # the lead image first, as Atom readers drop enclosures
    assert 'src="https://news.example.org/media/bridge.jpg"' in content.split("</figure>")[0]
    assert "<figcaption>الجسر كما يبدو من الضفة الشرقية</figcaption></figure>" in content
    assert 'href="https://news.example.org/mashari3"' in content  # relative link made absolute
    assert one.summary.startswith("افتتحت البلدية صباح اليوم الجسر الجديد رقم 1")
    assert entries[2].summary == "ميناء جاف جديد يدخل الخدمة هذا الأسبوع."  # the lead wins
    four = entries[4]
    assert (
        "enclosures" not in four or four.enclosures == []
    )  # length unknown: no enclosure, media:content only
    assert four.media_content[0]["url"] == "https://news.example.org/media/poetry.png"
    assert (
        four.link
        == "https://news.example.org/%D8%AB%D9%82%D8%A7%D9%81%D8%A9/%D9%85%D9%87%D8%B1%D8%AC%D8%A7%D9%86-%D8%A7%D9%84%D8%B4%D8%B9%D8%B1"
    )
    atom = feedparser.parse((public / "feeds/atom.xml").read_bytes())
    atom_one = next(e for e in atom.entries if e.id == one.id)
    assert atom_one.media_content[0]["url"] == "https://news.example.org/media/bridge.jpg"
    assert [link.rel for link in atom_one.links] == ["alternate"]  # no stray enclosure-as-alternate (#135)


@pytest.mark.sqlite_only
def test_atom_validates_against_rfc4287_schema(built, atom_schema) -> None:  # type: ignore[no-untyped-def]
    runtime, _, _ = built
    for folder in EXPECTED_FEEDS:
        document = lxml.etree.parse(str(runtime.settings.public_dir / folder / "atom.xml"))
        assert atom_schema.validate(document), (folder, atom_schema.error_log)
    # The validator can fail: an entry without its required id is rejected.
    document = lxml.etree.parse(str(runtime.settings.public_dir / "feeds/atom.xml"))
    entry = document.find("{http://www.w3.org/2005/Atom}entry")
    entry.remove(entry.find("{http://www.w3.org/2005/Atom}id"))
    assert not atom_schema.validate(document)


@pytest.mark.sqlite_only
def test_json_feed_validates_and_reads_back_as_ingested(built, jsonfeed_validator) -> None:  # type: ignore[no-untyped-def]
    runtime, articles, _ = built
    by_guid = {f"urn:nashra:{a.id}": a for a in articles}
    for folder, numbers in EXPECTED_FEEDS.items():
        path = runtime.settings.public_dir / folder / "feed.json"
        feed = json.loads(path.read_bytes())
        errors = [e.message for e in jsonfeed_validator.iter_errors(feed)]
        assert errors == [], (folder, errors)
        assert feed["version"] == "https://jsonfeed.org/version/1.1"
        assert unquote(feed["feed_url"]) == f"https://nashra.example/{folder}/feed.json"
        assert feed["language"] == "ar"
        assert [_number(by_guid[item["id"]]) for item in feed["items"]] == numbers
        for item in feed["items"]:
            a = by_guid[item["id"]]
            assert item.get("content_html") or item.get("content_text")
            assert item["title"] == a.title
            assert unquote(item["url"]) == a.url
            assert datetime.fromisoformat(item["date_published"]) == a.published_at
            assert datetime.fromisoformat(item["date_modified"]) == (a.updated_at or a.published_at)
            assert item["tags"] == _categories(a)
            assert item["authors"] == [{"name": a.author}]
    bad = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "x",
        "items": [{"id": "1", "title": "no content"}],
    }
    assert list(jsonfeed_validator.iter_errors(bad))  # the schema can fail


def test_second_build_rewrites_nothing(built) -> None:  # type: ignore[no-untyped-def]
    runtime, _, _ = built
    files = feed_files(runtime.settings.public_dir)
    before = {rel: (p.read_bytes(), p.stat().st_mtime_ns) for rel, p in files.items()}
    again = build_feeds(runtime)
    assert again.written == [] and again.removed == []
    assert again.unchanged == len(files)
    after = {
        rel: (p.read_bytes(), p.stat().st_mtime_ns)
        for rel, p in feed_files(runtime.settings.public_dir).items()
    }
    assert after == before


def test_editing_one_article_changes_only_its_feeds(built) -> None:  # type: ignore[no-untyped-def]
    runtime, articles, _ = built
    files = feed_files(runtime.settings.public_dir)
    before = {rel: (p.read_bytes(), p.stat().st_mtime_ns) for rel, p in files.items()}
    edited = next(a for a in articles if a.guid == "story-2")
    store_articles(
        runtime,
        [
            Article(
                **{
                    **{f: getattr(edited, f) for f in edited.__slots__},
                    "title": "ميناء جاف جديد: العنوان بعد التصحيح",
                }
            )
        ],
        now=INGESTED_AT + timedelta(hours=3),
    )
    result = build_feeds(runtime)
    touched = {"feeds", "feeds/sections/اقتصاد", "feeds/tags/الموانئ", "feeds/tags/التجارة-الخارجية"}
    assert sorted(result.written) == sorted(f"{folder}/{name}" for folder in touched for name in FORMATS)
    for rel, path in feed_files(runtime.settings.public_dir).items():
        if rel.rsplit("/", 1)[0] in touched:
            assert path.read_bytes() != before[rel][0]
        else:
            assert (path.read_bytes(), path.stat().st_mtime_ns) == before[rel]
    parsed = feedparser.parse((runtime.settings.public_dir / "feeds/sections/اقتصاد/atom.xml").read_bytes())
    assert parsed.entries[1].title == "ميناء جاف جديد: العنوان بعد التصحيح"
    assert parsed.entries[1].id == f"urn:nashra:{edited.id}"  # the id survives the edit


def test_feeds_of_a_tag_no_article_carries_are_removed(built) -> None:  # type: ignore[no-untyped-def]
    runtime, articles, _ = built
    lone = next(a for a in articles if a.guid == "story-8")
    store_articles(
        runtime,
        [Article(**{**{f: getattr(lone, f) for f in lone.__slots__}, "tags": ("متابعة",)})],
        now=INGESTED_AT + timedelta(hours=1),
    )
    result = build_feeds(runtime)
    assert sorted(result.removed) == sorted(f"feeds/tags/عاجل/{name}" for name in FORMATS)
    public: Path = runtime.settings.public_dir
    assert not (public / "feeds/tags/عاجل").exists()
    assert (public / "feeds/tags/متابعة/rss.xml").is_file()


@pytest.mark.sqlite_only
def test_max_items_and_teaser_only_from_config(make_runtime, atom_schema, jsonfeed_validator) -> None:  # type: ignore[no-untyped-def]
    runtime = make_runtime("[feeds]\nmax_items = 2\nfull_content = false\nper_tag = false\n")
    store_articles(runtime, sample_articles())
    build_feeds(runtime)
    public = runtime.settings.public_dir
    assert {rel.rsplit("/", 1)[0] for rel in feed_files(public)} == {
        "feeds",
        "feeds/sections/سياسة",
        "feeds/sections/اقتصاد",
        "feeds/sections/ثقافة",
    }
    rss = feedparser.parse((public / "feeds/rss.xml").read_bytes())
    assert len(rss.entries) == 2
    assert "content" not in rss.entries[0]
    atom_path = public / "feeds/sections/سياسة/atom.xml"
    assert atom_schema.validate(lxml.etree.parse(str(atom_path)))
    assert b"<content" not in atom_path.read_bytes()
    feed = json.loads((public / "feeds/feed.json").read_bytes())
    assert not list(jsonfeed_validator.iter_errors(feed))
    assert [set(item) & {"content_html", "content_text"} for item in feed["items"]] == [{"content_text"}] * 2


def test_empty_archive_builds_and_deletes_nothing(make_runtime) -> None:  # type: ignore[no-untyped-def]
    runtime = make_runtime("")
    keep = runtime.settings.public_dir / "feeds/rss.xml"
    keep.parent.mkdir(parents=True)
    keep.write_bytes(b"<rss/>")
    result = build_feeds(runtime)
    assert result.feeds == 0 and result.written == [] and result.removed == []
    assert keep.read_bytes() == b"<rss/>"


def test_ties_in_publication_time_are_ordered_by_id(make_runtime) -> None:  # type: ignore[no-untyped-def]
    runtime = make_runtime("")
    twins = [article(n, section="سياسة", tags=[]) for n in (1, 2)]
    same_time = [Article(**{**{f: getattr(a, f) for f in a.__slots__}, "published_at": BASE}) for a in twins]
    store_articles(runtime, same_time)
    build_feeds(runtime)
    feed = json.loads((runtime.settings.public_dir / "feeds/feed.json").read_bytes())
    assert [item["id"] for item in feed["items"]] == sorted(f"urn:nashra:{a.id}" for a in same_time)


@pytest.mark.sqlite_only
def test_rebuilds_reuse_prepared_items_until_an_article_changes(
    built, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    runtime, articles, _ = built
    prepared: list[str] = []
    real = build_module.prepare_item

    def counting(stored, settings):  # type: ignore[no-untyped-def]
        prepared.append(stored.article.guid)
        return real(stored, settings)

    monkeypatch.setattr(build_module, "prepare_item", counting)
    build_feeds(runtime)
    assert prepared == []  # the worker's usual rebuild sanitises nothing again
    edited = next(a for a in articles if a.guid == "story-5")
    store_articles(
        runtime,
        [Article(**{**{f: getattr(edited, f) for f in edited.__slots__}, "lead": "مقدمة جديدة"})],
        now=INGESTED_AT + timedelta(hours=2),
    )
    build_feeds(runtime)
    assert prepared == ["story-5"]
    json_feed = json.loads((runtime.settings.public_dir / "feeds/sections/اقتصاد/feed.json").read_bytes())
    assert json_feed["items"][0]["summary"] == "مقدمة جديدة"


@pytest.mark.sqlite_only
def test_full_content_opens_with_the_lead_once(make_runtime) -> None:  # type: ignore[no-untyped-def]
    runtime = make_runtime("[feeds]\nper_section = false\nper_tag = false\n")
    lead = "مقدمة المحرر: <الجسر> & الطريق\u200b الجديد"
    body_a = "<p>نص الخبر الأول يبدأ بعد المقدمة ويشرح تفاصيل الأشغال في الجسر الجديد.</p>"
    # A WordPress body that already opens with the excerpt (as WordPress builds one): no second copy.
    lead_b = "افتتحت البلدية صباح اليوم الجسر الجديد بعد أشهر من الأشغال […]"
    body_b = "<p>افتتحت البلدية صباح اليوم الجسر الجديد بعد أشهر من الأشغال، وسط حضور كبير.</p><p>ثانيا.</p>"
    store_articles(runtime, [article(1, section="", tags=[], lead=lead, body=body_a)])
    store_articles(runtime, [article(2, section="", tags=[], lead=lead_b, body=body_b)])
    build_feeds(runtime)
    public = runtime.settings.public_dir
    expected = "<p>مقدمة المحرر: &lt;الجسر&gt; &amp; الطريق الجديد</p>" + body_a
    rss = feedparser.parse((public / "feeds/rss.xml").read_bytes())
    atom = feedparser.parse((public / "feeds/atom.xml").read_bytes())
    feed = json.loads((public / "feeds/feed.json").read_bytes())
    for contents in (
        {e.link: e.content[0].value for e in rss.entries},
        {e.link: e.content[0].value for e in atom.entries},
        {item["url"]: item["content_html"] for item in feed["items"]},
    ):
        assert contents["https://news.example.org/1"] == expected
        assert contents["https://news.example.org/2"] == body_b


@pytest.mark.sqlite_only
def test_images_only_from_absolute_http_urls(make_runtime) -> None:  # type: ignore[no-untyped-def]
    runtime = make_runtime("[feeds]\nper_section = false\nper_tag = false\n")
    body = '<p>نص الخبر مع صورة نسبية <img src="media/a.jpg" alt="أ"> وأخرى <img src="data:image/png;base64,AA"></p>'
    store_articles(
        runtime,
        [
            article(1, section="", tags=[], body=body, image=Image(url="data:image/png;base64,AAAA")),
            article(2, section="", tags=[], body=body, image=Image(url="//cdn.example.org/b.jpg")),
        ],
    )
    build_feeds(runtime)
    public = runtime.settings.public_dir
    rss = feedparser.parse((public / "feeds/rss.xml").read_bytes())
    entries = {e.link: e for e in rss.entries}
    one, two = entries["https://news.example.org/1"], entries["https://news.example.org/2"]
    assert "media_content" not in one
    content = one.content[0].value  # feedparser re-serialises: compare the parts, not the bytes
    assert content.startswith("<p>") and content.count("<img") == 1 and "data:" not in content
    assert 'src="https://news.example.org/media/a.jpg"' in content
    assert two.media_content[0]["url"] == "https://cdn.example.org/b.jpg"
