"""The digests' console pages over HTTP: every operator sees the schedule in words, the next run,
each value's origin, the issues and the preview of the next issue (no longer a public route);
editors send a test copy, send now, skip the next issue; admins change the schedule, checked
with the file's rules, stored as an override with who set it, audited, and back to the file's
value. A viewer's or an editor's forged action is refused (403) and audited."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime

from consolekit import ConsoleSite, logged_in

from digest.digest_helpers import DEMO_NOW
from loopback import wait_until
from nashra.digest import prepare_digest, record_issue
from nashra.ingest import ingest
from nashra.mail.stage import digests_stage
from nashra.store import clicks
from nashra.store.articles import get_articles
from nashra.store.audit import recent_entries
from nashra.store.deliveries import IssueProgress, digest_issues_progress
from nashra.store.overrides import all_overrides
from nashra.store.pauses import Paused, pause
from nashra.store.users import Role
from nashra.subscribers import add_subscriber

TOML = """[site]
name = "نشرة الواحة"
base_url = "http://127.0.0.1:8080"
locale = "ar_DZ"

[mail]
transport = "file"

[[digests]]
name = "daily"
schedule = "0 7 * * *"
"""
PATH = "/console/digests/daily"


def _site(make_console: Callable[[str], ConsoleSite]) -> ConsoleSite:
    site = make_console(TOML)
    ingest(site.runtime)
    return site


def _actions(site: ConsoleSite) -> list[tuple[str, str, str]]:
    with site.runtime.store.connect() as conn:
        return [
            (e.actor, e.action, e.target)
            for e in reversed(recent_entries(conn))
            if e.action not in ("login", "user.add")
        ]


def test_every_operator_sees_the_digests_and_the_preview_is_theirs_alone(
    make_console: Callable[[str], ConsoleSite],
) -> None:
    site = _site(make_console)
    viewer, _ = logged_in(site, "desk@oasis.example", Role.VIEWER)

    listing = viewer.get("/console/digests")
    assert listing.status_code == 200
    assert "كل يوم الساعة 07:00" in listing.text and "0 7 * * *" in listing.text
    assert re.search(r"nashra\.toml:\d+", listing.text)  # the schedule's origin: a line of the file

    page = viewer.get(PATH)
    assert page.status_code == 200 and 'src="/console/digests/daily/preview"' in page.text
    assert "frame-src 'self'" in page.headers["content-security-policy"]
    assert '<pre dir="auto" class="text-part">نشرة الواحة' in page.text
    assert "/console/digests/daily/send" not in page.text  # nothing to press for a viewer
    assert 'action="/console/digests/daily/schedule"' not in page.text

    framed = viewer.get(f"{PATH}/preview")
    assert framed.status_code == 200 and 'dir="rtl"' in framed.text and "%%" not in framed.text
    policy = framed.headers["content-security-policy"]
    assert "frame-ancestors 'self'" in policy and "script-src" not in policy
    assert framed.headers["x-frame-options"] == "SAMEORIGIN"
    assert viewer.get("/console/digests/weekly").status_code == 404

    anonymous = site.client()
    assert anonymous.get(f"{PATH}/preview").status_code == 303  # to the login form
    assert anonymous.get("/digests/daily/preview").status_code == 404  # the public route is gone


def test_a_viewer_may_not_send_and_an_editor_may_not_change_the_schedule(
    make_console: Callable[[str], ConsoleSite],
) -> None:
    site = _site(make_console)
    viewer, viewer_csrf = logged_in(site, "desk@oasis.example", Role.VIEWER)
    editor, editor_csrf = logged_in(site, "editor@oasis.example", Role.EDITOR)
    for action in ("test", "send", "skip", "schedule"):
        refused = viewer.post(f"{PATH}/{action}", data={"csrf": viewer_csrf, "to": "me@example.com"})
        assert refused.status_code == 403 and "دورك لا يسمح بهذا" in refused.text
    assert editor.post(f"{PATH}/schedule", data={"csrf": editor_csrf, "cron": "0 9 * * *"}).status_code == 403
    with site.runtime.store.connect() as conn:
        assert all_overrides(conn) == [] and digest_issues_progress(conn, "daily") == []
    assert _actions(site) == [
        ("desk@oasis.example", "access.refused", "digest_test"),
        ("desk@oasis.example", "access.refused", "digest_send"),
        ("desk@oasis.example", "access.refused", "digest_skip"),
        ("desk@oasis.example", "access.refused", "digest_schedule"),
        ("editor@oasis.example", "access.refused", "digest_schedule"),
    ]


def test_an_admin_changes_the_schedule_with_the_files_rules_and_goes_back_to_the_file(
    make_console: Callable[[str], ConsoleSite],
) -> None:
    site = _site(make_console)
    admin, csrf = logged_in(site, "chief@oasis.example", Role.ADMIN)
    form = {"csrf": csrf, "mode": "days", "time": "07:00", "window": "since_last", "max_items": "20"}

    no_day = admin.post(f"{PATH}/schedule", data=form)
    assert no_day.status_code == 400 and "اختر يومًا واحدًا على الأقل" in no_day.text
    bad_cron = admin.post(f"{PATH}/schedule", data={**form, "mode": "cron", "cron": "every morning"})
    assert bad_cron.status_code == 400 and "not a 5-field cron expression" in bad_cron.text
    too_many = admin.post(f"{PATH}/schedule", data={**form, "day": ["0"], "max_items": "500"})
    assert too_many.status_code == 400 and "less than or equal to 100" in too_many.text
    assert 'value="500"' in too_many.text  # the form as posted, to correct
    with site.runtime.store.connect() as conn:
        assert all_overrides(conn) == []

    saved = admin.post(
        f"{PATH}/schedule",
        data={**form, "day": ["6", "0", "1", "2", "3"], "time": "9:30", "window": "hours", "hours": "48"},
    )
    assert saved.status_code == 303 and saved.headers["location"] == f"{PATH}?done=saved"
    with site.runtime.store.connect() as conn:
        stored = {o.path: (o.value, o.set_by) for o in all_overrides(conn)}
    assert stored == {  # max_items was left as it was: still the file's (its default)
        "digests.daily.schedule": ("30 9 * * 0,1,2,3,6", "chief@oasis.example"),
        "digests.daily.window": (48, "chief@oasis.example"),
    }
    page = admin.get(PATH)
    assert "أيام السبت والأحد والاثنين والثلاثاء والأربعاء الساعة 09:30" in page.text
    assert "غيّره <bdi>chief@oasis.example</bdi>" in page.text
    assert "Back to the file" not in page.text and "العودة إلى قيمة الملف" in page.text

    back = admin.post(f"{PATH}/schedule/reset", data={"csrf": csrf, "key": "schedule"})
    assert back.status_code == 303 and back.headers["location"] == f"{PATH}?done=reset"
    assert "كل يوم الساعة 07:00" in admin.get(PATH).text
    with site.runtime.store.connect() as conn:
        assert [o.path for o in all_overrides(conn)] == ["digests.daily.window"]
    assert _actions(site) == [
        ("chief@oasis.example", "config.set", "digests.daily.schedule"),
        ("chief@oasis.example", "config.set", "digests.daily.window"),
        ("chief@oasis.example", "config.unset", "digests.daily.schedule"),
    ]


def test_an_editor_sends_a_test_copy_then_the_issue_and_follows_it(
    make_console: Callable[[str], ConsoleSite],
) -> None:
    site = _site(make_console)
    editor, csrf = logged_in(site, "editor@oasis.example", Role.EDITOR)

    bad = editor.post(f"{PATH}/test", data={"csrf": csrf, "to": "not an address"})
    assert bad.status_code == 400 and "لا يمكن مراسلة هذا العنوان" in bad.text
    test = editor.post(f"{PATH}/test", data={"csrf": csrf, "to": "Chief@Oasis.example"})
    assert test.status_code == 303 and "done=test-sent" in test.headers["location"]
    outbox = list((site.runtime.settings.outbox_dir / "mail").glob("*.eml"))
    assert len(outbox) == 1 and b"To: chief@oasis.example" in outbox[0].read_bytes()
    with site.runtime.store.connect() as conn:
        assert digest_issues_progress(conn, "daily") == []  # a test copy is no issue

    with site.runtime.store.begin() as conn:
        add_subscriber(conn, "reader@example.com", now=datetime.now(UTC))
        pause(conn, Paused.DIGEST, "daily", now=datetime.now(UTC), reason="مراجعة")
    held = editor.post(f"{PATH}/send", data={"csrf": csrf})
    assert held.status_code == 409 and "متوقفة مؤقتًا أو معطّلة" in held.text
    resumed = editor.post("/console/resume/digest/daily", data={"csrf": csrf, "back": "/digests/daily"})
    assert resumed.headers["location"] == f"{PATH}?done=resumed"

    started = editor.post(f"{PATH}/send", data={"csrf": csrf})
    assert started.status_code == 303 and started.headers["location"] == f"{PATH}?done=sending"

    def sent() -> list[IssueProgress]:
        with site.runtime.store.connect() as conn:
            return [i for i in digest_issues_progress(conn, "daily") if i.status == "sent"]

    wait_until(lambda: bool(sent()), "the issue sent from the console", 30)
    (issue,) = sent()
    assert issue.counts == {"sent": 1}
    page = editor.get(f"{PATH}/issues/{issue.issue_id}")
    assert page.status_code == 200 and 'data-count="sent">1<' in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]
    progress = editor.get(f"{PATH}/issues/{issue.issue_id}/progress").json()
    assert progress["counts"] == {"sent": 1} and progress["finished"] and progress["progress_percent"] == 100
    assert editor.get(f"/console/digests/other/issues/{issue.issue_id}").status_code == 404
    assert editor.get("/console/digest-progress.js").headers["content-type"].startswith("text/javascript")
    assert [a for a in _actions(site) if a[1].startswith("digest.")] == [
        ("editor@oasis.example", "digest.test_send", "daily"),
        ("editor@oasis.example", "digest.resume", "daily"),
        ("editor@oasis.example", "digest.send_now", "daily"),
    ]


def test_an_editor_skips_the_next_issue(make_console: Callable[[str], ConsoleSite]) -> None:
    site = _site(make_console)
    editor, csrf = logged_in(site, "editor@oasis.example", Role.EDITOR)
    with site.runtime.store.begin() as conn:
        add_subscriber(conn, "reader@example.com", now=datetime.now(UTC))

    skipped = editor.post(f"{PATH}/skip", data={"csrf": csrf})
    assert skipped.status_code == 303 and skipped.headers["location"] == f"{PATH}?done=skipped"
    with site.runtime.store.connect() as conn:
        (issue,) = digest_issues_progress(conn, "daily")
    assert issue.status == "skipped" and issue.counts == {}
    page = editor.get(PATH)
    assert "لا جديد" in page.text and 'src="/console/digests/daily/preview"' not in page.text
    again = editor.post(f"{PATH}/skip", data={"csrf": csrf})
    assert again.status_code == 409
    # The worker's job then finds nothing to send.
    assert digests_stage(site.runtime, "daily").counts == {"nothing_new": 1}
    assert ("editor@oasis.example", "digest.skip", "daily") in _actions(site)


def test_an_issue_page_shows_its_clicks_when_the_digest_counts_them(
    make_console: Callable[[str], ConsoleSite],
) -> None:
    site = make_console(TOML + "count_clicks = true\n")
    ingest(site.runtime)
    viewer, _ = logged_in(site, "desk@oasis.example", Role.VIEWER)
    rendered = prepare_digest(site.runtime, site.runtime.settings.digests[0], now=DEMO_NOW)
    assert rendered is not None
    first, second = rendered.article_ids[:2]
    with site.runtime.store.begin() as conn:
        issue_id = record_issue(conn, rendered, now=DEMO_NOW)
        for article_id in (first, second, second):
            clicks.count_click(conn, issue_id, article_id)
        titles = {a.id: a.article.title for a in get_articles(conn, [first, second])}
    page = viewer.get(f"{PATH}/issues/{issue_id}")
    assert page.status_code == 200
    assert "النقرات" in page.text and "3 نقرات على روابط أخباره." in page.text
    top = re.findall(r"<li><bdi>([^<]+)</bdi> · (\d+)</li>", page.text)
    assert top == [(titles[second], "2"), (titles[first], "1")]
    assert viewer.get(f"{PATH}/issues/{issue_id}/progress").json()["clicks"]["total"] == 3


def test_an_issue_page_says_nothing_of_clicks_when_the_digest_does_not_count_them(
    make_console: Callable[[str], ConsoleSite],
) -> None:
    site = _site(make_console)
    viewer, _ = logged_in(site, "desk@oasis.example", Role.VIEWER)
    rendered = prepare_digest(site.runtime, site.runtime.settings.digests[0], now=DEMO_NOW)
    assert rendered is not None
    with site.runtime.store.begin() as conn:
        issue_id = record_issue(conn, rendered, now=DEMO_NOW)
    page = viewer.get(f"{PATH}/issues/{issue_id}")
    assert page.status_code == 200 and "النقرات" not in page.text
    assert viewer.get(f"{PATH}/issues/{issue_id}/progress").json()["clicks"] is None
