"""What can be done to an operator account, each change audited in its own transaction.

Shared by `nashra users` and the console's users and password pages. Changing a password or
disabling an account ends the operator's sessions; changing a role does not need to (every request
reads the role afresh).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import Connection

from nashra.accounts import passwords
from nashra.errors import NashraError
from nashra.store import audit
from nashra.store.sessions import revoke_user_sessions
from nashra.store.users import Role, User, find_user, insert_user, update_user
from nashra.subscribers.addresses import InvalidAddress, normalise_email

Change = Callable[[Connection, str, datetime], object]
"""One of the changes below with its arguments bound: (connection, actor, now)."""


class AccountError(NashraError):
    """A change an operator asked for that cannot be made (the message says why)."""


def _checked_password(password: str) -> str:
    if len(password) < passwords.MIN_LENGTH:
        raise AccountError(f"a password needs at least {passwords.MIN_LENGTH} characters")
    return password


def _existing(conn: Connection, email: str) -> User:
    try:
        found = find_user(conn, normalise_email(email))
    except InvalidAddress:
        found = None
    if found is None:
        raise AccountError(f"no operator {email!r}; `nashra users list` shows them")
    return found


def add_user(conn: Connection, email: str, role: Role, password: str, *, actor: str, now: datetime) -> int:
    try:
        address = normalise_email(email)
    except InvalidAddress as exc:
        raise AccountError(str(exc)) from None
    if find_user(conn, address) is not None:
        raise AccountError(f"operator {address} already exists")
    hashed = passwords.hash_password(_checked_password(password))
    user_id = insert_user(conn, email=address, role=role, password_hash=hashed, now=now)
    audit.record(conn, actor=actor, action="user.add", target=address, now=now, role=role.value)
    return user_id


def set_role(conn: Connection, email: str, role: Role, *, actor: str, now: datetime) -> None:
    user = _existing(conn, email)
    update_user(conn, user.id, now=now, role=role)
    audit.record(
        conn,
        actor=actor,
        action="user.role",
        target=user.email,
        now=now,
        **{"from": user.role.value, "to": role.value},
    )


def set_disabled(conn: Connection, email: str, disabled: bool, *, actor: str, now: datetime) -> None:
    """Disable (ending every session) or enable an operator."""
    user = _existing(conn, email)
    update_user(conn, user.id, now=now, disabled_at=now if disabled else None)
    if disabled:
        ended = revoke_user_sessions(conn, user.id, now=now)
        audit.record(
            conn, actor=actor, action="user.disable", target=user.email, now=now, sessions_ended=ended
        )
    else:
        audit.record(conn, actor=actor, action="user.enable", target=user.email, now=now)


def change_password(conn: Connection, email: str, password: str, *, actor: str, now: datetime) -> None:
    """Set a new password and end every session of the operator (a stolen cookie stops working)."""
    user = _existing(conn, email)
    update_user(conn, user.id, now=now, password_hash=passwords.hash_password(_checked_password(password)))
    ended = revoke_user_sessions(conn, user.id, now=now)
    audit.record(conn, actor=actor, action="user.password", target=user.email, now=now, sessions_ended=ended)


def authenticate(conn: Connection, email: str, password: str) -> User | None:
    """The active operator with this email and password, else None. One argon2 check whatever
    the case (no such account, disabled, wrong password), so timing tells nothing; an old hash is
    upgraded to the current parameters."""
    try:
        user = find_user(conn, normalise_email(email))
    except InvalidAddress:
        user = None
    matched = passwords.verify_password(user.password_hash if user else None, password)
    if user is None or not matched or not user.active:
        return None
    if passwords.needs_rehash(user.password_hash):
        # Not a change the operator made: `updated_at` stays.
        update_user(conn, user.id, now=user.updated_at, password_hash=passwords.hash_password(password))
    return user
