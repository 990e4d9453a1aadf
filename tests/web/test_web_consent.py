"""Consent cannot be undone by someone else (issue #11, items 6 and 7): a form post or an old link
never revives an unsubscribed, complained or bounced address, and only a POST confirms (link
scanners GET and HEAD every link in a mail)."""

from __future__ import annotations

import email
import re
from datetime import UTC, datetime, timedelta
from email import policy
from pathlib import Path

import httpx
import pytest

from nashra.runtime import Runtime
from nashra.store import subscribers as db
from nashra.subscribers import add_subscriber
from nashra.subscribers.csvio import import_csv

TOML = '[site]\nname = "نشرة الواحة"\n\n[web]\npublic_url = "https://oasis.example/news"\n'  # as the `site` fixture's
STICKY = ("unsubscribed", "complained", "bounced")


def _links(runtime: Runtime) -> list[str]:
    """The confirm link of every mail in the outbox, oldest first."""
    folder = runtime.settings.outbox_dir / "mail"
    found = []
    for path in sorted(folder.glob("*.eml"), key=lambda p: p.stat().st_mtime_ns) if folder.is_dir() else []:
        message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
        link = re.search(r"https://oasis\.example/news(/confirm/\S+)", text)
        assert link is not None
        found.append(link.group(1))
    return found


def _status(runtime: Runtime, address: str) -> str | None:
    with runtime.store.connect() as conn:
        found = db.find_subscriber(conn, address)
    return found.status if found else None


def _left(runtime: Runtime, address: str, status: str, *, at: datetime) -> None:
    with runtime.store.begin() as conn:
        subscriber = add_subscriber(conn, address, now=at - timedelta(days=30))
        assert db.set_status(
            conn, subscriber.subscriber_id, db.SubscriberStatus(status), now=at, reason="test"
        )


@pytest.mark.parametrize("status", STICKY)
def test_a_form_post_never_revives_a_sticky_address_nor_does_the_next_import(
    site: tuple[Runtime, httpx.Client], tmp_path: Path, status: str
) -> None:
    runtime, client = site
    _left(runtime, "gone@example.com", status, at=datetime.now(UTC))

    response = client.post("/subscribe", data={"email": "gone@example.com", "name": "غريب"})
    assert response.status_code == 200 and "تحقق من بريدك" in response.text  # same answer as ever
    assert _status(runtime, "gone@example.com") == status
    assert len(_links(runtime)) == 1  # the person's fresh request may be answered with a new mail

    path = tmp_path / "routine.csv"
    path.write_text("email\ngone@example.com\nnew@example.com\n", encoding="utf-8")
    report = import_csv(runtime.store.begin, path, now=datetime.now(UTC))
    assert (report.added, report.updated, report.unchanged, report.kept) == (1, 0, 0, 1)
    assert _status(runtime, "gone@example.com") == status
    with runtime.store.connect() as conn:
        found = db.find_subscriber(conn, "gone@example.com")
    assert found is not None and found.name == ""


def test_a_confirm_link_issued_before_the_unsubscribe_is_refused(site: tuple[Runtime, httpx.Client]) -> None:
    runtime, client = site
    assert client.post("/subscribe", data={"email": "salma@example.com"}).status_code == 200
    [old_link] = _links(runtime)
    assert client.post(old_link).status_code == 200
    assert _status(runtime, "salma@example.com") == "active"
    with runtime.store.begin() as conn:
        found = db.find_subscriber(conn, "salma@example.com")
        assert found is not None
        db.set_status(
            conn, found.id, db.SubscriberStatus.UNSUBSCRIBED, now=datetime.now(UTC), reason="web page"
        )

    replayed = client.post(old_link)
    assert replayed.status_code == 400 and "رابط غير صالح" in replayed.text
    assert _status(runtime, "salma@example.com") == "unsubscribed"


@pytest.mark.parametrize("status", STICKY)
def test_a_fresh_confirmation_posted_by_the_person_revives_the_address(
    site: tuple[Runtime, httpx.Client], status: str
) -> None:
    runtime, client = site
    _left(runtime, "back@example.com", status, at=datetime.now(UTC) - timedelta(minutes=5))
    assert client.post("/subscribe", data={"email": "back@example.com"}).status_code == 200
    [link] = _links(runtime)

    assert client.get(link).status_code == 200
    assert client.head(link).status_code == 200
    assert _status(runtime, "back@example.com") == status

    confirmed = client.post(link)
    assert confirmed.status_code == 200 and "تم تأكيد اشتراكك" in confirmed.text
    with runtime.store.connect() as conn:
        found = db.find_subscriber(conn, "back@example.com")
    assert found is not None and (found.status, found.consent_source) == ("active", "web")


def test_get_and_head_of_the_confirm_link_change_nothing_only_the_button_confirms(
    site: tuple[Runtime, httpx.Client],
) -> None:
    runtime, client = site
    assert client.post("/subscribe", data={"email": "scan@example.com"}).status_code == 200
    [link] = _links(runtime)

    shown = client.get(link)
    assert shown.status_code == 200 and '<html lang="ar" dir="rtl">' in shown.text
    assert f'<form method="post" action="/news{link}">' in shown.text and "<button" in shown.text
    assert shown.headers["cache-control"] == "no-store"
    assert client.head(link).status_code == 200
    assert _status(runtime, "scan@example.com") == "pending"

    assert client.get("/confirm/not-a-token").status_code == 400
    assert client.post("/confirm/not-a-token").status_code == 400
    assert _status(runtime, "scan@example.com") == "pending"

    assert client.post(link).status_code == 200
    assert _status(runtime, "scan@example.com") == "active"
