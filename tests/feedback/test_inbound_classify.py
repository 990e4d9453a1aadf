"""What a message that came back is (nashra.feedback.classify), from the bytes alone: bounces of
Postfix, Exim, Sendmail, Gmail and Exchange, hard or soft by their status codes; an ARF complaint;
a mail to the List-Unsubscribe address; and whom each is about — only ever through what Nashra
signed. Anything else is ignored or kept, and nothing raises."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from inboundkit import headers_of, message

from nashra.feedback.classify import Ignored, Understood, Unrecognised, read_message
from nashra.feedback.signed import Signatures
from nashra.mail.tokens import UNSUBSCRIBE, Tokens
from nashra.mail.verp import BounceTarget, Verp
from nashra.store.feedback import Kind

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
KEY = "classify-test-key"
VERP = Verp(KEY, "bounces@oasis.example")
TOKENS = Tokens(KEY, confirm_seconds=3600, unsubscribe_seconds=365 * 86400)
SIGNATURES = Signatures(VERP, TOKENS)
ISSUE, SUBSCRIBER, ADDRESS = 7, 21, "samir@example.com"


def _original(*, verp: bool = True) -> bytes:
    """What a digest's headers look like (nashra.mail.message), and a line of its text."""
    token = TOKENS.make(UNSUBSCRIBE, SUBSCRIBER, ADDRESS)
    sender = VERP.address(ISSUE, SUBSCRIBER) if verp else "news@oasis.example"
    return (
        f"Return-Path: <{sender}>\r\n"
        "From: =?utf-8?b?2YbYtNix2Kkg2KfZhNmI2KfYrdip?= <news@oasis.example>\r\n"
        f"To: {ADDRESS}\r\n"
        f"Message-ID: <{ISSUE}.{SUBSCRIBER}.0123456789ab@oasis.example>\r\n"
        f"List-Unsubscribe: <https://oasis.example/unsubscribe/{token}>,\r\n"
        f" <mailto:unsubscribe@oasis.example?subject=unsubscribe%20{token}>\r\n"
        "Subject: =?utf-8?b?2YbYtNix2Kkg2KfZhNmI2KfYrdip?=\r\n"
        "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        "\u0628\u062f\u0623 \u0645\u0648\u0633\u0645 \u0627\u0644\u0632\u064a\u062a\u0648\u0646.\r\n"
    ).encode()


def _bounce(name: str, *, to: str | None = None, verp_in_original: bool = True) -> bytes:
    original = _original(verp=verp_in_original)
    return message(
        name,
        verp=to or VERP.address(ISSUE, SUBSCRIBER),
        address=ADDRESS,
        headers=headers_of(original),
        original=original.decode(),
        message_id=f"{ISSUE}.{SUBSCRIBER}.0123456789ab@oasis.example",
    )


def _read(raw: bytes) -> Understood | Ignored | Unrecognised:
    return read_message(raw, SIGNATURES, now=NOW)


@pytest.mark.parametrize(
    ("name", "kind", "words"),
    [
        ("postfix_hard", Kind.HARD_BOUNCE, "550 5.1.1 <…>: Recipient address rejected: User unknown"),
        ("exim_hard", Kind.HARD_BOUNCE, "550 5.1.1 <…>: no mailbox here by that name"),
        (
            "gmail_hard",
            Kind.HARD_BOUNCE,
            "550-5.1.1 The email account that you tried to reach does not exist",
        ),
        ("outlook_hard", Kind.HARD_BOUNCE, "550 5.1.10 RESOLVER.ADR.RecipientNotFound"),
        ("sendmail_soft", Kind.SOFT_BOUNCE, "452 4.2.2 Mailbox over quota"),
        ("mailbox_full", Kind.SOFT_BOUNCE, "554 5.2.2 mailbox full"),
    ],
)
def test_a_bounce_is_hard_or_soft_by_its_code_and_names_its_verp_subscriber(
    name: str, kind: Kind, words: str
) -> None:
    reading = _read(_bounce(name))

    assert isinstance(reading, Understood)
    assert (reading.kind, reading.target, reading.claims) == (kind, BounceTarget(ISSUE, SUBSCRIBER), None)
    assert words in reading.detail
    assert "@" not in reading.detail  # addresses are not kept in the record or the logs
    assert reading.occurred_at.tzinfo is not None and reading.occurred_at != NOW


def test_an_exim_bounce_without_its_header_is_still_found_by_flufl_bounce() -> None:
    raw = _bounce("exim_hard").replace(f"X-Failed-Recipients: {ADDRESS}\r\n".encode(), b"")

    reading = _read(raw)

    assert isinstance(reading, Understood) and reading.kind is Kind.HARD_BOUNCE
    assert reading.target == BounceTarget(ISSUE, SUBSCRIBER)


def test_a_bounce_sent_to_the_plain_address_is_matched_by_the_returned_return_path() -> None:
    reading = _read(_bounce("postfix_hard", to="bounces@oasis.example"))

    assert isinstance(reading, Understood) and reading.target == BounceTarget(ISSUE, SUBSCRIBER)


def test_without_verp_a_bounce_is_matched_by_the_returned_list_unsubscribe_token() -> None:
    reading = _read(_bounce("gmail_hard", to="bounces@oasis.example", verp_in_original=False))

    assert isinstance(reading, Understood) and reading.target is None
    assert reading.claims is not None and reading.claims.subscriber_id == SUBSCRIBER
    assert reading.claims.matches(ADDRESS)


