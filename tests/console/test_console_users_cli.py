"""`nashra users add|list|set-role|disable|enable|passwd`: the password comes from a prompt or
standard input (never the command line), and every change is in the audit log."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from typer.testing import CliRunner

from nashra.accounts import passwords
from nashra.cli import app
from nashra.runtime import Runtime
from nashra.store.audit import recent_entries
from nashra.store.users import Role, find_user

pytestmark = pytest.mark.usefixtures("restore_logging")


def test_users_commands_change_accounts_and_audit(make_runtime: Callable[[str], Runtime]) -> None:
    runtime = make_runtime("")
    config = ["--config", str(runtime.settings.origin)]
    runner = CliRunner()

    added = runner.invoke(
        app,
        [*config, "users", "add", "Chief@Oasis.example", "--role", "admin", "--password-stdin"],
        input="a-long-admin-password\n",
    )
    assert added.exit_code == 0, added.output
    assert "chief@oasis.example" in added.output and "admin" in added.output
    prompted = runner.invoke(
        app,
        [*config, "users", "add", "desk@oasis.example", "--role", "viewer"],
        input="desk-password-123\ndesk-password-123\n",
    )
    assert prompted.exit_code == 0, prompted.output
    assert "desk-password-123" not in prompted.output  # the prompt hides what is typed

    listed = runner.invoke(app, [*config, "users", "list"])
    assert listed.exit_code == 0 and "chief@oasis.example" in listed.output and "viewer" in listed.output

    assert runner.invoke(app, [*config, "users", "set-role", "desk@oasis.example", "editor"]).exit_code == 0
    changed = runner.invoke(
        app,
        [*config, "users", "passwd", "desk@oasis.example", "--password-stdin"],
        input="another-password\n",
    )
    assert changed.exit_code == 0, changed.output
    assert runner.invoke(app, [*config, "users", "disable", "desk@oasis.example"]).exit_code == 0
    assert runner.invoke(app, [*config, "users", "enable", "desk@oasis.example"]).exit_code == 0

    short = runner.invoke(
        app, [*config, "users", "passwd", "desk@oasis.example", "--password-stdin"], input="x\n"
    )
    assert short.exit_code != 0 and "at least 10" in str(short.exception)
    unknown = runner.invoke(app, [*config, "users", "disable", "ghost@oasis.example"])
    assert unknown.exit_code != 0 and "no operator" in str(unknown.exception)

    with runtime.store.connect() as conn:
        desk = find_user(conn, "desk@oasis.example")
        actions = [(e.action, e.target) for e in reversed(recent_entries(conn))]
        actors = {e.actor for e in recent_entries(conn)}
    assert desk is not None and desk.role is Role.EDITOR and desk.active
    assert passwords.verify_password(desk.password_hash, "another-password")
    assert actions == [
        ("user.add", "chief@oasis.example"),
        ("user.add", "desk@oasis.example"),
        ("user.role", "desk@oasis.example"),
        ("user.password", "desk@oasis.example"),
        ("user.disable", "desk@oasis.example"),
        ("user.enable", "desk@oasis.example"),
    ]
    assert len(actors) == 1 and next(iter(actors)).startswith("cli:")


@pytest.mark.sqlite_only
def test_a_password_is_never_an_argument(make_runtime: Callable[[str], Runtime]) -> None:
    runtime = make_runtime("")
    result = CliRunner().invoke(
        app,
        ["--config", str(runtime.settings.origin), "users", "add", "a@oasis.example", "--password", "secret"],
    )
    assert result.exit_code != 0 and "No such option" in result.output
