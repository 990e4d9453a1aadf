"""The subscribe form is no mail cannon (issue #11, item 8): cross-origin posts are refused, one
address gets one confirmation mail per window whatever the number of posts or web processes, an IP
and an address are rate limited (429 with Retry-After), a filled honeypot sends nothing, and only
lists marked public can be joined from the form. Mail is counted on a real SMTP server on loopback."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import time_machine
from aiosmtpd.controller import Controller

from mail.mailkit import SmtpServer
from nashra.config.loader import parse_settings
from nashra.errors import ConfigError
from nashra.runtime import Runtime
from nashra.store import subscribers as db

Site = tuple[Runtime, httpx.Client]
SITE_TOML = (
    '[site]\nname = "نشرة الواحة"\n\n[web]\npublic_url = "https://oasis.example/news"\n'  # the fixture's
)
RTL = '<html lang="ar" dir="rtl">'


def _toml(smtp: SmtpServer, web: str = "", extra: str = "") -> str:
    """SITE_TOML (its [web] table goes on with `web`) with mail through the loopback SMTP server."""
    return (
        f"{SITE_TOML}{web}\n"
        '[mail]\ntransport = "smtp"\nfrom_address = "نشرة الواحة <news@oasis.example>"\n'
        f'[mail.smtp]\nhost = "{smtp.host}"\nport = {smtp.port}\nsecurity = "none"\ntimeout = 10\n\n{extra}'
    )


def _mails(smtp: SmtpServer) -> int:
    return sum(smtp.handler.copies().values())


def _subscriber(runtime: Runtime, address: str) -> db.SubscriberRow | None:
    with runtime.store.connect() as conn:
        return db.find_subscriber(conn, address)


@pytest.mark.sqlite_only
def test_cross_origin_posts_send_no_mail_and_say_why(
    make_site: Callable[[str], Site], smtp_server: SmtpServer
) -> None:
    runtime, client = make_site(_toml(smtp_server))
    evil = {"Origin": "https://evil.example"}
    victims = [f"v{i}@example.com" for i in range(300)] + ["victim@example.com"] * 200

    def post(address: str) -> httpx.Response:
        return client.post("/subscribe", data={"email": address}, headers=evil)

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(post, victims))

    assert len(answers) == 500 and {a.status_code for a in answers} == {403}
    assert RTL in answers[0].text and "لم يأتِ من صفحة الاشتراك" in answers[0].text
    assert _mails(smtp_server) == 0
    assert _subscriber(runtime, "victim@example.com") is None

    # Without Origin the Referer decides; with neither, or with the opaque "null", it is refused too.
    with httpx.Client(base_url=str(client.base_url)) as bare:
        for headers in (
            {"Origin": "null"},
            {"Referer": "https://evil.example/oasis/subscribe"},
            {"Referer": "https://oasis.example.evil.example/news/subscribe"},
            {},
        ):
            refused = bare.post("/subscribe", data={"email": "victim@example.com"}, headers=headers)
            assert refused.status_code == 403
        assert _mails(smtp_server) == 0

        # The site's own pages: the web app's public origin, or the newsroom's site ([site] base_url).
        ours = bare.post(
            "/subscribe",
            data={"email": "first@example.com"},
            headers={"Referer": "https://oasis.example/news/subscribe"},
        )
    assert ours.status_code == 200 and "تحقق من بريدك" in ours.text
    embedded = client.post(
        "/subscribe", data={"email": "second@example.com"}, headers={"Origin": "https://nashra.example"}
    )
    assert embedded.status_code == 200
    assert smtp_server.handler.copies() == {"first@example.com": 1, "second@example.com": 1}


def test_one_address_gets_one_confirmation_mail_per_window_across_web_processes(
    make_site: Callable[[str], Site], smtp_server: SmtpServer
) -> None:
    """Two apps on one database stand for two web processes, each with its own in-memory limits:
    the one-mail rule lives in the database, so it holds across them."""
    toml = _toml(
        smtp_server,
        'subscribe_per_ip = "1000/minute"\nsubscribe_per_address = "1000/hour"\nconfirm_resend_minutes = 30\n',
    )
    runtime, first = make_site(toml)
    _, second = make_site(toml)
    clients = [first, second] * 25

    def post(client: httpx.Client) -> httpx.Response:
        return client.post("/subscribe", data={"email": "Victim@Example.com"})

    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(post, clients))

    assert [a.status_code for a in answers] == [200] * 50
    assert all("تحقق من بريدك" in a.text for a in answers)  # the same answer every time
    assert smtp_server.handler.copies() == {"victim@example.com": 1}
    found = _subscriber(runtime, "victim@example.com")
    assert found is not None and found.status == "pending"

    # Once the window has passed, a person who lost the mail can ask for another one.
    with time_machine.travel(datetime.now(UTC) + timedelta(minutes=31), tick=True):
        assert post(second).status_code == 200
        assert post(first).status_code == 200
    assert smtp_server.handler.copies() == {"victim@example.com": 2}


def test_a_failed_confirmation_mail_does_not_hold_the_window(
    make_site: Callable[[str], Site], smtp_server: SmtpServer
) -> None:
    _, client = make_site(_toml(smtp_server))
    smtp_server.controller.stop()  # the relay is down: the page says so, and the window stays open
    assert client.post("/subscribe", data={"email": "late@example.com"}).status_code == 503
    smtp_server.controller = Controller(smtp_server.handler, hostname=smtp_server.host, port=smtp_server.port)
    smtp_server.controller.start()
    again = client.post("/subscribe", data={"email": "late@example.com"})
    assert again.status_code == 200
    assert smtp_server.handler.copies() == {"late@example.com": 1}


@pytest.mark.sqlite_only
def test_per_ip_limit_answers_429_with_retry_after_in_arabic(
    make_site: Callable[[str], Site], smtp_server: SmtpServer
) -> None:
    _, client = make_site(_toml(smtp_server, 'subscribe_per_ip = "5/minute;100/day"\n'))
    answers = [client.post("/subscribe", data={"email": f"r{i}@example.com"}) for i in range(8)]

    assert [a.status_code for a in answers] == [200] * 5 + [429] * 3
    refused = answers[5]
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert RTL in refused.text and "طلبات كثيرة" in refused.text
    assert _mails(smtp_server) == 5
    assert client.get("/subscribe").status_code == 200  # reading the form is not limited


@pytest.mark.sqlite_only
def test_per_address_limit_answers_429(make_site: Callable[[str], Site], smtp_server: SmtpServer) -> None:
    _, client = make_site(
        _toml(smtp_server, 'subscribe_per_ip = "1000/minute"\nsubscribe_per_address = "3/hour"\n')
    )
    answers = [client.post("/subscribe", data={"email": "same@example.com"}) for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert int(answers[3].headers["retry-after"]) > 60 and RTL in answers[3].text
    assert client.post("/subscribe", data={"email": "other@example.com"}).status_code == 200
    assert smtp_server.handler.copies() == {"same@example.com": 1, "other@example.com": 1}


@pytest.mark.sqlite_only
def test_a_filled_honeypot_pretends_success_and_sends_nothing(
    make_site: Callable[[str], Site], smtp_server: SmtpServer
) -> None:
    runtime, client = make_site(_toml(smtp_server))
    form = client.get("/subscribe").text
    assert 'name="website"' in form and 'class="hp"' in form  # humans never see it

    answer = client.post("/subscribe", data={"email": "bot@example.com", "website": "https://spam.example"})
    assert answer.status_code == 200 and "تحقق من بريدك" in answer.text
    assert _mails(smtp_server) == 0
    assert _subscriber(runtime, "bot@example.com") is None

    assert client.post("/subscribe", data={"email": "human@example.com", "website": ""}).status_code == 200
    assert _mails(smtp_server) == 1


LISTS = (
    '[[digests]]\nname = "daily"\n\n[[digests]]\nname = "weekly"\nrecipients = ["weekly"]\n\n'
    '[[digests]]\nname = "desk"\nrecipients = ["staff"]\n\n'
    '[[lists]]\nname = "weekly"\npublic = true\n\n[[lists]]\nname = "staff"\n'
)


def test_only_public_lists_can_be_joined_and_a_closed_one_is_not_told_from_a_missing_one(
    make_site: Callable[[str], Site], smtp_server: SmtpServer
) -> None:
    runtime, client = make_site(_toml(smtp_server, extra=LISTS))

    staff = client.post("/subscribe", data={"email": "outsider@example.com", "list": "staff"})
    missing = client.post("/subscribe", data={"email": "outsider@example.com", "list": "no-such"})
    assert staff.status_code == missing.status_code == 400
    assert staff.text == missing.text and "لا يمكن الاشتراك في هذه القائمة من هنا" in staff.text
    assert _mails(smtp_server) == 0 and _subscriber(runtime, "outsider@example.com") is None

    form = client.get("/subscribe", params={"list": "weekly"})
    assert '<input type="hidden" name="list" value="weekly">' in form.text
    assert client.get("/subscribe", params={"list": "staff"}).text == staff.text.replace(
        'value="outsider@example.com"', 'value=""'
    )

    assert (
        client.post("/subscribe", data={"email": "reader@example.com", "list": "weekly"}).status_code == 200
    )
    assert client.post("/subscribe", data={"email": "plain@example.com"}).status_code == 200  # "default"
    reader, plain = _subscriber(runtime, "reader@example.com"), _subscriber(runtime, "plain@example.com")
    assert reader is not None and reader.lists == ("weekly",)
    assert plain is not None and plain.lists == ("default",)
    assert _mails(smtp_server) == 2


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ('[web]\nsubscribe_per_ip = "lots"\n', "web.subscribe_per_ip: not a rate limit such as"),
        ('[web]\nsubscribe_per_address = "5/fortnight"\n', "web.subscribe_per_address: not a rate limit"),
        ("[web]\nconfirm_resend_minutes = 0\n", "web.confirm_resend_minutes: Input should be greater than 0"),
        (
            '[[lists]]\nname = "weekly"\npublic = "maybe"\n',
            "lists[0].public: Input should be a valid boolean",
        ),
        (
            '[[lists]]\nname = "weekly"\n\n[[lists]]\nname = "weekly"\n',
            "lists: list names must be unique; repeated: weekly",
        ),
    ],
)
def test_abuse_settings_are_validated_with_file_and_line(tmp_path: Path, body: str, expected: str) -> None:
    origin = str(tmp_path / "nashra.toml")
    with pytest.raises(ConfigError) as caught:
        parse_settings(body, origin=origin, base_dir=tmp_path)
    [problem] = caught.value.problems
    assert problem.startswith(f"{origin}:") and f": {expected}" in problem
    line = int(problem.split(":")[1])
    assert 1 <= line <= body.count("\n")
