"""The click redirect, `GET /c/<token>[/<reader>]`, on mail actually sent: a click on a story link is
counted once and answered with a redirect to that story; a link Nashra did not sign — tampered,
unsigned, signed for another purpose or with another key — gets an Arabic page, no redirect and no
count. Per-subscriber records, when the operator turns them on, keep one row per (issue, article,
subscriber), go when the subscriber is erased, and are never made when they are off."""

from __future__ import annotations

import email
import re
from collections.abc import Callable, Iterator
from datetime import timedelta
from email import policy

import pytest
import time_machine
from itsdangerous import Signer
from sqlalchemy import func, select
from starlette.testclient import TestClient

from digest.digest_helpers import DEMO_NOW, DIGEST_TOML
from mail.mailkit import populate
from nashra.digest import find_digest, prepare_digest
from nashra.digest.archive import archive_route
from nashra.digest.clicks import ClickTokens
from nashra.ingest import ingest
from nashra.mail.send import send_digest
from nashra.mail.tokens import UNSUBSCRIBE, Tokens
from nashra.runtime import Runtime
from nashra.store.articles import get_articles
from nashra.store.clicks import digest_clicks, subscriber_clicks
from nashra.store.digests import digest_issues
from nashra.store.subscribers import find_subscriber
from nashra.subscribers import remove_subscriber
from nashra.web.app import create_app

SECRET = "click-web-secret"
WEB = '\n[web]\npublic_url = "https://oasis.example/news"\n'
PUBLIC = "https://oasis.example/news"  # the proxy strips /news: the app sees /c/…
CLICKS = "count_clicks = true\n"
PER_SUBSCRIBER = "count_clicks = true\nclicks_per_subscriber = true\n"
READERS = ["salma@oasis.example", "yacine@oasis.example"]
LINK = re.compile(re.escape(PUBLIC) + r'(/c/[^"\s<]+)')


@pytest.fixture(autouse=True)
def click_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NASHRA_SECRET", SECRET)


@pytest.fixture
def sent(make_runtime: Callable[[str], Runtime]) -> Iterator[Callable[[str], tuple[Runtime, TestClient]]]:
    """The demo digest, with `extra` keys in its table, sent to READERS by the file transport; and a
    client of the web app that does not follow redirects."""
    clients: list[TestClient] = []

    def make(extra: str) -> tuple[Runtime, TestClient]:
        runtime = make_runtime(DIGEST_TOML + extra + WEB)
        with time_machine.travel(DEMO_NOW - timedelta(hours=1), tick=False):
            ingest(runtime)
        populate(runtime, READERS)
        with time_machine.travel(DEMO_NOW, tick=False):
            summary = send_digest(runtime, runtime.settings.digests[0])
        assert summary.sent == len(READERS), summary
        client = TestClient(create_app(runtime.settings, runtime=runtime), follow_redirects=False)
        clients.append(client.__enter__())
        return runtime, client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


