"""Composition is a pure function: window, history, duplicates, lead rule and order, from plain records."""

from __future__ import annotations

import importlib
import unicodedata
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit, urlunsplit

import pytest
from digest_helpers import ALGIERS, stored
from hypothesis import given, settings
from hypothesis import strategies as st

from nashra.config.digests import DigestSettings
from nashra.digest.compose import _split_canonical, canonical_url, compose, dedupe
from nashra.forms import fresh_forms
from nashra.model import Image
from nashra.store.digests import Exclusions

NOW = datetime(2026, 11, 30, 6, 0, tzinfo=UTC)
DAILY = DigestSettings(name="daily")


def _at(day: int, hour: int) -> datetime:
    return datetime(2026, 11, day, hour, 0, tzinfo=ALGIERS)


def test_nothing_new_gives_no_digest() -> None:
    assert compose([], DAILY, now=NOW) is None
    old = stored("old", published_at=_at(10, 9))  # outside the 7-day cap of "since_last"
    assert compose([old], DAILY, now=NOW) is None
    sent = stored("sent")
    assert compose([sent], DAILY, now=NOW, exclusions=Exclusions(ids=frozenset({sent.id}))) is None


def test_duplicates_by_id_url_and_normalised_title_keep_the_original() -> None:
    original = stored(
        "original",
        title="قانون الانتخابات المحلية الجديد.. هل تستعيد البلديات ثقة الناخبين؟",
        published_at=_at(24, 8),
    )
    # The demo's repost: another id, "…" instead of "..", a later date.
    same_title = stored(
        "repost",
        title="قانون الانتخابات المحلية الجديد… هل تستعيد البلديات ثقة الناخبين؟",
        published_at=_at(29, 18),
    )
    same_url = stored(
        "mirror",
        url=original.article.url.replace("news.example", "NEWS.example") + "/#top",
        title="عنوان مختلف تمامًا لنفس الصفحة",
        published_at=_at(28, 8),
    )
    other = stored("other", title="مهرجان الفيلم القصير يفتتح دورته السادسة", published_at=_at(27, 8))
    kept = dedupe([same_title, original, same_url, other, original])
    assert [s.article.guid for s in kept] == ["original", "other"]


def test_a_repost_of_an_already_mailed_story_is_not_mailed_again() -> None:
    mailed = stored("mailed", title="«المدرسة» تفتح أبوابها")
    repost = stored("repost", title="المدرسه تفتح ابوابها", published_at=_at(29, 20))
    exclusions = Exclusions(
        ids=frozenset({mailed.id}),
        urls=frozenset({mailed.article.url}),
        title_keys=frozenset({"المدرسه تفتح ابوابها"}),
    )
    assert compose([repost], DAILY, now=NOW, exclusions=exclusions) is None


def test_sections_in_configured_order_then_newest_first_with_a_lead() -> None:
    items = [
        stored("eco-old", section="اقتصاد", published_at=_at(27, 9)),
        stored("eco-new", section="اقتصاد", published_at=_at(29, 9)),
        stored("sport", section="رياضة", published_at=_at(28, 9), image=None),
        stored("pol", section="سياسة", published_at=_at(29, 21), image=None),  # newest, but no image
        stored("loose", section="", published_at=_at(28, 10)),
    ]
    digest = DigestSettings(name="d", sections=["رياضة", "اقتصاد", "سياسة", "ثقافة"])
    result = compose(items, digest, now=NOW)
    assert result is not None
    # "loose" has no section, and sections are filtered: it is not in this digest.
    assert result.lead is not None and result.lead.id == items[1].id  # newest *with an image*
    assert [(g.name, [t.id for t in g.teasers]) for g in result.sections] == [
        ("رياضة", [items[2].id]),
        ("اقتصاد", [items[0].id]),
        ("سياسة", [items[3].id]),
    ]
    assert result.article_ids == (items[1].id, items[2].id, items[0].id, items[3].id)

    everything = compose(items, DigestSettings(name="all", lead="newest"), now=NOW)
    assert everything is not None and everything.lead is not None
    assert everything.lead.id == items[3].id
    # Without configured order the section with the freshest remaining story comes first; no section last.
    assert [g.name for g in everything.sections] == ["اقتصاد", "رياضة", ""]

    no_lead = compose(items, DigestSettings(name="plain", lead="none"), now=NOW)
    assert no_lead is not None and no_lead.lead is None and len(no_lead.teasers) == 5


