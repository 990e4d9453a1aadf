"""Only one process sends a digest at a time: a second sender backs off instead of re-queueing the
first one's in-flight rows (which would send them twice)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from mailkit import populate, record_test_issue

from nashra.config import Settings
from nashra.config.digests import DigestSettings
from nashra.mail.lock import sender_lock
from nashra.mail.send import send_digest
from nashra.runtime import Runtime

TOML = '[[digests]]\nname = "daily"\n'


def _emls(settings: Settings) -> list[Path]:
    folder = settings.outbox_dir / "mail"
    return sorted(folder.glob("*.eml")) if folder.is_dir() else []


def test_second_sender_backs_off_while_the_first_holds_the_digest(
    make_settings: Callable[[str], Settings],
) -> None:
    settings = make_settings(TOML)
    digest = DigestSettings(name="daily")
    with Runtime.open(settings) as runtime:
        populate(runtime, ["a@example.com", "b@example.com"])
        record_test_issue(runtime)
        with sender_lock(runtime.store, "daily") as first:
            assert first
            with sender_lock(runtime.store, "daily") as second:
                assert not second, "a second holder must be refused"
            with sender_lock(runtime.store, "weekly") as other:
                assert other, "other digests are independent"
            busy = send_digest(runtime, digest)
            assert busy.status == "busy" and busy.sent == 0
            assert _emls(settings) == []
        done = send_digest(runtime, digest)
    assert done.status == "sent" and done.sent == 2
    assert len(_emls(settings)) == 2