@pytest.mark.parametrize("verp", [True, False], ids=["verp", "list-unsubscribe"])
def test_an_arf_abuse_report_is_a_complaint_about_the_subscriber_of_the_attached_digest(verp: bool) -> None:
    original = _original(verp=verp)
    envelope = VERP.address(ISSUE, SUBSCRIBER) if verp else "news@oasis.example"

    reading = _read(message("arf_abuse", envelope=envelope, original=original.decode()))

    assert isinstance(reading, Understood)
    assert (reading.kind, reading.detail) == (Kind.COMPLAINT, "abuse report from MailboxFBL/2.1")
    if verp:
        assert reading.target == BounceTarget(ISSUE, SUBSCRIBER)
    else:
        assert reading.target is None and reading.claims is not None
        assert reading.claims.subscriber_id == SUBSCRIBER


def test_feedback_that_is_no_complaint_is_ignored() -> None:
    raw = message("arf_abuse", envelope="news@oasis.example", original=_original().decode())

    reading = _read(raw.replace(b"Feedback-Type: abuse", b"Feedback-Type: not-spam"))

    assert isinstance(reading, Ignored) and reading.why == "not-spam report from MailboxFBL/2.1"


def test_a_mailto_unsubscribe_names_the_subscriber_of_its_token() -> None:
    token = TOKENS.make(UNSUBSCRIBE, SUBSCRIBER, ADDRESS)

    reading = _read(message("mailto_unsubscribe", address=ADDRESS, token=token))

    assert isinstance(reading, Understood) and reading.kind is Kind.UNSUBSCRIBE
    assert reading.claims is not None and reading.claims.subscriber_id == SUBSCRIBER
    assert reading.detail == "mail to the List-Unsubscribe address"


def test_a_token_in_the_body_is_taken_when_the_client_dropped_the_subject() -> None:
    token = TOKENS.make(UNSUBSCRIBE, SUBSCRIBER, ADDRESS)
    raw = message("mailto_unsubscribe", address=ADDRESS, token=token)
    raw = raw.replace(f"Subject: unsubscribe {token}".encode(), b"Subject: ").replace(
        "أرجو إلغاء اشتراكي.".encode(), f"unsubscribe {token}".encode()
    )

    reading = _read(raw)

    assert isinstance(reading, Understood) and reading.claims is not None
    assert reading.claims.subscriber_id == SUBSCRIBER


def test_an_expired_token_unsubscribes_nobody_and_says_so() -> None:
    with time_machine.travel(NOW - timedelta(days=400), tick=False):
        token = TOKENS.make(UNSUBSCRIBE, SUBSCRIBER, ADDRESS)

    with time_machine.travel(NOW, tick=False):
        reading = _read(message("mailto_unsubscribe", address=ADDRESS, token=token))

    assert isinstance(reading, Understood) and reading.kind is Kind.UNSUBSCRIBE
    assert reading.claims is None
    assert reading.detail == "mail to the List-Unsubscribe address, token expired"


def test_a_forged_bounce_naming_an_address_in_plain_text_names_nobody() -> None:
    """A made-up signature in a VERP-looking address, the subscriber's address and a Message-ID of
    Nashra's shape: none of it is Nashra's signature."""
    raw = message("forged_bounce", address=ADDRESS, subscriber_id=str(SUBSCRIBER))

    reading = _read(raw)

    assert isinstance(reading, Understood) and reading.kind is Kind.HARD_BOUNCE
    assert (reading.target, reading.claims) == (None, None)


def test_a_delay_warning_is_no_bounce() -> None:
    reading = _read(_bounce("postfix_delayed"))

    assert isinstance(reading, Ignored) and reading.why == "delivery status notification: delayed"


def test_an_out_of_office_reply_quoting_the_unsubscribe_link_unsubscribes_nobody() -> None:
    token = TOKENS.make(UNSUBSCRIBE, SUBSCRIBER, ADDRESS)
    raw = message(
        "vacation",
        address=ADDRESS,
        verp=VERP.address(ISSUE, SUBSCRIBER),
        unsubscribe_url=f"https://oasis.example/unsubscribe/{token}",
    )

    reading = _read(raw)

    assert isinstance(reading, Ignored) and reading.why == "an automatic reply"


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        (random.Random(16).randbytes(3000), "unreadable: no From header: not an email message"),
        (b"", "unreadable: empty"),
        (
            b"From: offers@shop.example\r\nTo: bounces@oasis.example\r\nSubject: 50% off\r\n\r\nBuy now.\r\n",
            "not a bounce, a complaint or an unsubscribe",
        ),
    ],
    ids=["garbage", "empty", "spam"],
)
def test_what_is_no_report_is_kept_with_why(raw: bytes, why: str) -> None:
    reading = _read(raw)

    assert isinstance(reading, Unrecognised) and reading.why == why
    assert reading.key.startswith("mail:sha256:") and reading.key == _read(raw).key


def test_a_message_is_keyed_by_its_message_id() -> None:
    assert _read(_bounce("postfix_hard")).key == "mail:<20261130060211.4QnB1k2Jd8z9vBd@mx.oasis.example>"


FIXTURES = [_bounce(name) for name in ("postfix_hard", "exim_hard", "gmail_hard", "outlook_hard")] + [
    message("arf_abuse", envelope="news@oasis.example", original=_original().decode())
]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(FIXTURES), st.integers(min_value=0, max_value=6000), st.binary(max_size=40))
def test_no_cut_or_damaged_message_makes_the_reader_raise(raw: bytes, cut: int, junk: bytes) -> None:
    damaged = raw[:cut] + junk + raw[cut + len(junk) :]

    reading = _read(damaged)

    assert isinstance(reading, Understood | Ignored | Unrecognised)