def test_lead_tag_and_max_items_and_hour_window() -> None:
    items = [stored(str(i), published_at=_at(29, 0) + timedelta(minutes=i)) for i in range(30)]
    tagged = stored("tagged", published_at=_at(28, 0), tags=("عاجل",))
    digest = DigestSettings(name="d", max_items=5, lead_tag="عاجل")
    result = compose([*items, tagged], digest, now=NOW)
    assert result is not None
    assert len(result.teasers) == 5
    # The newest five are chosen first; the tagged story is older, so it is not among them.
    assert result.lead is not None and result.lead.id == items[29].id
    result = compose([*items[:3], tagged], digest, now=NOW)
    assert result is not None and result.lead is not None and result.lead.id == tagged.id

    recent = DigestSettings(name="hourly", window=6)
    fresh = stored("fresh", published_at=NOW - timedelta(hours=2))
    stale = stored("stale", published_at=NOW - timedelta(hours=7))
    seen_late = stored("backfill", published_at=NOW - timedelta(hours=1), seen=NOW - timedelta(hours=9))
    result = compose([fresh, stale, seen_late], recent, now=NOW)
    assert result is not None and result.article_ids == (fresh.id,)


def test_teaser_fields_and_alt_fallback() -> None:
    with_alt = stored("a", image=Image(url="https://news.example/a.png", alt="  "))
    result = compose([with_alt], DAILY, now=NOW)
    assert result is not None and result.lead is not None
    assert result.lead.image_alt == with_alt.article.title
    assert result.lead.excerpt == with_alt.article.lead


def test_every_teaser_field_holds_its_own_value() -> None:
    """Teasers are built as plain tuples in field order: a field moved in `Teaser` shows up here."""
    item = stored(
        "fields",
        title="افتتاح ميناء Djen Djen الجديد",
        section="اقتصاد",
        image=Image(url="https://news.example/port.png", alt="رافعات الميناء"),
    )
    result = compose([item], DAILY, now=NOW)
    assert result is not None and result.lead is not None
    forms = fresh_forms(item.article, DAILY.teaser_length)
    excerpt = forms.excerpt(DAILY.teaser_length)
    assert result.lead._asdict() == {
        "id": item.id,
        "title": forms.title.plain,
        "url": item.article.url,
        "section": "اقتصاد",
        "published_at": item.article.published_at,
        "excerpt": excerpt.plain,
        "image_url": "https://news.example/port.png",
        "image_alt": "رافعات الميناء",
        "title_key": forms.title_key,
        "title_html": forms.title.html,
        "excerpt_html": excerpt.html,
        "title_isolated": forms.title.isolated,
        "excerpt_isolated": excerpt.isolated,
        "lang": "ar",
        "direction": "rtl",
        "align": "right",
    }
    assert "<bdi" in result.lead.title_html and "\u2066" in result.lead.title_isolated


def test_a_story_in_a_left_to_right_language_keeps_its_direction() -> None:
    items = [
        stored("fr", language="fr", title="Le port sec de Sétif entre en service"),
        stored("dz", language="ar-DZ", published_at=_at(28, 9)),
        stored("none", language="", published_at=_at(27, 9)),
    ]
    result = compose(items, DigestSettings(name="d", lead="none"), now=NOW)
    assert result is not None
    assert {t.id: (t.direction, t.align) for t in result.teasers} == {
        items[0].id: ("ltr", "left"),
        items[1].id: ("rtl", "right"),
        items[2].id: ("rtl", "right"),
    }


def test_schedule_is_read_in_the_newsroom_time_zone() -> None:
    from nashra.config import Settings
    from nashra.digest.schedule import digest_schedule, job_id
    from nashra.worker import next_run

    settings = Settings.model_validate(
        {"site": {"timezone": "Africa/Algiers"}, "digests": [{"name": "morning", "schedule": "30 6 * * 1-5"}]}
    )
    digest = settings.digests[0]
    # Saturday 28 November 2026, 12:00 UTC: the next weekday 06:30 in Algiers is Monday, 05:30 UTC.
    schedule = digest_schedule(settings, digest)
    fire = next_run(schedule, settings.site.zone, datetime(2026, 11, 28, 12, tzinfo=UTC))
    assert fire is not None and fire.astimezone(UTC) == datetime(2026, 11, 30, 5, 30, tzinfo=UTC)
    assert job_id(digest) == "digest:morning"


