"""Mail that reaches real mailboxes carries links to `nashra serve` (unsubscribe, confirm): they must
point at a public https address, not at the default http://127.0.0.1:8080. Sending refuses to start
without one; the file transport and previews keep working, with a warning."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import pytest
from mailkit import WEB_TOML, SmtpServer, populate
from sqlalchemy import func, select
from typer.testing import CliRunner

from nashra.cli import app
from nashra.config import Settings
from nashra.errors import ConfigError
from nashra.mail.send import send_digest
from nashra.mail.transports import make_transport
from nashra.runtime import Runtime
from nashra.store.deliveries import deliveries
from nashra.store.digests import digest_issues
from nashra.web.app import create_app

DIGEST = '[[digests]]\nname = "daily"\n'


def _smtp(public_url: str | None) -> str:
    web = f'[web]\npublic_url = "{public_url}"\n\n' if public_url else ""
    return f'{web}[mail]\ntransport = "smtp"\n\n[mail.smtp]\nhost = "127.0.0.1"\nport = 2525\n'


@pytest.mark.parametrize(
    "public_url",
    [
        None,
        "http://news.example/newsletter",
        "https://localhost:8080",
        "https://127.0.0.1",
        "https://10.1.2.3/news",
        "https://[::1]:8443",
    ],
)
@pytest.mark.sqlite_only
def test_real_mail_without_a_public_https_address_is_a_config_error(
    make_settings: Callable[[str], Settings], public_url: str | None
) -> None:
    settings = make_settings(_smtp(public_url))
    with pytest.raises(ConfigError) as caught:
        make_transport(settings)
    [problem] = caught.value.problems
    lines = Path(settings.origin).read_text(encoding="utf-8").splitlines()
    line = next((n for n, text in enumerate(lines, 1) if text.startswith("public_url")), None)
    where = f"{settings.origin}:{line}" if line else settings.origin
    assert problem.startswith(f"{where}: web.public_url: mail sent by 'smtp' links every reader to ")
    assert "set web.public_url to the public https address of `nashra serve`" in problem


@pytest.mark.sqlite_only
def test_a_public_https_address_lets_real_mail_go_and_files_need_none(
    make_settings: Callable[[str], Settings], caplog: pytest.LogCaptureFixture
) -> None:
    assert make_transport(make_settings(_smtp("https://news.example/newsletter"))) is not None
    with caplog.at_level(logging.WARNING):
        assert make_transport(make_settings('[mail]\ntransport = "file"\n')) is not None
    assert "mail.links_not_public" in caplog.text  # a warning, not an error, for files on disk


def test_digest_send_refuses_to_start_and_records_nothing(
    make_runtime: Callable[[str], Runtime], smtp_server: SmtpServer, tmp_path: Path
) -> None:
    runtime = make_runtime(smtp_server.toml().replace(WEB_TOML, "") + DIGEST)
    populate(runtime, ["one@example.com"])
    with pytest.raises(ConfigError, match=r"web\.public_url"):
        send_digest(runtime, runtime.settings.digests[0])
    with runtime.store.connect() as conn:
        assert conn.execute(select(func.count()).select_from(digest_issues)).scalar_one() == 0
        assert conn.execute(select(func.count()).select_from(deliveries)).scalar_one() == 0
    assert smtp_server.handler.messages == []

    config = tmp_path / "nashra.toml"
    result = CliRunner().invoke(app, ["--config", str(config), "digest", "send", "daily"])
    assert isinstance(result.exception, ConfigError)  # main() prints it as one line, exit code 2


@pytest.mark.sqlite_only
def test_the_web_app_refuses_to_start_when_confirmation_mail_would_link_to_it_privately(
    make_runtime: Callable[[str], Runtime], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NASHRA_SECRET", "web-test-secret")
    runtime = make_runtime(_smtp(None))
    with pytest.raises(ConfigError, match=r"web\.public_url"):
        create_app(runtime.settings, runtime=runtime)