def _mail_links(runtime: Runtime, to: str) -> tuple[list[str], list[str]]:
    """The click paths of the message sent to `to`: (HTML part's, text part's), in order."""
    for path in sorted((runtime.settings.outbox_dir / "mail").glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        if message["To"] == to:
            html = message.get_body(("html",)).get_content()  # type: ignore[union-attr]
            text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
            return LINK.findall(html), LINK.findall(text)
    raise AssertionError(f"no message to {to}")


def _clicks(runtime: Runtime) -> dict[str, int]:
    with runtime.store.connect() as conn:
        rows = conn.execute(select(digest_clicks.c.article_id, digest_clicks.c.clicks)).all()
    return {row.article_id: row.clicks for row in rows}


def _reader_rows(runtime: Runtime) -> list[tuple[str, int]]:
    with runtime.store.connect() as conn:
        rows = conn.execute(
            select(subscriber_clicks.c.article_id, subscriber_clicks.c.subscriber_id).order_by(
                subscriber_clicks.c.subscriber_id, subscriber_clicks.c.article_id
            )
        ).all()
    return [(article, subscriber) for article, subscriber in rows]


def _article_url(runtime: Runtime, path: str) -> tuple[str, str]:
    link = ClickTokens.from_settings(runtime.settings).read_link(path.removeprefix("/c/").split("/")[0])
    with runtime.store.connect() as conn:
        [article] = get_articles(conn, [link.article_id])
    return link.article_id, article.article.url


def test_a_click_is_counted_once_and_redirects_to_the_story(
    sent: Callable[[str], tuple[Runtime, TestClient]],
) -> None:
    runtime, client = sent(CLICKS)
    html_links, text_links = _mail_links(runtime, READERS[0])
    assert html_links and text_links
    # The HTML part and the text part carry the same links, with nothing personal in them.
    assert set(text_links) <= set(html_links)
    assert _mail_links(runtime, READERS[1]) == (html_links, text_links)
    path = html_links[0]
    article_id, url = _article_url(runtime, path)
    assert _clicks(runtime) == {}

    answer = client.get(path)
    assert answer.status_code in (302, 303)
    assert answer.headers["location"] == url
    assert answer.headers["cache-control"] == "no-store"
    assert _clicks(runtime) == {article_id: 1}
    assert client.get(path).headers["location"] == url
    assert _clicks(runtime) == {article_id: 2}  # every click counts, one each
    # A HEAD (link scanners check links that way) redirects too, and is not a click.
    assert client.head(path).status_code in (302, 303)
    assert _clicks(runtime) == {article_id: 2}
    assert _reader_rows(runtime) == []  # aggregate only: nothing says who clicked


def _tampered(token: str) -> str:
    """`token` with its last character changed (a link cut or edited by hand)."""
    return token[:-1] + ("A" if token[-1] != "A" else "B")


def test_links_nashra_did_not_sign_are_refused_with_no_redirect_and_no_count(
    sent: Callable[[str], tuple[Runtime, TestClient]],
) -> None:
    runtime, client = sent(CLICKS)
    [path, *_] = _mail_links(runtime, READERS[0])[0]
    payload = path.removeprefix("/c/").rsplit(".", 1)[0]
    with runtime.store.connect() as conn:
        subscriber = find_subscriber(conn, READERS[0])
    assert subscriber is not None
    refused = [
        _tampered(path),  # /c/<token> with its signature changed
        f"/c/{payload}",  # the payload alone, unsigned
        f"/c/{payload}.",
        "/c/" + Signer("another-key", salt="nashra.click").sign(payload).decode(),
        "/c/" + Signer(SECRET, salt="nashra.unsubscribe").sign(payload).decode(),  # another purpose
        "/c/" + Tokens.from_settings(runtime.settings).make(UNSUBSCRIBE, subscriber.id, READERS[0]),
        "/c/evil.example",
        "/c/x?next=https://evil.example/",
        "/c/" + Signer(SECRET, salt="nashra.click").sign("not base64 at all!").decode(),
        path + "/" + _tampered(ClickTokens.from_settings(runtime.settings).reader(1, subscriber.id)),
    ]
    for bad in refused:
        answer = client.get(bad)
        assert answer.status_code in (400, 404), bad
        assert "location" not in answer.headers, bad
        assert "رابط غير صالح" in answer.text or "لا توجد صفحة" in answer.text, bad
        assert answer.headers["content-type"].startswith("text/html")
    assert _clicks(runtime) == {}


def test_per_subscriber_mode_keeps_one_row_per_reader_and_story_and_erasure_removes_them(
    sent: Callable[[str], tuple[Runtime, TestClient]],
) -> None:
    runtime, client = sent(PER_SUBSCRIBER)
    salma, _ = _mail_links(runtime, READERS[0])
    yacine, yacine_text = _mail_links(runtime, READERS[1])
    assert salma != yacine  # each message names its reader
    assert set(yacine_text) <= set(yacine)
    first, url = _article_url(runtime, salma[0])
    assert _article_url(runtime, yacine[0]) == (first, url)
    # The issue's public web copy has the same story links with no reader in them.
    with runtime.store.connect() as conn:
        [issue] = conn.execute(select(digest_issues.c.archive_url)).scalars()
    archive = client.get(archive_route(issue))
    assert archive.status_code == 200
    public = LINK.findall(archive.text)
    assert public == [p.rsplit("/", 1)[0] for p in salma] and "%%" not in archive.text
    second = next(p for p in salma if _article_url(runtime, p)[0] != first)
    second_id = _article_url(runtime, second)[0]
    with runtime.store.connect() as conn:
        ids = {address: find_subscriber(conn, address).id for address in READERS}  # type: ignore[union-attr]

    for path in (salma[0], salma[0], yacine[0], yacine[0], second):
        answer = client.get(path)
        assert answer.status_code in (302, 303)
    assert client.get(salma[0]).headers["location"] == url
    # Every click is counted; each reader is recorded once per story, however often they click.
    assert _clicks(runtime) == {first: 5, second_id: 1}
    assert sorted(_reader_rows(runtime)) == sorted(
        [(first, ids[READERS[0]]), (second_id, ids[READERS[0]]), (first, ids[READERS[1]])]
    )
    # A reader part signed for another issue was not made for this link: refused, not counted.
    other_issue = ClickTokens.from_settings(runtime.settings).reader(999, ids[READERS[0]])
    answer = client.get(salma[0].rsplit("/", 1)[0] + "/" + other_issue)
    assert answer.status_code == 400 and "location" not in answer.headers
    assert _clicks(runtime) == {first: 5, second_id: 1}
    with runtime.store.begin() as conn:
        assert remove_subscriber(conn, READERS[0], now=DEMO_NOW, forget=True)
    assert _reader_rows(runtime) == [(first, ids[READERS[1]])]
    assert _clicks(runtime) == {first: 5, second_id: 1}  # counts hold nobody's data
    # The erased reader's old mail still reaches the story, counted in aggregate only.
    assert client.get(salma[0]).headers["location"] == url
    assert _clicks(runtime) == {first: 6, second_id: 1}
    assert _reader_rows(runtime) == [(first, ids[READERS[1]])]


def test_per_subscriber_records_stop_when_the_operator_turns_them_off(
    sent: Callable[[str], tuple[Runtime, TestClient]], make_runtime: Callable[[str], Runtime]
) -> None:
    runtime, _ = sent(PER_SUBSCRIBER)
    salma, _ = _mail_links(runtime, READERS[0])
    first, url = _article_url(runtime, salma[0])
    # Same database and mail, the config now counts without records: links already sent name
    # their reader, and are still only counted.
    counting_only = make_runtime(DIGEST_TOML + CLICKS + WEB)
    with TestClient(
        create_app(counting_only.settings, runtime=counting_only), follow_redirects=False
    ) as client:
        assert client.get(salma[0]).headers["location"] == url
        assert _clicks(counting_only) == {first: 1}
        assert _reader_rows(counting_only) == []
    # And with counting off, old links still reach their story, counted nowhere.
    off = make_runtime(DIGEST_TOML + WEB)
    with TestClient(create_app(off.settings, runtime=off), follow_redirects=False) as client:
        assert client.get(salma[0]).headers["location"] == url
    assert _clicks(off) == {first: 1} and _reader_rows(off) == []


def test_a_preview_link_reaches_the_story_without_being_counted(
    make_runtime: Callable[[str], Runtime],
) -> None:
    runtime = make_runtime(DIGEST_TOML + CLICKS + WEB)
    with time_machine.travel(DEMO_NOW - timedelta(hours=1), tick=False):
        ingest(runtime)
    rendered = prepare_digest(runtime, find_digest(runtime.settings, "daily"), now=DEMO_NOW)
    assert rendered is not None  # rendered, not recorded: no issue to count it in
    [path, *_] = LINK.findall(rendered.html)
    _, url = _article_url(runtime, path)
    with TestClient(create_app(runtime.settings, runtime=runtime), follow_redirects=False) as client:
        answer = client.get(path)
    assert answer.status_code in (302, 303) and answer.headers["location"] == url
    with runtime.store.connect() as conn:
        assert conn.execute(select(func.count()).select_from(digest_clicks)).scalar_one() == 0