def test_each_title_and_excerpt_is_worked_out_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Deduplication and the teasers share one match key per title, and a second composition of
    the same articles (the issue sent after its preview) reuses the excerpts."""
    clean_module = importlib.import_module("nashra.text.clean")
    forms_module = importlib.import_module("nashra.forms")  # where articles without stored forms get theirs
    keyed: list[str] = []
    excerpted: list[str] = []
    real_normalize, real_excerpt = unicodedata.normalize, forms_module.excerpt_source

    class CountingUnicodedata:
        def __getattr__(self, name: str) -> object:
            return getattr(unicodedata, name)

        def normalize(self, form: str, text: str) -> str:
            if form == "NFKC":  # only match keys use NFKC
                keyed.append(text)
            return real_normalize(form, text)  # type: ignore[arg-type]

    def counting_excerpt(lead: str, body_html: str) -> str:
        excerpted.append(lead)
        return real_excerpt(lead, body_html)

    for module, name in ((clean_module, "normalize_for_match"), (forms_module, "fresh_forms")):
        getattr(getattr(module, name, None), "cache_clear", lambda: None)()  # other tests' titles
    monkeypatch.setattr(clean_module, "unicodedata", CountingUnicodedata())
    monkeypatch.setattr(forms_module, "excerpt_source", counting_excerpt)
    articles = [
        stored(f"a{i}", lead=f"مقدمة الخبر رقم {i} عن الأسواق والمزارعين هذا الأسبوع.") for i in range(6)
    ]
    digest = DigestSettings(name="d", window=48)
    now = datetime(2026, 11, 29, 12, 0, tzinfo=ALGIERS)
    for _ in range(2):
        composition = compose(articles, digest, now=now)
        assert composition is not None and len(composition.teasers) == 6
    assert sorted(keyed) == sorted(a.article.title for a in articles)
    assert sorted(excerpted) == sorted(a.article.lead for a in articles)


def _canonical_by_split(url: str) -> str:
    """`canonical_url` as first written: every URL split and joined again."""
    parts = urlsplit(url.strip())
    path = parts.path.rstrip("/") or "/"
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), path, parts.query, ""))


_URLISH = st.from_regex(
    r"[ \t]?(https?|HTTP|ftp)://[a-zA-Z0-9.\-]{0,8}(:[0-9]{0,4})?(/[a-zخبر%.;\- \t/]{0,6}){0,4}"
    r"(\?[a-z=&?/ #]{0,6})?(#[a-z/]{0,3})?[ \n]?",
    fullmatch=True,
)


@settings(max_examples=400, deadline=None)
@given(_URLISH | st.text(alphabet="htps:/wxAZ.?#&= \t\n1ب%", max_size=30))
def test_canonical_url_fast_path_matches_split_and_join(url: str) -> None:
    _split_canonical.cache_clear()  # type: ignore[attr-defined]
    try:
        expected = _canonical_by_split(url)
    except ValueError:  # what urlsplit refuses (a bad port or IPv6 host) the fast path never takes
        return
    assert canonical_url(url) == expected


def test_teasers_of_one_article_that_differ_render_their_own_blocks() -> None:
    """A teaser hashes as its article's id (cheap for a first render): two teasers of one article
    with other texts share that hash, and their template blocks must still be told apart."""
    from nashra.config import Settings
    from nashra.digest.fragments import FRAGMENTS
    from nashra.digest.render import render_digest

    FRAGMENTS.cache_clear()
    settings = Settings.model_validate({"digests": [{"name": "daily"}]})
    digest = settings.digests[0]
    first = stored("edited", title="عنوان أول للخبر", lead="مقدمة أولى للخبر.")
    second = stored("edited", title="عنوان ثان للخبر", lead="مقدمة ثانية مختلفة للخبر.")
    assert first.id == second.id
    teasers = []
    for item in (first, second):
        composition = compose([item], digest, now=NOW)
        assert composition is not None and composition.lead is not None
        teasers.append(composition.lead)
        html = render_digest(settings, digest, composition, now=NOW).html
        assert item.article.title in html and item.article.lead in html
    assert hash(teasers[0]) == hash(teasers[1]) and teasers[0] != teasers[1]
