"""The Subscribers pages (issue #15), for admins only: search by address (keyset pages, bounded
work), a subscriber's lists, status and deliveries, and the operator's actions — add, unsubscribe,
reactivate with a reason, CSV import with its line-by-line report, export — each through the same
functions as `nashra subscribers`, audited, and never reviving an address the person turned off."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime

import httpx
from consolekit import ConsoleSite, logged_in

from nashra.store import subscriber_search
from nashra.store.audit import recent_entries
from nashra.store.subscribers import SubscriberStatus, find_subscriber
from nashra.store.users import Role
from nashra.subscribers.manage import add_subscriber, remove_subscriber

NOW = datetime(2026, 12, 1, 7, 0, tzinfo=UTC)


def seed(site: ConsoleSite, *emails: str, list_name: str = "main") -> list[int]:
    with site.runtime.store.begin() as conn:
        return [add_subscriber(conn, e, now=NOW, list_name=list_name).subscriber_id for e in emails]


def status_of(site: ConsoleSite, email: str) -> tuple[SubscriberStatus, str | None]:
    with site.runtime.store.connect() as conn:
        found = find_subscriber(conn, email)
        assert found is not None
        return found.status, found.status_reason


def admin(site: ConsoleSite) -> tuple[httpx.Client, str]:
    return logged_in(site, "chief@oasis.example", Role.ADMIN)


def upload(client: httpx.Client, csrf: str, text: str, **fields: str) -> httpx.Response:
    return client.post(
        "/console/subscribers/import",
        data={"csrf": csrf, "list": "main", **fields},
        files={"file": ("readers.csv", text.encode(), "text/csv")},
    )


def test_editors_and_viewers_are_refused_everywhere(console: ConsoleSite) -> None:
    (sub,) = seed(console, "reader@example.org")
    for role in (Role.EDITOR, Role.VIEWER):
        client, csrf = logged_in(console, f"{role.value}@oasis.example", role)
        for path in ("/console/subscribers", f"/console/subscribers/{sub}", "/console/subscribers/export"):
            assert client.get(path).status_code == 403, (role, path)
        for path in (
            "/console/subscribers/add",
            f"/console/subscribers/{sub}/unsubscribe",
            f"/console/subscribers/{sub}/reactivate",
        ):
            answer = client.post(path, data={"csrf": csrf, "email": "x@example.org", "reason": "r"})
            assert answer.status_code == 403, (role, path)
        assert upload(client, csrf, "email\nnew@example.org\n").status_code == 403
        home = client.get("/console/")
        assert 'href="/console/subscribers"' not in home.text
    assert status_of(console, "reader@example.org")[0] is SubscriberStatus.ACTIVE
    with console.runtime.store.connect() as conn:
        assert (
            find_subscriber(conn, "x@example.org") is None
            and find_subscriber(conn, "new@example.org") is None
        )


def test_search_by_prefix_and_substring_in_keyset_pages(console: ConsoleSite) -> None:
    seed(console, *(f"reader{n:02d}@example.org" for n in range(30)), "Salma@Oasis.example")
    seed(console, "other@example.net", list_name="weekly")
    with console.runtime.store.begin() as conn:
        remove_subscriber(conn, "reader07@example.org", now=NOW)
    client, _ = admin(console)

    page = client.get("/console/subscribers", params={"q": "SALMA"})
    assert page.status_code == 200 and "<bdi>salma@oasis.example</bdi>" in page.text
    assert "reader00" not in page.text
    assert (
        "<bdi>salma@oasis.example</bdi>" not in client.get("/console/subscribers", params={"q": "oasis"}).text
    )
    assert (
        "<bdi>salma@oasis.example</bdi>"
        in client.get("/console/subscribers", params={"q": "oasis", "match": "contains"}).text
    )

    shown: list[str] = []
    params = {"q": "reader", "size": "12"}
    while True:
        page = client.get("/console/subscribers", params=params)
        shown += re.findall(r"<bdi>(reader\d+@example\.org)</bdi>", page.text)
        after = re.search(r'href="/console/subscribers\?([^"]*after=[^"]*)"', page.text)
        if after is None:
            break
        params = dict(httpx.QueryParams(after[1].replace("&amp;", "&")))
    assert shown == sorted(f"reader{n:02d}@example.org" for n in range(30))

    unsubscribed = client.get("/console/subscribers", params={"status": "unsubscribed"})
    assert re.findall(r"<bdi>([^<]+@[^<]+)</bdi>", unsubscribed.text.split("<tbody>")[1]) == [
        "reader07@example.org"
    ]
    weekly = client.get("/console/subscribers", params={"list": "weekly"})
    assert "<bdi>other@example.net</bdi>" in weekly.text and "reader00" not in weekly.text
    counts = client.get("/console/subscribers", params={"list": "main"}).text
    assert re.search(r'data-status="active"[^>]*>\s*30\b', counts), counts
    assert re.search(r'data-status="unsubscribed"[^>]*>\s*1\b', counts)


def test_search_examines_a_bounded_window_per_page(store) -> None:  # type: ignore[no-untyped-def]
    with store.begin() as conn:
        for n in range(40):
            add_subscriber(conn, f"a{n:02d}@example.org", now=NOW)
        add_subscriber(conn, "zz-rare@example.org", now=NOW)
    with store.connect() as conn:
        first = subscriber_search.search(conn, contains="rare", size=10, window=15)
        assert first.rows == () and first.after == "a14@example.org" and first.searched_to
        pages = [first]
        while pages[-1].after:
            pages.append(
                subscriber_search.search(conn, contains="rare", size=10, window=15, after=pages[-1].after)
            )
    assert [r.email for p in pages for r in p.rows] == ["zz-rare@example.org"]
    assert len(pages) == 3


def test_subscriber_page_shows_lists_status_reason_and_deliveries(console: ConsoleSite) -> None:
    (sub,) = seed(console, "reader@example.org")
    seed(console, "reader@example.org", list_name="weekly")
    client, csrf = admin(console)
    page = client.get(f"/console/subscribers/{sub}")
    assert page.status_code == 200 and 'dir="rtl"' in page.text
    assert "<bdi>reader@example.org</bdi>" in page.text and "<bdi>weekly</bdi>" in page.text
    assert client.get("/console/subscribers/999999").status_code == 404
    assert client.get("/console/subscribers/nope").status_code == 404

    answer = client.post(
        f"/console/subscribers/{sub}/unsubscribe", data={"csrf": csrf, "reason": "طلب بالهاتف"}
    )
    assert answer.status_code == 303
    assert status_of(console, "reader@example.org") == (
        SubscriberStatus.UNSUBSCRIBED,
        "removed by operator: طلب بالهاتف",
    )
    page = client.get(f"/console/subscribers/{sub}")
    assert "طلب بالهاتف" in page.text and "chief@oasis.example" in page.text
    history = page.text.split("سجلّ الحالة", 1)[1].split("</section>", 1)[0]
    assert "<bdi>removed by operator: طلب بالهاتف</bdi>" in history, history


def test_reactivate_needs_a_reason_and_records_it(console: ConsoleSite) -> None:
    (sub,) = seed(console, "reader@example.org")
    with console.runtime.store.begin() as conn:
        remove_subscriber(conn, "reader@example.org", now=NOW)
    client, csrf = admin(console)
    refused = client.post(f"/console/subscribers/{sub}/reactivate", data={"csrf": csrf, "reason": "  "})
    assert refused.status_code == 400
    assert status_of(console, "reader@example.org")[0] is SubscriberStatus.UNSUBSCRIBED

    done = client.post(
        f"/console/subscribers/{sub}/reactivate", data={"csrf": csrf, "reason": "asked at the front desk"}
    )
    assert done.status_code == 303
    status, reason = status_of(console, "reader@example.org")
    assert status is SubscriberStatus.ACTIVE
    assert reason == "reactivated by operator (was unsubscribed): asked at the front desk"
    again = client.post(f"/console/subscribers/{sub}/reactivate", data={"csrf": csrf, "reason": "again"})
    assert again.status_code == 400  # not suppressed: nothing to lift
    with console.runtime.store.connect() as conn:
        entries = [(e.actor, e.action, e.target, e.details) for e in recent_entries(conn, limit=1)]
    assert entries == [
        (
            "chief@oasis.example",
            "subscriber.reactivate",
            "subscriber:reader@example.org",
            {"ip": "127.0.0.1", "reason": "asked at the front desk", "was": "unsubscribed"},
        )
    ]


def test_add_is_an_operator_action_and_never_revives(console: ConsoleSite) -> None:
    seed(console, "gone@example.org")
    with console.runtime.store.begin() as conn:
        remove_subscriber(conn, "gone@example.org", now=NOW)
    client, csrf = admin(console)
    added = client.post(
        "/console/subscribers/add", data={"csrf": csrf, "email": " New@Example.ORG ", "list": "weekly"}
    )
    assert added.status_code == 303
    with console.runtime.store.connect() as conn:
        new = find_subscriber(conn, "new@example.org")
    assert new is not None and new.status is SubscriberStatus.ACTIVE and new.lists == ("weekly",)
    assert new.consent_source == "console:chief@oasis.example"

    kept = client.post(
        "/console/subscribers/add", data={"csrf": csrf, "email": "gone@example.org", "list": "main"}
    )
    assert kept.status_code == 409 and "أعد تفعيله مع ذكر السبب" in kept.text
    assert status_of(console, "gone@example.org")[0] is SubscriberStatus.UNSUBSCRIBED
    bad = client.post(
        "/console/subscribers/add", data={"csrf": csrf, "email": "not an address", "list": "main"}
    )
    assert bad.status_code == 400
    with console.runtime.store.connect() as conn:
        actions = [(e.action, e.target, e.details.get("outcome")) for e in recent_entries(conn, limit=5)]
    assert ("subscriber.add", "subscriber:new@example.org", "added") in actions
    assert ("subscriber.add", "subscriber:gone@example.org", "kept unsubscribed") in actions


def test_import_reports_bad_lines_imports_the_rest_and_keeps_sticky(console: ConsoleSite) -> None:
    seed(console, "gone@example.org")
    with console.runtime.store.begin() as conn:
        remove_subscriber(conn, "gone@example.org", now=NOW)
    client, csrf = admin(console)
    text = "email,name\nfirst@example.org,أمل\nnot-an-address,x\ngone@example.org,\nsecond@example.org,\n"
    report = upload(client, csrf, text, skip_bad="1")
    assert report.status_code == 200, report.text
    bad = re.findall(r'<tr data-line="(\d+)">', report.text)
    assert bad == ["3"] and "not-an-address" in report.text
    assert re.search(r'data-count="added"[^>]*>\s*2\b', report.text)
    assert re.search(r'data-count="kept"[^>]*>\s*1\b', report.text)
    assert status_of(console, "gone@example.org")[0] is SubscriberStatus.UNSUBSCRIBED
    assert status_of(console, "first@example.org")[0] is SubscriberStatus.ACTIVE
    with console.runtime.store.connect() as conn:
        first = find_subscriber(conn, "first@example.org")
        (entry,) = recent_entries(conn, limit=1)
    assert first is not None and first.consent_source == "import:readers.csv" and first.name == "أمل"
    assert (entry.action, entry.target) == ("subscribers.import", "list:main")
    assert entry.details["added"] == 2 and entry.details["bad_lines"] == 1 and entry.details["imported"]

    # Without skip_bad: all or nothing, as `nashra subscribers import` does.
    nothing = upload(client, csrf, "email\nthird@example.org\nbroken\n")
    assert nothing.status_code == 400 and re.findall(r'<tr data-line="(\d+)">', nothing.text) == ["3"]
    with console.runtime.store.connect() as conn:
        assert find_subscriber(conn, "third@example.org") is None
        assert recent_entries(conn, limit=1)[0].details["imported"] is False


def test_import_refuses_an_unreadable_or_oversized_file(console: ConsoleSite) -> None:
    client, csrf = admin(console)
    headless = upload(client, csrf, "name\nx\n")
    assert headless.status_code == 400 and "email" in headless.text
    from nashra.web.console.subscribers import MAX_UPLOAD

    big = client.post(
        "/console/subscribers/import",
        data={"csrf": csrf, "list": "main"},
        files={"file": ("big.csv", b"email\n" + b"a@example.org\n" * (MAX_UPLOAD // 14 + 1), "text/csv")},
    )
    assert big.status_code == 413 and f"{MAX_UPLOAD >> 20} ميغابايت" in big.text


def test_export_streams_the_cli_format_and_round_trips(console: ConsoleSite) -> None:
    seed(console, "one@example.org", "=two@example.org")
    seed(console, "three@example.org", list_name="weekly")
    client, csrf = admin(console)
    answer = client.get("/console/subscribers/export", params={"list": "main"})
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    assert "attachment" in answer.headers["content-disposition"]
    from nashra.subscribers.csvio import export_csv

    with console.runtime.store.connect() as conn:
        expected = io.StringIO(newline="")
        export_csv(conn, expected, list_name="main")
    assert answer.text == expected.getvalue()
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert sorted(r["email"] for r in rows) == ["'=two@example.org", "one@example.org"]

    report = upload(client, csrf, answer.text)
    assert report.status_code == 200 and re.search(r'data-count="unchanged"[^>]*>\s*2\b', report.text)
    with console.runtime.store.connect() as conn:
        assert recent_entries(conn, limit=2)[1].action == "subscribers.export"
