"""Operators, passwords and sessions in the store (issue #15): argon2id hashes, sessions that
expire, go idle and end on logout or a password change, and an audit row for every change."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from nashra.accounts import manage, passwords
from nashra.accounts.sessions import IDLE, LIFETIME, current_session, end_session, open_session
from nashra.store import Store
from nashra.store.audit import recent_entries
from nashra.store.users import Role, find_user

NOW = datetime(2026, 12, 1, 7, 0, tzinfo=UTC)
PASSWORD = "زيتون-الشرق-2026"


def test_hashes_are_argon2id_with_their_parameters() -> None:
    hashed = passwords.hash_password(PASSWORD)
    assert hashed.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert passwords.verify_password(hashed, PASSWORD)
    assert not passwords.verify_password(hashed, PASSWORD + "x")
    assert passwords.hash_password(PASSWORD) != hashed  # salted
    assert not passwords.verify_password(None, PASSWORD)  # unknown account: a dummy hash is checked


def test_add_user_hashes_and_audits(store: Store) -> None:
    with store.begin() as conn:
        manage.add_user(conn, "Editor@Oasis.example", Role.EDITOR, PASSWORD, actor="cli:root", now=NOW)
        user = find_user(conn, "editor@oasis.example")
        entries = recent_entries(conn)
    assert user is not None and user.role is Role.EDITOR and user.active
    assert PASSWORD not in user.password_hash and user.password_hash.startswith("$argon2id$")
    assert [(e.actor, e.action, e.target, e.details) for e in entries] == [
        ("cli:root", "user.add", "editor@oasis.example", {"role": "editor"})
    ]


def test_add_user_refuses_a_short_password_and_a_second_account(store: Store) -> None:
    with store.begin() as conn:
        with pytest.raises(manage.AccountError, match="at least 10"):
            manage.add_user(conn, "a@oasis.example", Role.ADMIN, "short", actor="cli:root", now=NOW)
        manage.add_user(conn, "a@oasis.example", Role.ADMIN, PASSWORD, actor="cli:root", now=NOW)
        with pytest.raises(manage.AccountError, match="already exists"):
            manage.add_user(conn, "A@oasis.example", Role.VIEWER, PASSWORD, actor="cli:root", now=NOW)


def test_sessions_expire_go_idle_and_end(store: Store) -> None:
    with store.begin() as conn:
        user_id = manage.add_user(conn, "v@oasis.example", Role.VIEWER, PASSWORD, actor="cli:root", now=NOW)
        token, opened = open_session(conn, user_id, now=NOW)
    assert len(token) >= 40 and opened.user.email == "v@oasis.example" and opened.csrf_token

    with store.begin() as conn:
        # Used within the idle timeout: still open, and seen again.
        for step in range(1, 6):
            at = NOW + step * (IDLE - timedelta(minutes=1))
            if at >= NOW + LIFETIME:
                break
            assert current_session(conn, token, now=at) is not None
        assert current_session(conn, token, now=NOW + LIFETIME) is None  # absolute expiry
        assert current_session(conn, "not-a-token", now=NOW) is None

    with store.begin() as conn:
        idle, _ = open_session(conn, user_id, now=NOW)
        assert current_session(conn, idle, now=NOW + IDLE + timedelta(seconds=1)) is None

    with store.begin() as conn:
        ended, _ = open_session(conn, user_id, now=NOW)
        end_session(conn, ended, actor="v@oasis.example", now=NOW)
        assert current_session(conn, ended, now=NOW) is None
        assert recent_entries(conn, limit=1)[0].action == "logout"


def test_password_change_disable_and_role_end_sessions_and_audit(store: Store) -> None:
    with store.begin() as conn:
        user_id = manage.add_user(conn, "e@oasis.example", Role.EDITOR, PASSWORD, actor="cli:root", now=NOW)
        first, _ = open_session(conn, user_id, now=NOW)
        manage.change_password(
            conn, "e@oasis.example", "a-new-long-password", actor="e@oasis.example", now=NOW
        )
        assert current_session(conn, first, now=NOW) is None
        user = find_user(conn, "e@oasis.example")
        assert user is not None and passwords.verify_password(user.password_hash, "a-new-long-password")

        second, _ = open_session(conn, user_id, now=NOW)
        manage.set_role(conn, "e@oasis.example", Role.ADMIN, actor="cli:root", now=NOW)
        manage.set_disabled(conn, "e@oasis.example", True, actor="cli:root", now=NOW)
        assert current_session(conn, second, now=NOW) is None
        with pytest.raises(manage.AccountError, match="no operator"):
            manage.set_role(conn, "nobody@oasis.example", Role.ADMIN, actor="cli:root", now=NOW)
        entries = [(e.action, e.details) for e in reversed(recent_entries(conn))]
    assert entries == [
        ("user.add", {"role": "editor"}),
        ("user.password", {"sessions_ended": 1}),
        ("user.role", {"from": "editor", "to": "admin"}),
        ("user.disable", {"sessions_ended": 1}),
    ]


def test_login_checks_the_password_in_constant_shape(store: Store) -> None:
    with store.begin() as conn:
        manage.add_user(conn, "a@oasis.example", Role.ADMIN, PASSWORD, actor="cli:root", now=NOW)
        assert manage.authenticate(conn, "A@oasis.example ", PASSWORD) is not None
        assert manage.authenticate(conn, "a@oasis.example", "wrong-password") is None
        assert manage.authenticate(conn, "ghost@oasis.example", PASSWORD) is None
        assert manage.authenticate(conn, "not an address", PASSWORD) is None
        manage.set_disabled(conn, "a@oasis.example", True, actor="cli:root", now=NOW)
        assert manage.authenticate(conn, "a@oasis.example", PASSWORD) is None
