"""The social pages: what the next run would post, the post log, and an editor's answers to a post
that did not go out (retry, mark as posted, skip), each recorded with who said so; on SQLite and
PostgreSQL, with a webhook channel posting to a receiver on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from consolekit import TOML, ConsoleSite, logged_in
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from nashra.ingest import ingest
from nashra.social.post import post_pending
from nashra.store import audit, overrides
from nashra.store import posts as records
from nashra.store.posts import FailureKind, PostRecord, PostStatus
from nashra.store.users import Role


class Receiver:
    """The webhook's platform: refuses (400) until told to accept."""

    def __init__(self) -> None:
        self.accepting = False

    def __call__(self, _request: Request) -> Response:
        return Response("ok") if self.accepting else Response("no such team", status=400)


@pytest.fixture
def receiver(httpserver: HTTPServer) -> Receiver:
    handler = Receiver()
    httpserver.expect_request("/hook", method="POST").respond_with_handler(handler)
    return handler


@pytest.fixture
def desk(
    make_console: Callable[[str], ConsoleSite], httpserver: HTTPServer, receiver: Receiver
) -> ConsoleSite:
    """The demo articles, and a webhook channel whose first run failed them all."""
    site = make_console(
        f'{TOML}\n[[channels]]\ntype = "webhook"\nname = "desk"\nurl = "{httpserver.url_for("/hook")}"\n'
        "max_age_hours = 1000000\n"
    )
    ingest(site.runtime)
    post_pending(site.runtime)
    assert {r.status for r in _rows(site)} == {PostStatus.FAILED}
    return site


def _rows(site: ConsoleSite) -> list[PostRecord]:
    with site.runtime.store.connect() as conn:
        return records.list_records(conn, channel="desk")


def _said(site: ConsoleSite, record_id: int) -> audit.AuditEntry:
    with site.runtime.store.connect() as conn:
        return audit.latest_for(conn, [f"post:{record_id}"])[f"post:{record_id}"]


def test_retry_puts_a_failed_post_back_and_the_next_run_posts_it(
    desk: ConsoleSite, receiver: Receiver
) -> None:
    client, csrf = logged_in(desk, "editor@oasis.example", Role.EDITOR)
    first = _rows(desk)[0]
    page = client.get("/console/social/desk")
    assert page.status_code == 200 and "no such team" in page.text
    assert f"/console/social/desk/posts/{first.id}/retry" in page.text

    done = client.post(
        f"/console/social/desk/posts/{first.id}/retry", data={"csrf": csrf, "reason": "team renamed"}
    )
    assert done.status_code == 303 and done.headers["location"].endswith("done=retry")
    again = next(r for r in _rows(desk) if r.id == first.id)
    assert again.status is PostStatus.RETRY and again.error_kind is None
    said = _said(desk, first.id)
    assert (said.actor, said.action, said.details["reason"], said.details["was"]) == (
        "editor@oasis.example",
        "post.retry",
        "team renamed",
        "failed",
    )

    receiver.accepting = True
    run = post_pending(desk.runtime)
    assert [(r.article_id, r.status) for r in run.results] == [(first.article_id, PostStatus.POSTED)]
    assert next(r for r in _rows(desk) if r.id == first.id).status is PostStatus.POSTED


def test_an_unknown_post_is_sent_again_only_when_the_operator_says_it_is_not_there(desk: ConsoleSite) -> None:
    client, csrf = logged_in(desk, "editor@oasis.example", Role.EDITOR)
    record = _rows(desk)[0]
    with desk.runtime.store.begin() as conn:
        records.finish(
            conn,
            record.id,
            status=PostStatus.UNKNOWN,
            now=record.updated_at,
            attempts=1,
            error="timed out",
            error_kind=FailureKind.OUTCOME_UNKNOWN,
        )
    url = f"/console/social/desk/posts/{record.id}/retry"
    blind = client.post(url, data={"csrf": csrf})
    assert blind.headers["location"].endswith("done=unchecked")
    assert _rows(desk)[0].status is PostStatus.UNKNOWN

    checked = client.post(url, data={"csrf": csrf, "checked": "yes"})
    assert checked.headers["location"].endswith("done=retry")
    assert _rows(desk)[0].status is PostStatus.RETRY
    assert _said(desk, record.id).details["checked_platform"] is True


def test_mark_as_posted_is_the_operators_word_and_skip_is_final(desk: ConsoleSite) -> None:
    client, csrf = logged_in(desk, "editor@oasis.example", Role.EDITOR)
    by_hand, dropped, *_ = _rows(desk)

    bad = client.post(
        f"/console/social/desk/posts/{by_hand.id}/posted", data={"csrf": csrf, "url": "javascript:alert(1)"}
    )
    assert bad.headers["location"].endswith("done=bad_url")
    marked = client.post(
        f"/console/social/desk/posts/{by_hand.id}/posted",
        data={"csrf": csrf, "url": "https://chat.example/desk/42", "reason": "posted by hand"},
    )
    assert marked.headers["location"].endswith("done=mark_posted")
    skipped = client.post(
        f"/console/social/desk/posts/{dropped.id}/skip", data={"csrf": csrf, "reason": "old"}
    )
    assert skipped.headers["location"].endswith("done=skip")

    rows = {r.id: r for r in _rows(desk)}
    assert rows[by_hand.id].status is PostStatus.POSTED
    assert (rows[by_hand.id].remote_url, rows[by_hand.id].remote_id) == ("https://chat.example/desk/42", None)
    assert rows[dropped.id].status is PostStatus.SKIPPED
    stated = _said(desk, by_hand.id)
    assert (stated.actor, stated.action) == ("editor@oasis.example", "post.mark_posted")
    assert stated.details | {"ip": ""} == {
        "channel": "desk",
        "article": by_hand.article_id,
        "was": "failed",
        "reason": "posted by hand",
        "url": "https://chat.example/desk/42",
        "ip": "",
    }
    assert _said(desk, dropped.id).actor == "editor@oasis.example"

    page = client.get("/console/social/desk").text
    assert "https://chat.example/desk/42" in page and "editor@oasis.example" in page
    again = client.post(f"/console/social/desk/posts/{dropped.id}/skip", data={"csrf": csrf})
    assert again.headers["location"].endswith("done=stale")  # skipped is final: nothing to skip


