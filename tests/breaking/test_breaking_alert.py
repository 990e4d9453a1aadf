"""The breaking-news alert mail as rendered (nashra.digest.alert): right to left at every level,
Latin and number runs isolated in every text a reader sees, one story, and the config rules."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from bidi_checks import isolates_balanced, paragraph_direction
from nashra.config import Settings
from nashra.digest.alert import ALERT_DIGEST, alert_digest, render_alert
from nashra.digest.placeholders import UNSUBSCRIBE_URL
from nashra.jobs import Unit
from nashra.model import Article, Image, StoredArticle
from nashra.pipeline import all_jobs, spread

NOW = datetime(2026, 12, 2, 8, 0, tzinfo=UTC)
SETTINGS = {"breaking": {"tags": ["عاجل"], "alert_list": "breaking"}, "site": {"name": "نشرة الواحة"}}


def _story() -> StoredArticle:
    article = Article(
        source="desk",
        guid="storm",
        url="https://nashra.example/watani/storm",
        title="عاصفة رملية تغلق الطريق الوطني رقم 1 بين الأغواط وغرداية",
        published_at=NOW,
        tags=("عاجل",),
        lead="دعت مديرية الأشغال العمومية (DTP) السائقين إلى تأجيل رحلاتهم حتى الساعة 18:00 على الأقل.",
        image=Image(url="https://nashra.example/media/storm.jpg", alt="شاحنات متوقفة على جانب الطريق"),
    )
    return StoredArticle(id=article.id, article=article, first_seen_at=NOW, last_changed_at=NOW)


def test_the_alert_is_right_to_left_at_every_level_with_its_runs_isolated() -> None:
    settings = Settings.model_validate(SETTINGS)
    digest = alert_digest(settings)
    assert digest is not None and digest.name == ALERT_DIGEST and digest.recipients == ["breaking"]

    rendered = render_alert(settings, digest, _story(), now=NOW)

    html = rendered.html
    assert html.startswith('<!doctype html><html lang="ar" dir="rtl"')
    assert re.search(r'<div [^>]*class="alert-body"[^>]*lang="ar" dir="rtl"', html)
    assert "direction:ltr" not in html
    assert re.search(r'class="alert-title" lang="ar" dir="auto" style="direction:rtl;text-align:right;', html)
    assert re.search(
        r'class="alert-excerpt" lang="ar" dir="auto" style="direction:rtl;text-align:right;', html
    )
    assert '<bdi dir="ltr">DTP</bdi>' in html and '<bdi dir="ltr">18:00</bdi>' in html
    assert not re.search(r"<(?:a|td|th|table)\b[^>]*\sdir=", html)
    assert f'href="{UNSUBSCRIBE_URL}"' in html and f'href="{rendered.archive_url}"' in html
    assert rendered.archive_url.startswith("https://nashra.example/digests/breaking/2026-12-02-")
    # The subject and every line of the text part read right to left, runs isolated.
    assert rendered.subject == "عاجل | عاصفة رملية تغلق الطريق الوطني رقم \u20661\u2069 بين الأغواط وغرداية"
    for text in (
        rendered.subject,
        *[line for line in rendered.text.splitlines() if re.search("[ء-ي]", line)],
    ):
        assert paragraph_direction(text) == "rtl", text
        assert isolates_balanced(text)
    assert "https://nashra.example/watani/storm" in rendered.text
    assert rendered.article_ids == (_story().id,)


def test_no_alert_without_a_list_or_a_rule() -> None:
    assert alert_digest(Settings.model_validate({"breaking": {"tags": ["عاجل"]}})) is None
    assert alert_digest(Settings.model_validate({"breaking": {"alert_list": "breaking"}})) is None


def test_a_digest_named_like_the_alert_is_refused_with_the_config() -> None:
    with pytest.raises(ValueError, match="is the breaking-news alert's"):
        Settings.model_validate({**SETTINGS, "digests": [{"name": ALERT_DIGEST}]})


def test_a_queue_runs_the_alert_after_an_ingest_only_when_one_is_configured() -> None:
    with_alert = Settings.model_validate(SETTINGS)
    without = Settings.model_validate({"breaking": {"tags": ["عاجل"]}})

    assert spread(Unit("alerts"), with_alert) == [Unit("alerts", ALERT_DIGEST)]
    assert spread(Unit("alerts"), without) == []
    assert [job.id for job in all_jobs(with_alert) if job.id == "alerts"] == ["alerts"]
    assert not [job for job in all_jobs(without) if job.id == "alerts"]
