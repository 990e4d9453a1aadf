"""Breaking news (issue #17): an urgent story ingested by the worker goes to every channel at once,
past spacing and quiet hours, with the prefix, and is mailed as an alert to its list, within the
ingest that saw it; an ordinary story ingested with it waits for its spacing and quiet hours.
Real parts: the worker's own ingest job and followers, a folder source, the file channel, the
webhook channel against an HTTP server on 127.0.0.1, and an SMTP server on 127.0.0.1."""

from __future__ import annotations

import email
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email import policy
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from pytest_httpserver import HTTPServer

from mail.mailkit import SmtpServer, populate
from nashra.breaking import is_breaking, is_urgent
from nashra.config.breaking import BreakingSettings
from nashra.ingest import ingest
from nashra.jobs import Every, Job, Unit
from nashra.mail.alerts import alerts_stage
from nashra.model import Article, article_id
from nashra.pipeline import followers_of_ingest
from nashra.runtime import Runtime
from nashra.social.stage import social_stage
from nashra.store import posts
from nashra.worker import Presence, _run_job

URGENT_TITLE = "عاجل: زلزال بقوة 5.2 درجات يضرب ولاية بجاية دون تسجيل خسائر بشرية"
NORMAL_TITLE = "معرض الكتاب في قسنطينة يفتح أبوابه لدور النشر الشابة"


def _story(folder: Path, name: str, title: str, tags: list[str], minutes_ago: int) -> None:
    published = (datetime.now(UTC) - timedelta(minutes=minutes_ago)).isoformat(timespec="seconds")
    folder.joinpath(f"{name}.md").write_text(
        f'---\nid: {name}\ntitle: "{title}"\ndate: {published}\nsection: وطني\n'
        f"keywords: {json.dumps(tags, ensure_ascii=False)}\n"
        'lead: "أفادت مصالح الرصد بأن الهزة شعر بها سكان عدة بلديات، فيما تواصل فرق الحماية المدنية معاينة المباني."\n'
        f"---\n\nنص الخبر الكامل عن {title}.\n",
        encoding="utf-8",
    )


def _window_around_now(zone: str) -> str:
    local = datetime.now(ZoneInfo(zone))
    start, end = local - timedelta(hours=1), local + timedelta(hours=1)
    return f"{start:%H:%M}-{end:%H:%M}"


@pytest.mark.sqlite_only
def test_an_urgent_story_jumps_spacing_and_quiet_hours_and_is_alerted_within_one_ingest(
    make_runtime: Callable[[str], Runtime],
    smtp_server: SmtpServer,
    httpserver: HTTPServer,
    tmp_path: Path,
) -> None:
    stories = tmp_path / "stories"
    stories.mkdir()
    _story(stories, "book-fair", NORMAL_TITLE, ["ثقافة"], minutes_ago=12)
    _story(stories, "quake", URGENT_TITLE, ["زلازل", "عاجل"], minutes_ago=5)
    httpserver.expect_request("/hooks/desk", method="POST").respond_with_data("ok")
    runtime = make_runtime(
        smtp_server.toml()
        + f'\n[[sources]]\ntype = "folder"\nname = "desk"\npath = "{stories}"\n'
        + '\n[breaking]\ntags = ["عاجل"]\nprefix = "عاجل | "\nalert_list = "breaking"\n'
        + f'\n[[channels]]\ntype = "file"\nname = "outbox"\nquiet_hours = "{_window_around_now("Africa/Algiers")}"\n'
        + f'\n[[channels]]\ntype = "webhook"\nname = "desk"\nurl = "{httpserver.url_for("/hooks/desk")}"\n'
        + "min_spacing_minutes = 60\n"
    )
    populate(runtime, ["samir@example.com", "leila@example.org"], list_name="breaking")
    populate(runtime, ["karim@example.net"])  # the default list gets no alert
    job = Job("ingest", Every(minutes=10), ingest, Unit("ingest"))

    _run_job(runtime, job, followers_of_ingest(), Presence(runtime))

    # Every channel posted the urgent story, with the prefix, and held the ordinary one.
    quake = article_id("desk", "quake")
    with runtime.store.connect() as conn:
        recorded = posts.list_records(conn)
    assert {(r.channel, r.article_id, r.status) for r in recorded} == {
        ("outbox", quake, "posted"),
        ("desk", quake, "posted"),
    }
    for record in recorded:
        assert record.text.lstrip("\u200f").startswith("عاجل | عاجل: زلزال")
    [hook] = [request.get_data(as_text=True) for request, _ in httpserver.log]
    assert "عاجل | عاجل: زلزال" in json.loads(hook)["text"]

    # One alert per subscriber of the alert list, none to anybody else.
    assert smtp_server.handler.copies() == {"samir@example.com": 1, "leila@example.org": 1}
    message = email.message_from_bytes(smtp_server.handler.messages[0].content, policy=policy.default)
    assert message["Subject"].startswith("عاجل | عاجل: زلزال بقوة")
    assert "5.2" in message["Subject"]
    html = message.get_body(("html",)).get_content()
    text = message.get_body(("plain",)).get_content()
    assert '<html lang="ar" dir="rtl"' in html and "زلزال" in html
    assert "https://" in text and "إلغاء الاشتراك" in text
    assert message["List-Unsubscribe"]

    # The next ingest finds nothing new: nothing is posted or mailed twice, and the ordinary story
    # still waits (quiet hours on one channel, spacing on the other).
    _run_job(runtime, job, followers_of_ingest(), Presence(runtime))
    alerts_stage(runtime)
    report = social_stage(runtime)
    assert report.counts.get("posted", 0) == 0
    assert len(smtp_server.handler.messages) == 2
    with runtime.store.connect() as conn:
        assert len(posts.list_records(conn)) == 2


def _article(**fields: object) -> Article:
    values: dict[str, object] = {
        "source": "wire",
        "guid": "g",
        "url": "https://news.example/a",
        "title": "خبر عادي",
        "published_at": datetime(2026, 12, 2, 8, 0, tzinfo=UTC),
    }
    return Article(**(values | fields))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("rules", "fields", "urgent"),
    [
        ({"tags": ["عاجل"]}, {"tags": ("#عَاجِل", "اقتصاد")}, True),
        ({"tags": ["عاجل"]}, {"tags": ("عاجلة",)}, False),
        ({"sections": ["عاجل"]}, {"section": "عاجل"}, True),
        ({"sections": ["عاجل"]}, {"section": ""}, False),
        ({"title_words": ["عاجل"]}, {"title": "عاجل: انقطاع الكهرباء في العاصمة"}, True),
        ({"title_words": ["عاجل"]}, {"title": "العاجلون إلى الشاطئ"}, False),
        ({"sources": ["breaking-feed"]}, {"source": "breaking-feed"}, True),
        ({}, {"tags": ("عاجل",), "section": "عاجل"}, False),  # no rule, nothing urgent
    ],
)
def test_what_is_urgent(rules: dict[str, object], fields: dict[str, object], urgent: bool) -> None:
    assert is_urgent(_article(**fields), BreakingSettings.model_validate(rules)) is urgent


def test_an_urgent_story_published_long_ago_is_no_longer_breaking() -> None:
    rules = BreakingSettings(tags=["عاجل"], max_age_minutes=120)
    article = _article(tags=("عاجل",))
    assert is_breaking(article, rules, article.published_at + timedelta(minutes=119))
    assert not is_breaking(article, rules, article.published_at + timedelta(minutes=121))
