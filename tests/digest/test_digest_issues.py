"""Issues: recorded before sending, never repeated, resumable after a crash, archived without personal links."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta

import pytest
from digest_helpers import DEMO_NOW, stored

from nashra.digest import (
    find_digest,
    load_issue,
    mark_issue,
    open_issue,
    prepare_digest,
    record_issue,
    write_archive,
)
from nashra.digest.placeholders import SUBSCRIBER_EMAIL, UNSUBSCRIBE_URL
from nashra.runtime import Runtime
from nashra.store.articles import upsert_articles


def test_record_then_prepare_never_repeats_and_resumes(demo_runtime: Callable[[str], Runtime]) -> None:
    runtime = demo_runtime("")
    digest = find_digest(runtime.settings, "daily")
    first = prepare_digest(runtime, digest, now=DEMO_NOW)
    assert first is not None and len(first.article_ids) == 10
    # Preparing is side-effect free: the same issue (and archive URL) comes back.
    assert prepare_digest(runtime, digest, now=DEMO_NOW) == first

    with runtime.store.begin() as conn:
        issue_id = record_issue(conn, first, now=DEMO_NOW)
    assert prepare_digest(runtime, digest, now=DEMO_NOW + timedelta(hours=1)) is None

    with runtime.store.begin() as conn:
        issue = load_issue(conn, issue_id)
        assert open_issue(conn, "daily") == issue
        assert open_issue(conn, "weekly") is None
    assert (issue.status, issue.sent_at, issue.article_ids) == ("ready", None, first.article_ids)
    assert (issue.subject, issue.html, issue.text, issue.archive_url) == (
        first.subject,
        first.html,
        first.text,
        first.archive_url,
    )
    assert issue.created_at == DEMO_NOW

    with runtime.store.begin() as conn:
        mark_issue(conn, issue_id, "sending", now=DEMO_NOW)
        assert open_issue(conn, "daily").status == "sending"  # type: ignore[union-attr]
        mark_issue(conn, issue_id, "sent", now=DEMO_NOW + timedelta(minutes=3))
        assert open_issue(conn, "daily") is None
        assert load_issue(conn, issue_id).sent_at == DEMO_NOW + timedelta(minutes=3)
        with pytest.raises(LookupError):
            mark_issue(conn, issue_id + 100, "sent", now=DEMO_NOW)
        with pytest.raises(ValueError, match="issue status must be one of"):
            mark_issue(conn, issue_id, "lost", now=DEMO_NOW)

    # A new story arrives, and the demo's lead story is re-posted under another id: only the new one goes.
    later = DEMO_NOW + timedelta(hours=5)
    fresh = stored("fresh", section="رياضة", published_at=later - timedelta(hours=1)).article
    lead_url = "https://nashra.example/economy/economy-setif-dry-port"
    repost = replace(
        stored("repost").article,
        url=lead_url + "?utm_source=x",
        title="الميناء الجاف في سطيف يدخل الخدمة… هل يخفف الضغط عن موانئ الشمال؟",
        published_at=later - timedelta(hours=2),
    )
    with runtime.store.begin() as conn:
        upsert_articles(conn, [fresh, repost], now=later - timedelta(minutes=30))
    second = prepare_digest(runtime, digest, now=later)
    assert second is not None and second.article_ids == (fresh.id,)
    assert second.archive_url != first.archive_url
    with runtime.store.begin() as conn:
        second_id = record_issue(conn, second, now=later)
        assert open_issue(conn, "daily").id == second_id  # type: ignore[union-attr]


@pytest.mark.sqlite_only
def test_archive_copy_has_no_personal_links(demo_runtime: Callable[[str], Runtime]) -> None:
    runtime = demo_runtime('manage_url = "https://nashra.example/manage"\n')
    rendered = prepare_digest(runtime, find_digest(runtime.settings, "daily"), now=DEMO_NOW)
    assert rendered is not None
    with runtime.store.begin() as conn:
        issue = load_issue(conn, record_issue(conn, rendered, now=DEMO_NOW))
    path = write_archive(runtime.settings, issue)
    assert path == runtime.settings.public_dir / "digests" / "daily" / rendered.archive_url.rsplit("/", 1)[1]
    assert path.name.startswith("2026-11-30-") and path.suffix == ".html"
    copy = path.read_text(encoding="utf-8")
    assert UNSUBSCRIBE_URL not in copy and SUBSCRIBER_EMAIL not in copy
    assert 'href="https://nashra.example/manage"' in copy
    assert copy.replace('href="https://nashra.example/manage"', f'href="{UNSUBSCRIBE_URL}"') == issue.html
    assert write_archive(runtime.settings, issue) == path  # rewriting is harmless
    assert [p.name for p in path.parent.iterdir()] == [path.name]
    # Batches of the issue on several workers write it at the same moment: none may fail.
    failures: list[BaseException] = []

    def write() -> None:
        try:
            for _ in range(30):
                write_archive(runtime.settings, issue)
        except BaseException as exc:  # the assertion below names it
            failures.append(exc)

    writers = [threading.Thread(target=write) for _ in range(4)]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join(30)
    assert failures == [] and path.read_text(encoding="utf-8") == copy
    assert [p.name for p in path.parent.iterdir()] == [path.name]
