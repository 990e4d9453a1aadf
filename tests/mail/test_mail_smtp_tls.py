"""STARTTLS and implicit TLS with AUTH against aiosmtpd on 127.0.0.1, configured as an operator would
(a private CA file, the password in an environment variable); a wrong password is a clear error."""

from __future__ import annotations

import ssl
from collections.abc import Callable
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from mailkit import DIGESTS_TOML, WEB_TOML, RecordingHandler, populate, record_test_issue

from loopback import free_port, self_signed_certificate
from nashra.digest import find_digest
from nashra.errors import DeliveryError
from nashra.mail.send import send_digest
from nashra.runtime import Runtime

# aiosmtpd's own warnings about the test server's set-up (implicit TLS it cannot see; its API).
pytestmark = pytest.mark.filterwarnings(
    "ignore:Requiring AUTH while not requiring TLS:UserWarning", "ignore:Session.login_data is deprecated"
)


def _authenticator(server, session, envelope, mechanism, auth_data):  # type: ignore[no-untyped-def]
    ok = isinstance(auth_data, LoginPassword) and (bytes(auth_data.login), bytes(auth_data.password)) == (
        b"news",
        b"s3cret-pass",
    )
    return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd sends the 235/535 itself


@pytest.mark.sqlite_only
@pytest.mark.parametrize("security", ["starttls", "tls"])
def test_tls_and_auth_deliver(
    make_runtime: Callable[[str], Runtime], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, security: str
) -> None:
    cert, key = self_signed_certificate(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    handler = RecordingHandler()
    port = free_port()
    # Implicit TLS wraps the socket below aiosmtpd, which then cannot tell AUTH is protected.
    tls = (
        {"tls_context": context, "require_starttls": True}
        if security == "starttls"
        else {"ssl_context": context, "auth_require_tls": False}
    )
    # LOGIN is left out: smtplib sends it with an initial response that aiosmtpd 1.4 does not expect.
    controller = Controller(
        handler,
        hostname="127.0.0.1",
        port=port,
        authenticator=_authenticator,
        auth_required=True,
        auth_exclude_mechanism=["LOGIN"],
        **tls,
    )
    controller.start()
    try:
        toml = (
            f'{WEB_TOML}[mail]\ntransport = "smtp"\nfrom_address = "news@oasis.example"\n[mail.smtp]\nhost = "127.0.0.1"\n'
            f'port = {port}\nsecurity = "{security}"\nusername = "news"\npassword_env = "RELAY_PASSWORD"\n'
            f'ca_file = "{cert}"\nconnections = 2\ntimeout = 10\n' + DIGESTS_TOML
        )
        monkeypatch.setenv("RELAY_PASSWORD", "wrong")
        runtime = make_runtime(toml)
        populate(runtime, ["one@example.com", "two@example.com", "three@example.com"])
        record_test_issue(runtime)
        with pytest.raises(DeliveryError, match="refused the login of 'news'"):
            send_digest(runtime, find_digest(runtime.settings, "daily"))
        assert handler.copies() == {}

        monkeypatch.setenv("RELAY_PASSWORD", "s3cret-pass")
        summary = send_digest(runtime, find_digest(runtime.settings, "daily"))
    finally:
        controller.stop()
    assert (summary.status, summary.sent) == ("sent", 3)
    assert handler.copies() == {"one@example.com": 1, "two@example.com": 1, "three@example.com": 1}
