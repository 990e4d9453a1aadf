"""Sticky statuses (issue #11, item 6): an import never revives an unsubscribed, complained or
bounced address and says so; only `subscribers reactivate` (with a reason, recorded) or the person's
fresh confirmation does."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from nashra.cli import app
from nashra.config import Settings
from nashra.runtime import Runtime
from nashra.store import Store
from nashra.store import subscribers as db
from nashra.subscribers import add_subscriber
from nashra.subscribers.csvio import import_csv
from nashra.subscribers.manage import NotSuppressed, reactivate_subscriber

NOW = datetime(2026, 11, 30, 6, 0, tzinfo=UTC)


def _reason(store: Store, address: str) -> str | None:
    with store.connect() as conn:
        return conn.execute(
            select(db.subscribers.c.status_reason).where(db.subscribers.c.email == address)
        ).scalar_one()


def test_import_keeps_every_sticky_status_and_counts_it(
    make_runtime: Callable[[str], Runtime], tmp_path: Path
) -> None:
    runtime = make_runtime("")
    with runtime.store.begin() as conn:
        for status in ("unsubscribed", "complained", "bounced"):
            found = add_subscriber(conn, f"{status}@example.com", now=NOW)
            db.set_status(conn, found.subscriber_id, db.SubscriberStatus(status), now=NOW, reason="x")
    path = tmp_path / "all.csv"
    path.write_text(
        "email,status,name\nunsubscribed@example.com,active,أ\ncomplained@example.com,pending,ب\n"
        "bounced@example.com,,ج\n",
        encoding="utf-8",
    )
    report = import_csv(runtime.store.begin, path, list_name="vip", now=NOW + timedelta(days=1))
    assert (report.added, report.updated, report.unchanged, report.kept, report.errors) == (0, 0, 0, 3, [])
    with runtime.store.connect() as conn:
        assert db.count_by_status(conn) == {"unsubscribed": 1, "complained": 1, "bounced": 1}
        assert db.count_by_status(conn, list_name="vip") == {}


def test_status_changes_are_stamped(store: Store) -> None:
    with store.begin() as conn:
        found = add_subscriber(conn, "t@example.com", now=NOW)
        assert db.get_subscriber(conn, found.subscriber_id).status_changed_at == NOW  # type: ignore[union-attr]
        later = NOW + timedelta(hours=3)
        db.update_subscriber(conn, found.subscriber_id, now=later, name="تاء")
        assert db.get_subscriber(conn, found.subscriber_id).status_changed_at == NOW  # type: ignore[union-attr]
        db.set_status(conn, found.subscriber_id, db.SubscriberStatus.BOUNCED, now=later, reason="5.1.1")
        assert db.get_subscriber(conn, found.subscriber_id).status_changed_at == later  # type: ignore[union-attr]


def test_reactivate_lifts_a_sticky_status_with_its_reason(store: Store) -> None:
    with store.begin() as conn:
        add_subscriber(conn, "r@example.com", now=NOW)
        add_subscriber(conn, "fine@example.com", now=NOW)
        found = db.find_subscriber(conn, "r@example.com")
        assert found is not None
        db.set_status(conn, found.id, db.SubscriberStatus.BOUNCED, now=NOW, reason="550 5.7.1")
        assert (
            reactivate_subscriber(conn, "R@example.com", reason="relay misconfigured", now=NOW) == "bounced"
        )
        with pytest.raises(NotSuppressed):
            reactivate_subscriber(conn, "fine@example.com", reason="why not", now=NOW)
        with pytest.raises(NotSuppressed):
            reactivate_subscriber(conn, "nobody@example.com", reason="why not", now=NOW)
    with store.connect() as conn:
        assert db.find_subscriber(conn, "r@example.com").status == "active"  # type: ignore[union-attr]
    assert _reason(store, "r@example.com") == "reactivated by operator (was bounced): relay misconfigured"


@pytest.mark.usefixtures("restore_logging")
def test_cli_reactivate_needs_a_reason_and_records_it(
    make_settings: Callable[[str], Settings],
) -> None:
    settings = make_settings("")
    config = ["--config", str(settings.origin)]
    runner = CliRunner()
    assert runner.invoke(app, [*config, "subscribers", "add", "hana@example.com"]).exit_code == 0
    assert runner.invoke(app, [*config, "subscribers", "remove", "hana@example.com"]).exit_code == 0

    assert runner.invoke(app, [*config, "subscribers", "reactivate", "hana@example.com"]).exit_code != 0
    done = runner.invoke(
        app, [*config, "subscribers", "reactivate", "hana@example.com", "--reason", "asked by phone"]
    )
    assert done.exit_code == 0, done.output
    assert "reactivated hana@example.com (was unsubscribed)" in done.output
    again = runner.invoke(app, [*config, "subscribers", "reactivate", "hana@example.com", "--reason", "x"])
    assert again.exit_code == 1 and "not unsubscribed, bounced or complained" in again.output
    with Runtime.open(settings) as runtime:
        assert _reason(runtime.store, "hana@example.com") == (
            "reactivated by operator (was unsubscribed): asked by phone"
        )
