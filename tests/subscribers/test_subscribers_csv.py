"""Subscribers: normalisation, CSV import (bad rows by line, all or nothing unless skip_bad,
idempotent), export, and the CLI commands, on both databases."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from nashra.cli import app
from nashra.config import Settings
from nashra.runtime import Runtime
from nashra.store import subscribers as db
from nashra.subscribers import InvalidAddress, add_subscriber, normalise_email, remove_subscriber
from nashra.subscribers.csvio import export_csv, import_csv

NOW = datetime(2026, 11, 30, 6, 0, tzinfo=UTC)

CSV = """email,name,digests,consent_at
samir@example.com,سمير بن علي,daily,2026-10-01T09:00:00+01:00
not-an-address,بلا عنوان,,
"leila@EXAMPLE.org","ليلى، من ""وهران"" (سطر واحد)",daily;weekly,
SAMIR@example.com,مكرر,,
,فارغ,,
omar@example.net,عمر,,yesterday
x@مثال.com,نطاق عربي,,
"""


def test_normalise_email() -> None:
    assert normalise_email("  Ali@Example.COM ") == "ali@example.com"
    assert normalise_email("x@مثال.com") == "x@xn--mgbh0fb.com"
    for bad in ("", "a..b@example.com", "nobody@", "سمير@example.com"):
        with pytest.raises(InvalidAddress):
            normalise_email(bad)


def test_import_reports_bad_rows_by_line_keeps_good_ones_and_is_idempotent(
    make_runtime: Callable[[str], Runtime],
    tmp_path: Path,
) -> None:
    runtime = make_runtime("")
    path = tmp_path / "readers.csv"
    path.write_text(CSV, encoding="utf-8")

    nothing = import_csv(runtime.store.begin, path, list_name="weekly-readers", now=NOW)
    assert (nothing.added, nothing.updated, nothing.unchanged) == (0, 0, 0)
    assert [line for line, _ in nothing.errors] == [3, 5, 6, 7]
    with runtime.store.connect() as conn:
        assert db.count_by_status(conn) == {}

    report = import_csv(runtime.store.begin, path, list_name="weekly-readers", now=NOW, skip_bad=True)

    assert (report.added, report.updated, report.unchanged) == (3, 0, 0)
    assert report.errors == nothing.errors
    reasons = dict(report.errors)
    assert "not-an-address" in reasons[3]
    assert "repeats line 2" in reasons[5]
    assert "empty" in reasons[6]
    assert "consent_at" in reasons[7]
    with runtime.store.connect() as conn:
        leila = db.find_subscriber(conn, "leila@example.org")
        samir = db.find_subscriber(conn, "samir@example.com")
        assert db.count_by_status(conn, list_name="weekly-readers") == {"active": 3}
    assert (
        leila is not None
        and leila.name == 'ليلى، من "وهران" (سطر واحد)'
        and leila.digests == ("daily", "weekly")
    )
    assert samir is not None and samir.consent_at == datetime(2026, 10, 1, 8, 0, tzinfo=UTC)
    assert samir.consent_source == "import:readers.csv" and samir.lists == ("weekly-readers",)

    again = import_csv(runtime.store.begin, path, list_name="weekly-readers", now=NOW, skip_bad=True)
    assert (again.added, again.updated, again.unchanged) == (0, 0, 3)
    assert again.errors == report.errors
    with runtime.store.connect() as conn:
        assert sum(db.count_by_status(conn).values()) == 3


def test_import_never_reactivates_an_unsubscribed_address(
    make_runtime: Callable[[str], Runtime], tmp_path: Path
) -> None:
    runtime = make_runtime("")
    with runtime.store.begin() as conn:
        add_subscriber(conn, "left@example.com", now=NOW)
        assert remove_subscriber(conn, "LEFT@example.com", now=NOW)
    path = tmp_path / "old.csv"
    path.write_text("email\nleft@example.com\n", encoding="utf-8")
    report = import_csv(runtime.store.begin, path, now=NOW)
    assert (report.added, report.updated, report.unchanged, report.kept, report.errors) == (0, 0, 0, 1, [])
    with runtime.store.connect() as conn:
        assert db.find_subscriber(conn, "left@example.com").status == "unsubscribed"  # type: ignore[union-attr]


def test_export_round_trips(make_runtime: Callable[[str], Runtime]) -> None:
    runtime = make_runtime("")
    with runtime.store.begin() as conn:
        add_subscriber(conn, "b@example.com", now=NOW, name="باء", digests=["daily"])
        add_subscriber(conn, "a@example.com", now=NOW, list_name="vip")
    out = io.StringIO()
    with runtime.store.connect() as conn:
        assert export_csv(conn, out) == 2
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert [(r["email"], r["name"], r["status"], r["digests"], r["lists"]) for r in rows] == [
        ("b@example.com", "باء", "active", "daily", "default"),
        ("a@example.com", "", "active", "", "vip"),
    ]


@pytest.mark.usefixtures("restore_logging")
def test_cli_add_count_export_remove_import(make_settings: Callable[[str], Settings], tmp_path: Path) -> None:
    settings = make_settings("")
    config = ["--config", str(settings.origin)]
    runner = CliRunner()

    added = runner.invoke(app, [*config, "subscribers", "add", "Hana@Example.com", "--name", "هناء"])
    assert added.exit_code == 0, added.output
    assert "added hana@example.com" in added.output
    assert runner.invoke(app, [*config, "subscribers", "add", "hana@example.com"]).stdout.startswith(
        "already there"
    )
    assert runner.invoke(app, [*config, "subscribers", "add", "broken@"]).exit_code == 1

    bad = tmp_path / "bad.csv"
    bad.write_text("email\nok@example.com\nbroken@\n", encoding="utf-8")
    refused = runner.invoke(app, [*config, "subscribers", "import", str(bad), "--list", "default"])
    assert refused.exit_code == 1
    assert "nothing imported" in refused.output and f"{bad}:3:" in refused.output
    with Runtime.open(settings) as runtime, runtime.store.connect() as conn:
        assert db.count_by_status(conn) == {"active": 1}
    imported = runner.invoke(app, [*config, "subscribers", "import", str(bad), "--skip-bad"])
    assert imported.exit_code == 1
    assert "added 1" in imported.output and f"{bad}:3:" in imported.output

    counted = runner.invoke(app, [*config, "subscribers", "count"])
    assert counted.exit_code == 0 and "active" in counted.output
    with Runtime.open(settings) as runtime, runtime.store.connect() as conn:
        assert db.count_by_status(conn) == {"active": 2}

    exported = tmp_path / "out.csv"
    assert runner.invoke(app, [*config, "subscribers", "export", "--out", str(exported)]).exit_code == 0
    assert [r["email"] for r in csv.DictReader(exported.open(encoding="utf-8"))] == [
        "hana@example.com",
        "ok@example.com",
    ]

    removed = runner.invoke(app, [*config, "subscribers", "remove", "hana@example.com"])
    assert removed.exit_code == 0
    assert runner.invoke(app, [*config, "subscribers", "remove", "nobody@example.com"]).exit_code == 1
    with Runtime.open(settings) as runtime, runtime.store.connect() as conn:
        assert db.count_by_status(conn) == {"active": 1, "unsubscribed": 1}
