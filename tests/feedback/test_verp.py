"""Per-recipient envelope senders (nashra.mail.verp): made by a real send when `mail.verp` is on,
read back only when Nashra's signature is in them."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from mail.mailkit import DIGESTS_TOML, SmtpServer, populate, record_test_issue
from nashra.digest import find_digest
from nashra.mail.send import send_digest
from nashra.mail.verp import BounceTarget, Verp
from nashra.runtime import Runtime
from nashra.store import subscribers as db


def test_an_address_reads_back_to_its_issue_and_subscriber_even_case_folded() -> None:
    verp = Verp("key", "bounces@news.example")
    address = verp.address(42, 1234567)

    assert address.startswith("bounces+42-1234567-") and address.endswith("@news.example")
    assert len(address.partition("@")[0]) <= 64
    assert verp.read(address) == BounceTarget(42, 1234567)
    assert verp.read(address.upper()) == BounceTarget(42, 1234567)
    assert verp.read(f"Final-Recipient: rfc822; <{address}>") == BounceTarget(42, 1234567)


@pytest.mark.parametrize(
    "address",
    [
        "bounces@news.example",
        "bounces+42-99-0123456789abcdef@news.example",  # numbers a stranger picked
        "bounces+43-1234567-{sig}@news.example",  # another issue with this signature
        "bounces+42-1234568-{sig}@news.example",
    ],
)
def test_an_address_without_nashras_signature_reads_as_nobody(address: str) -> None:
    verp = Verp("key", "bounces@news.example")
    signature = verp.address(42, 1234567).split("-")[2].partition("@")[0]

    assert verp.read(address.format(sig=signature)) is None
    assert Verp("another key", "bounces@news.example").read(verp.address(42, 1234567)) is None


@pytest.mark.sqlite_only
def test_each_message_of_a_send_has_its_own_signed_envelope_sender(
    make_runtime: Callable[[str], Runtime], smtp_server: SmtpServer
) -> None:
    runtime = make_runtime(
        smtp_server.toml(extra='return_path = "bounces@oasis.example"\nverp = true') + DIGESTS_TOML
    )
    populate(runtime, ["samir@example.com", "leila@example.org"])
    issue_id = record_test_issue(runtime)

    summary = send_digest(runtime, find_digest(runtime.settings, "daily"), sleep=lambda s: None)

    assert summary.sent == 2
    verp = Verp("test-secret-for-mail-tests", "bounces@oasis.example")
    with runtime.store.connect() as conn:
        ids = {a: db.find_subscriber(conn, a).id for a in ("samir@example.com", "leila@example.org")}  # type: ignore[union-attr]
    senders = {m.recipients[0]: m.mail_from for m in smtp_server.handler.messages}
    assert {a: verp.read(s) for a, s in senders.items()} == {
        a: BounceTarget(issue_id, i) for a, i in ids.items()
    }


@pytest.mark.sqlite_only
def test_without_verp_every_message_has_the_return_path(
    make_runtime: Callable[[str], Runtime], smtp_server: SmtpServer
) -> None:
    runtime = make_runtime(smtp_server.toml(extra='return_path = "bounces@oasis.example"') + DIGESTS_TOML)
    populate(runtime, ["samir@example.com", "leila@example.org"])
    record_test_issue(runtime)

    send_digest(runtime, find_digest(runtime.settings, "daily"), sleep=lambda s: None)

    assert [m.mail_from for m in smtp_server.handler.messages] == ["bounces@oasis.example"] * 2
