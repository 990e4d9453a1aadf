"""The message built once and spliced per recipient decodes, with the standard library, to exactly
the issue's text and HTML with that recipient's values — whatever the byte alignment."""

from __future__ import annotations

import base64
import email
import html
from datetime import UTC, datetime
from email import policy
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nashra.config.mail import DkimSettings, MailSettings
from nashra.digest.placeholders import CLICK_READER
from nashra.mail.message import SUBSCRIBER_EMAIL, UNSUBSCRIBE_URL, MessageTemplate, Personal, dkim_signer

MAIL = MailSettings(from_address="نشرة الواحة <news@oasis.example>", reply_to="التحرير <desk@oasis.example>")
DATE = datetime(2026, 11, 30, 6, 0, tzinfo=UTC)


def _template(text: str, html_body: str, **kwargs: object) -> MessageTemplate:
    return MessageTemplate(
        MAIL,
        subject="نشرة الواحة — العدد الأول",
        html_body=html_body,
        text_body=text,
        date=DATE,
        list_id="نشرة الواحة <daily.oasis.example>",
        **kwargs,
    )  # type: ignore[arg-type]


def _person(
    email_address: str = "reader@example.com",
    name: str = "",
    url: str = "https://oasis.example/u/tok",
    click_reader: str = "",
) -> Personal:
    return Personal(
        email_address,
        name,
        "7.42",
        url,
        "mailto:unsubscribe@oasis.example?subject=unsubscribe%20tok",
        click_reader,
    )


pieces = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\r%"), max_size=40
)


@settings(max_examples=150, deadline=None)
@given(
    parts=st.lists(pieces, min_size=1, max_size=6),
    url_tail=st.text(alphabet="abcXYZ019-_.", max_size=9),
    local=st.text(alphabet="abcdefgh", min_size=1, max_size=7),
    reader=st.text(alphabet="abcXYZ019-_./", max_size=11),
)
def test_splicing_decodes_to_the_filled_parts_at_every_alignment(
    parts: list[str], url_tail: str, local: str, reader: str
) -> None:
    tokens = [UNSUBSCRIBE_URL, SUBSCRIBER_EMAIL, CLICK_READER]
    body = "".join(p + tokens[i % 3] for i, p in enumerate(parts[:-1])) + parts[-1]
    person = _person(
        f"{local}@example.com", url=f"https://oasis.example/u/{url_tail}?a=1&b=2", click_reader=reader
    )
    raw = _template(body, f"<p>{body}</p>").render(person)
    message = email.message_from_bytes(raw, policy=policy.default)
    expected = (
        body.replace(UNSUBSCRIBE_URL, person.unsubscribe_url)
        .replace(SUBSCRIBER_EMAIL, person.email)
        .replace(CLICK_READER, reader)
    )
    assert message.get_body(("plain",)).get_content() == expected.replace("\r\n", "\n")
    expected_html = (
        f"<p>{body}</p>".replace(UNSUBSCRIBE_URL, html.escape(person.unsubscribe_url))
        .replace(SUBSCRIBER_EMAIL, html.escape(person.email))
        .replace(CLICK_READER, reader)
    )
    assert message.get_body(("html",)).get_content() == expected_html


def test_wire_format_limits_and_headers() -> None:
    text = ("سطر عربي طويل جدًا " * 200) + f"\n.سطر يبدأ بنقطة\n{UNSUBSCRIBE_URL}\n"
    raw = _template(text, "<p>" + "ن" * 5000 + f'</p><a href="{UNSUBSCRIBE_URL}">x</a>').render(
        _person(name='أمينة "الكاتبة"، من وهران')
    )
    lines = raw.split(b"\r\n")
    assert b"\n" not in raw.replace(b"\r\n", b"") and b"\r" not in raw.replace(b"\r\n", b"")
    assert max(len(line) for line in lines) <= 998
    header_end = lines.index(b"")
    assert all(len(line) <= 78 for line in lines[:header_end] if not line.startswith(b"List-Unsubscribe:"))
    assert all(len(line) <= 76 for line in lines[header_end + 1 :])
    assert not any(line.startswith(b".") for line in lines)
    assert raw.isascii()
    message = email.message_from_bytes(raw, policy=policy.default)
    assert message["To"].addresses[0].display_name == 'أمينة "الكاتبة"، من وهران'
    assert message["Reply-To"].addresses[0].addr_spec == "desk@oasis.example"
    assert message["Subject"] == "نشرة الواحة — العدد الأول"
    assert message["Date"].datetime == DATE
    assert message["Message-ID"] == "<7.42@oasis.example>"


def test_dkim_signature_verifies(tmp_path: Path) -> None:
    rsa = pytest.importorskip(
        "cryptography.hazmat.primitives.asymmetric.rsa", reason="needs cryptography to make a key"
    )
    import dkim
    from cryptography.hazmat.primitives import serialization

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    key_path = tmp_path / "nashra.private"
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    mail = MAIL.model_copy(update={"dkim": DkimSettings(selector="s2026", key_path=key_path)})
    signer = dkim_signer(mail, key_path)
    assert signer is not None
    raw = MessageTemplate(
        mail,
        subject="نشرة موقّعة",
        html_body=f"<p>{SUBSCRIBER_EMAIL}</p>",
        text_body=UNSUBSCRIBE_URL,
        date=DATE,
        list_id="l <daily.oasis.example>",
        signer=signer,
    ).render(_person())
    assert raw.startswith(b"DKIM-Signature:")
    record = b"v=DKIM1; k=rsa; p=" + base64.b64encode(public)

    def dns(name: bytes, timeout: int = 5) -> bytes:
        assert name == b"s2026._domainkey.oasis.example."
        return record

    assert dkim.verify(raw, dnsfunc=dns)
    signature = raw.split(b"\r\n\r\n", 1)[0]
    assert b"list-unsubscribe-post" in signature.lower() and b"d=oasis.example" in signature
    assert not dkim.verify(raw.replace(b"oasis.example/u/tok", b"oasis.example/u/TOK"), dnsfunc=dns)
