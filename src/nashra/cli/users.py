"""`nashra users …`: the console's operators. The first admin can only be made here.

A password is typed at a hidden prompt (twice) or read from standard input with `--password-stdin`
(for scripts); never an argument, which `ps` and the shell history would show. Each change is in
the audit log with the actor `cli:<system user>`.
"""

from __future__ import annotations

import getpass
import sys
from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.table import Table

from nashra.accounts import manage
from nashra.cli.app import STATE, app, console
from nashra.store.users import Role, all_users

users_app = typer.Typer(name="users", help="Console operators: add, list, change.", no_args_is_help=True)
app.add_typer(users_app, name="users")

PasswordStdin = Annotated[
    bool, typer.Option("--password-stdin", help="Read the password from standard input (one line).")
]


def _actor() -> str:
    return f"cli:{getpass.getuser()}"


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return str(typer.prompt("Password", hide_input=True, confirmation_prompt=True))


@users_app.command("add")
def add(
    email: str,
    role: Annotated[Role, typer.Option("--role", help="viewer, editor or admin.")] = Role.VIEWER,
    password_stdin: PasswordStdin = False,
) -> None:
    """Add an operator (viewers see; editors also act on digests and posts; admins also manage
    subscribers and operators)."""
    password = _password(password_stdin)
    with STATE.runtime() as runtime, runtime.store.begin() as conn:
        manage.add_user(conn, email, role, password, actor=_actor(), now=datetime.now(UTC))
    console.print(f"operator {email.strip().lower()} added as {role}.", highlight=False)


@users_app.command("list")
def list_users() -> None:
    """Every operator, with role and state."""
    with STATE.runtime() as runtime, runtime.store.connect() as conn:
        found = all_users(conn)
    table = Table("email", "role", "added", "state")
    for user in found:
        state = "active" if user.active else f"disabled {user.disabled_at:%Y-%m-%d %H:%M}Z"
        table.add_row(user.email, user.role, f"{user.created_at:%Y-%m-%d}", state)
    console.print(table)


@users_app.command("set-role")
def set_role(email: str, role: Role) -> None:
    """Change an operator's role (it applies from their next request)."""
    with STATE.runtime() as runtime, runtime.store.begin() as conn:
        manage.set_role(conn, email, role, actor=_actor(), now=datetime.now(UTC))
    console.print(f"operator {email}: now {role}.", highlight=False)


@users_app.command("disable")
def disable(email: str) -> None:
    """Stop an operator from logging in, and end their sessions now."""
    with STATE.runtime() as runtime, runtime.store.begin() as conn:
        manage.set_disabled(conn, email, True, actor=_actor(), now=datetime.now(UTC))
    console.print(f"operator {email}: disabled; `nashra users enable {email}` undoes it.", highlight=False)


@users_app.command("enable")
def enable(email: str) -> None:
    """Let a disabled operator log in again."""
    with STATE.runtime() as runtime, runtime.store.begin() as conn:
        manage.set_disabled(conn, email, False, actor=_actor(), now=datetime.now(UTC))
    console.print(f"operator {email}: enabled.", highlight=False)


@users_app.command("passwd")
def passwd(email: str, password_stdin: PasswordStdin = False) -> None:
    """Set an operator's password (ending their sessions)."""
    password = _password(password_stdin)
    with STATE.runtime() as runtime, runtime.store.begin() as conn:
        manage.change_password(conn, email, password, actor=_actor(), now=datetime.now(UTC))
    console.print(f"operator {email}: password changed, sessions ended.", highlight=False)