def test_the_next_run_is_shown_as_the_platform_gets_it_and_a_new_post_can_be_skipped(
    make_console: Callable[[str], ConsoleSite], receiver: Receiver, httpserver: HTTPServer
) -> None:
    site = make_console(
        f'{TOML}\n[[channels]]\ntype = "webhook"\nname = "desk"\nurl = "{httpserver.url_for("/hook")}"\n'
        "max_age_hours = 1000000\n"
    )
    ingest(site.runtime)
    planned = post_pending(site.runtime, dry_run=True).results
    assert planned and all(r.post for r in planned)
    client, csrf = logged_in(site, "editor@oasis.example", Role.EDITOR)
    page = client.get("/console/social/desk").text
    first = planned[0]
    assert first.post is not None
    assert f"{first.post.length}" in page and f"{first.post.limit}" in page
    assert first.post.text.split("\n")[0].replace("&", "&amp;") in page.replace("&#39;", "'")

    done = client.post(f"/console/social/desk/articles/{first.article_id}/skip", data={"csrf": csrf})
    assert done.headers["location"].endswith("done=skip")
    (row,) = _rows(site)
    assert (row.article_id, row.status, row.text) == (first.article_id, PostStatus.SKIPPED, first.post.text)

    receiver.accepting = True
    posted = post_pending(site.runtime).results
    assert first.article_id not in {r.article_id for r in posted}
    assert len(posted) == len(planned) - 1


def test_a_channel_paused_from_its_page_comes_back_to_it(desk: ConsoleSite) -> None:
    client, csrf = logged_in(desk, "editor@oasis.example", Role.EDITOR)
    paused = client.post("/console/pause/channel/desk", data={"csrf": csrf, "back": "/social/desk"})
    assert paused.headers["location"] == "/console/social/desk?done=paused"
    assert "paused in the console by editor@oasis.example" in client.get("/console/social/desk").text


def test_an_admin_overrides_spacing_and_quiet_hours_and_goes_back_to_the_file(desk: ConsoleSite) -> None:
    client, csrf = logged_in(desk, "chief@oasis.example", Role.ADMIN)
    assert "default" in client.get("/console/social/desk").text
    url = "/console/social/desk/settings"
    wrong = client.post(url, data={"csrf": csrf, "min_spacing_minutes": "30", "quiet_hours": "25:00-07:00"})
    assert "done=invalid" in wrong.headers["location"]
    with desk.runtime.store.connect() as conn:
        assert overrides.all_overrides(conn) == []

    saved = client.post(url, data={"csrf": csrf, "min_spacing_minutes": "30", "quiet_hours": "23:00-06:00"})
    assert saved.headers["location"].endswith("done=configured")
    with desk.runtime.store.connect() as conn:
        stored = {o.path: (o.value, o.set_by) for o in overrides.all_overrides(conn)}
        entries = [e.target for e in audit.recent_entries(conn) if e.action == "config.set"]
    assert stored == {
        "channels.desk.min_spacing_minutes": (30.0, "chief@oasis.example"),
        "channels.desk.quiet_hours": ("23:00-06:00", "chief@oasis.example"),
    }
    assert sorted(entries) == ["channels.desk.min_spacing_minutes", "channels.desk.quiet_hours"]
    page = client.get("/console/social/desk").text
    assert "override by chief@oasis.example" in page and "/settings/quiet_hours/file" in page

    back = client.post("/console/social/desk/settings/quiet_hours/file", data={"csrf": csrf})
    assert back.headers["location"].endswith("done=configured")
    with desk.runtime.store.connect() as conn:
        assert [o.path for o in overrides.all_overrides(conn)] == ["channels.desk.min_spacing_minutes"]
    assert desk.runtime.settings.channels[0].quiet_hours is None

    editor, token = logged_in(desk, "editor@oasis.example", Role.EDITOR)
    assert "/settings" not in editor.get("/console/social/desk").text
    assert editor.post(url, data={"csrf": token, "min_spacing_minutes": "0"}).status_code == 403


def test_posts_held_for_a_missing_secret_are_on_the_dashboard_with_why(
    make_console: Callable[[str], ConsoleSite], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NEWSROOM_HOOK", raising=False)
    site = make_console(
        f'{TOML}\n[[channels]]\ntype = "webhook"\nname = "desk"\nurl_env = "NEWSROOM_HOOK"\nmax_age_hours = 1000000\n'
    )
    ingest(site.runtime)
    client, _ = logged_in(site, "desk@oasis.example", Role.VIEWER)
    needs_you = client.get("/console/").text.split('class="needs-you"')[1].split("</section>")[0]
    assert "environment variable(s) not set: NEWSROOM_HOOK" in needs_you
    assert 'href="/console/social/desk"' in needs_you
