"""Sources against real HTTP on 127.0.0.1: conditional GET, broken feeds, timeouts, errors, paging."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from feedmaker import rss, rss_item, wp_post
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from nashra.forms import fresh_forms
from nashra.ingest import ingest
from nashra.runtime import Runtime
from nashra.social.compose import summary_of
from nashra.store.articles import list_articles
from nashra.store.sources import all_states

MakeRuntime = Callable[[str], Runtime]


def _rss_source(url: str, name: str = "wire") -> str:
    return f'[[sources]]\ntype = "rss"\nname = "{name}"\nurl = "{url}"\n'


def test_rss_ingest_then_304_on_second_poll(httpserver: HTTPServer, make_runtime: MakeRuntime) -> None:
    body = rss([rss_item(n) for n in range(1, 4)])
    seen_headers: list[dict[str, str]] = []

    def handler(request: Request) -> Response:
        seen_headers.append(dict(request.headers))
        if request.headers.get("If-None-Match") == '"v1"':
            return Response(status=304)
        return Response(body, content_type="application/rss+xml; charset=utf-8", headers={"ETag": '"v1"'})

    httpserver.expect_request("/feed.xml").respond_with_handler(handler)
    runtime = make_runtime(_rss_source(httpserver.url_for("/feed.xml")))
    first = ingest(runtime)
    assert first.counts["new"] == 3
    second = ingest(runtime)
    assert second.counts["new"] == 0 and second.counts["updated"] == 0
    assert seen_headers[1]["If-None-Match"] == '"v1"'
    with runtime.store.connect() as conn:
        stored = list_articles(conn)
    assert [a.article.guid for a in stored] == ["news-3", "news-2", "news-1"]
    article = stored[-1].article
    assert article.title == "الحكومة تعرض مشروع قانون المالية رقم 1 على البرلمان"
    assert article.section == "سياسة" and article.tags == ("البرلمان",)
    assert article.author == "سليمة بن عيسى"
    assert article.published_at == datetime(2026, 11, 20, 8, 0, tzinfo=UTC)  # 09:00+01:00
    assert article.image is not None and article.image.url == "https://news.example/img/1.jpg"
    assert article.image.length == 4096 and article.image.mime_type == "image/jpeg"
    assert article.lead == "ملخص الخبر رقم 1"


def test_content_without_description_is_not_stored_as_the_lead(
    httpserver: HTTPServer, make_runtime: MakeRuntime
) -> None:
    """feedparser copies content:encoded into the summary when there is no description: that is the
    whole body, not an editor's lead. Teasers, feed summaries and posts then start from the body's
    first real paragraph, as for any article without a lead."""
    body = (
        '<figure><img src="/i/1.jpg"><figcaption>النواب خلال الجلسة</figcaption></figure>'
        "<p>الجزائر - نشرة</p>"
        "<p>ناقش النواب اليوم بنود مشروع قانون المالية وسط جدل واسع حول الضرائب الجديدة على الاستيراد.</p>"
        + "<p>وقال مقرر اللجنة إن النص سيعرض على الجلسة العامة الأسبوع المقبل بعد إدخال تعديلات.</p>"
        * 200
    )
    items = [rss_item(1, body=body, description=False), rss_item(2)]
    httpserver.expect_request("/feed.xml").respond_with_data(rss(items), content_type="application/rss+xml")
    runtime = make_runtime(_rss_source(httpserver.url_for("/feed.xml")))
    assert ingest(runtime).counts["new"] == 2
    with runtime.store.connect() as conn:
        stored = {a.article.guid: a for a in list_articles(conn)}
    only_content, described = stored["news-1"].article, stored["news-2"].article
    assert only_content.lead == ""
    assert only_content.body_html.count("<p>") == 202
    assert described.lead == "ملخص الخبر رقم 2"  # a real description is still the lead
    assert fresh_forms(only_content, 220).excerpt(220).plain == (
        "ناقش النواب اليوم بنود مشروع قانون المالية وسط جدل واسع حول الضرائب الجديدة على الاستيراد."
    )
    assert summary_of(stored["news-1"]).startswith("ناقش النواب اليوم")


def test_edit_is_an_update_not_a_new_article(httpserver: HTTPServer, make_runtime: MakeRuntime) -> None:
    items = [rss_item(1), rss_item(2)]
    httpserver.expect_ordered_request("/feed.xml").respond_with_data(
        rss(items), content_type="application/rss+xml"
    )
    edited = [rss_item(1, title="عنوان مصحَّح بعد التحديث"), rss_item(2)]
    httpserver.expect_ordered_request("/feed.xml").respond_with_data(
        rss(edited), content_type="application/rss+xml"
    )
    runtime = make_runtime(_rss_source(httpserver.url_for("/feed.xml")))
    assert ingest(runtime).counts["new"] == 2
    report = ingest(runtime)
    assert (report.counts["new"], report.counts["updated"], report.counts["unchanged"]) == (0, 1, 1)
    with runtime.store.connect() as conn:
        titles = {a.article.guid: (a.title, a.version) for a in list_articles(conn)}
    assert titles["news-1"] == ("عنوان مصحَّح بعد التحديث", 2)


def test_broken_sources_do_not_stop_the_others(
    httpserver: HTTPServer, make_runtime: MakeRuntime, request: pytest.FixtureRequest
) -> None:
    httpserver.expect_request("/html").respond_with_data(
        "<html><body>ليست خلاصة</body></html>", content_type="text/html"
    )
    httpserver.expect_request("/down").respond_with_data("boom", status=500)

    released = threading.Event()  # the slow source answers only once the test is over: it always times out

    def slow(_request: Request) -> Response:
        released.wait(30)
        return Response(rss([rss_item(9)]), content_type="application/rss+xml")

    httpserver.expect_request("/good").respond_with_data(
        rss([rss_item(1)]), content_type="application/rss+xml"
    )
    # The slow source gets its own threaded server so its sleeping handler blocks nobody else.
    slow_server = HTTPServer(threaded=True)
    slow_server.expect_request("/slow").respond_with_handler(slow)
    slow_server.start()
    request.addfinalizer(slow_server.stop)
    request.addfinalizer(released.set)
    toml = (
        "[ingest]\ntimeout_seconds = 0.5\n"
        + "".join(_rss_source(httpserver.url_for(f"/{name}"), name) for name in ("html", "down", "good"))
        + _rss_source(slow_server.url_for("/slow"), "slow")
    )
    runtime = make_runtime(toml)
    report = ingest(runtime)
    assert report.counts["sources_failed"] == 3 and report.counts["sources_ok"] == 1
    assert report.counts["new"] == 1
    with runtime.store.connect() as conn:
        states = {s.name: s for s in all_states(conn)}
    assert "is not an RSS or Atom feed" in (states["html"].last_error or "")
    assert "HTTP 500" in (states["down"].last_error or "")
    assert "timed out" in (states["slow"].last_error or "")
    assert states["good"].last_error is None and states["good"].last_success_at is not None
    assert states["down"].consecutive_failures == 1
    ingest(runtime)
    with runtime.store.connect() as conn:
        states = {s.name: s for s in all_states(conn)}
        assert len(list_articles(conn)) == 1
    assert states["down"].consecutive_failures == 2


def test_malformed_item_is_skipped_with_reason(httpserver: HTTPServer, make_runtime: MakeRuntime) -> None:
    broken = "<item><title>بلا رابط</title><description>لا شيء</description></item>"
    httpserver.expect_request("/feed.xml").respond_with_data(
        rss([broken, rss_item(1)]), content_type="application/rss+xml"
    )
    runtime = make_runtime(_rss_source(httpserver.url_for("/feed.xml")))
    report = ingest(runtime)
    assert report.counts["new"] == 1 and report.counts["skipped"] == 1
    assert any("item 1 skipped" in p and "no link" in p for p in report.problems)


def test_wordpress_pages_embeds_and_modified_cursor(
    httpserver: HTTPServer, make_runtime: MakeRuntime
) -> None:
    posts = [wp_post(n) for n in range(1, 6)]
    calls: list[dict[str, str]] = []

    def handler(request: Request) -> Response:
        args = dict(request.args)
        calls.append(args)
        if "modified_after" in args:
            fresh = [p for p in posts if str(p["modified_gmt"]) + "+00:00" > args["modified_after"]]
            return Response(
                json.dumps(fresh), content_type="application/json", headers={"X-WP-TotalPages": "1"}
            )
        page, per_page = int(args["page"]), int(args["per_page"])
        chunk = posts[(page - 1) * per_page : page * per_page]
        return Response(json.dumps(chunk), content_type="application/json", headers={"X-WP-TotalPages": "3"})

    httpserver.expect_request("/wp-json/wp/v2/posts").respond_with_handler(handler)
    toml = f'[[sources]]\ntype = "wordpress"\nname = "wp"\nurl = "{httpserver.url_for("/")}"\nper_page = 2\n'
    runtime = make_runtime(toml)
    assert ingest(runtime).counts["new"] == 5
    assert [c["page"] for c in calls] == ["1", "2", "3"]
    assert calls[0]["_embed"] == "1" and calls[0]["orderby"] == "modified"

    posts[2] = wp_post(3, title="عنوان جديد للمهرجان", modified="2026-11-25T10:00:00")
    report = ingest(runtime)
    assert calls[-1]["modified_after"] == "2026-11-20T12:00:00+00:00"  # newest modified_gmt (post 5)
    assert (report.counts["new"], report.counts["updated"]) == (0, 1)
    with runtime.store.connect() as conn:
        article = next(a.article for a in list_articles(conn) if a.article.guid == "1003")
    assert article.title == "عنوان جديد للمهرجان"
    assert article.section == "ثقافة" and article.tags == ("المسرح", "مهرجانات")
    assert article.author == "كريم زروقي"
    assert article.lead == "افتتح المهرجان دورته رقم 3 بعرض جديد."
    assert article.image is not None and article.image.alt == "خشبة المسرح" and article.image.length == 52000
    assert ingest(runtime).counts.get("new") == 0


def test_wordpress_non_json_is_a_source_error(httpserver: HTTPServer, make_runtime: MakeRuntime) -> None:
    httpserver.expect_request("/wp-json/wp/v2/posts").respond_with_data("<html>maintenance</html>")
    runtime = make_runtime(
        f'[[sources]]\ntype = "wordpress"\nname = "wp"\nurl = "{httpserver.url_for("/")}"\n'
    )
    report = ingest(runtime)
    assert report.counts["sources_failed"] == 1
    assert "is not JSON" in report.problems[0]


def test_folder_source_skips_bad_files_and_keeps_good(tmp_path: Path, make_runtime: MakeRuntime) -> None:
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "good.md").write_text(
        '---\ntitle: "خبر سليم"\ndate: 2026-11-28T10:00:00+01:00\nsection: رياضة\n'
        'keywords: ["كرة القدم", "الدوري"]\n---\n\nفاز الفريق المحلي.\n\n> اقتباس بارز\n',
        encoding="utf-8",
    )
    (folder / "naive-date.md").write_text(
        "---\ntitle: x\ndate: 2026-11-28T10:00:00\n---\nنص\n", encoding="utf-8"
    )
    (folder / "no-title.md").write_text("---\ndate: 2026-11-28T10:00:00+01:00\n---\nنص\n", encoding="utf-8")
    (folder / "bad-yaml.md").write_text("---\ntitle: [unclosed\n---\nنص\n", encoding="utf-8")
    runtime = make_runtime('[[sources]]\ntype = "folder"\nname = "desk"\npath = "articles"\n')
    report = ingest(runtime)
    assert report.counts["new"] == 1 and report.counts["skipped"] == 3
    problems = "\n".join(report.problems)
    assert "naive-date.md: skipped: date: 2026-11-28T10:00:00 has no time zone offset" in problems
    assert "no-title.md: skipped: front matter has no title" in problems
    assert "bad-yaml.md: skipped" in problems
    with runtime.store.connect() as conn:
        (stored,) = list_articles(conn)
    assert stored.article.tags == ("كرة القدم", "الدوري")
    assert "<blockquote>" in stored.article.body_html
    assert stored.url == "https://nashra.example/%D8%B1%D9%8A%D8%A7%D8%B6%D8%A9/good"  # /رياضة/good, as a URI


@pytest.mark.sqlite_only
def test_unknown_source_type_and_bad_option_are_config_errors(make_runtime: MakeRuntime) -> None:
    from nashra.errors import ConfigError

    runtime = make_runtime(
        '[[sources]]\ntype = "gopher"\nname = "a"\n\n[[sources]]\ntype = "rss"\nname = "b"\nurll = "x"\n'
    )
    with pytest.raises(ConfigError) as caught:
        ingest(runtime)
    lines = caught.value.problems
    assert any(":5: sources[0].type: unknown source type 'gopher'" in line for line in lines), lines
    assert any("sources[1] (b).url: required key is missing" in line for line in lines), lines
    assert any(":11: sources[1] (b).urll: unknown key" in line for line in lines), lines
