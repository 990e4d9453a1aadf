"""Files holding personal data are owner-only (0600, folders 0700) even under a permissive umask:
the SQLite database and its -wal/-shm, `.eml` files, CSV exports, the link-signing key."""

from __future__ import annotations

import csv
import os
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from nashra.cli import app
from nashra.config import Settings
from nashra.mail.transport import Envelope, send_one
from nashra.mail.transports import make_transport
from nashra.runtime import Runtime
from nashra.signing_key import load_secret
from nashra.store.database import open_store
from nashra.subscribers import add_subscriber

NOW = datetime(2026, 11, 30, 6, 0, tzinfo=UTC)


def mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


@pytest.fixture(autouse=True)
def permissive_umask() -> Iterator[None]:
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def test_sqlite_database_wal_and_shm_and_their_folder(tmp_path: Path) -> None:
    path = tmp_path / "fresh" / "data" / "nashra.db"
    store = open_store(f"sqlite:///{path}")
    try:
        with store.begin() as conn:
            add_subscriber(conn, "reader@example.com", now=NOW, name="قارئ")
        with store.connect():
            wal, shm = Path(f"{path}-wal"), Path(f"{path}-shm")
            assert wal.exists() and shm.exists()
            assert (mode(path), mode(wal), mode(shm)) == (0o600, 0o600, 0o600)
        assert mode(path.parent) == 0o700
    finally:
        store.close()


@pytest.mark.sqlite_only
def test_eml_files_and_the_mail_folder(make_settings: Callable[[str], Settings]) -> None:
    settings = make_settings('[mail]\ntransport = "file"\n')
    envelope = Envelope(sender="news@example.com", recipient="reader@example.com", key="issue-1-reader")
    send_one(make_transport(settings), envelope, b"Subject: x\r\n\r\nbody\r\n")
    folder = settings.outbox_dir / "mail"
    [eml] = folder.glob("*.eml")
    assert (mode(eml), mode(folder)) == (0o600, 0o700)


@pytest.mark.sqlite_only
def test_secret_key_and_data_folder(
    make_settings: Callable[[str], Settings], monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = make_settings("")
    monkeypatch.delenv(settings.mail.secret_env, raising=False)
    assert not settings.data_dir.exists()
    assert load_secret(settings)
    assert mode(settings.data_dir / "secret.key") == 0o600
    assert mode(settings.data_dir) == 0o700


@pytest.mark.sqlite_only
@pytest.mark.usefixtures("restore_logging")
def test_csv_export_file_even_over_an_existing_one(
    make_runtime: Callable[[str], Runtime], tmp_path: Path
) -> None:
    runtime = make_runtime("")
    with runtime.store.begin() as conn:
        add_subscriber(conn, "reader@example.com", now=NOW, name="قارئ")
    out = tmp_path / "readers.csv"
    out.write_text("old\n", encoding="utf-8")
    out.chmod(0o644)
    config = ["--config", str(runtime.settings.origin)]
    result = CliRunner().invoke(app, [*config, "subscribers", "export", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert [r["email"] for r in csv.DictReader(out.open(encoding="utf-8"))] == ["reader@example.com"]
    assert mode(out) == 0o600


@pytest.mark.usefixtures("restore_logging")
def test_init_makes_the_data_folder_private(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["init", str(tmp_path / "site")])
    assert result.exit_code == 0, result.output
    assert mode(tmp_path / "site" / "data") == 0o700
    assert mode(tmp_path / "site" / "public") == 0o755
