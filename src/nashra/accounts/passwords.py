"""Password hashing with argon2id (argon2-cffi, RFC 9106's low-memory profile: 64 MiB, t=3, p=4).

The parameters travel inside each hash, so raising them later makes old hashes "need a rehash"
at their next successful login instead of invalidating them. A login for an account that does not
exist is checked against a dummy hash all the same, so the time a refusal takes does not tell
whether the account exists.
"""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 10

_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


@cache
def _dummy_hash() -> str:
    return _hasher.hash("no such account: this hash only spends the time a real check takes")


def verify_password(hashed: str | None, password: str) -> bool:
    """Whether `password` matches; with `hashed` None (no such account), checks the dummy hash and
    answers False, taking as long as a real check."""
    try:
        _hasher.verify(hashed or _dummy_hash(), password)  # raises on a mismatch
    except (VerificationError, InvalidHashError):
        return False
    return hashed is not None


def needs_rehash(hashed: str) -> bool:
    return _hasher.check_needs_rehash(hashed)
