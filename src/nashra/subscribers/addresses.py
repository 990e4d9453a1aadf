"""One normal form per mailbox, so the same person is never stored (or mailed) twice.

email-validator checks syntax and converts international domains to their ASCII (IDNA) form;
the domain is lower-cased, the local part kept as typed (RFC 5321 leaves it to the receiving
server) except that it is compared case-insensitively by storing it lower-cased too: in practice
every large provider treats local parts case-insensitively, and duplicates cost more than the
rare server that does not. Internationalised local parts (SMTPUTF8) are refused because not
every relay accepts them; DNS is not consulted (imports must be fast and offline).

Checking costs ~60 µs an address, most of it the domain, which a list repeats thousands of times:
an address of the plain shape most are (dot-separated letters, digits and `_%+-` at an ASCII domain)
has its domain checked once per process and its local part by a pattern, with the same result as
the full check (a property-based test holds the two equal); every other address gets the full check.
"""

from __future__ import annotations

import re
from functools import lru_cache

from email_validator import EmailNotValidError, validate_email

_PLAIN = re.compile(r"([A-Za-z0-9_%+-]+(?:\.[A-Za-z0-9_%+-]+)*)@([A-Za-z0-9.-]+)")
_LONGEST = 254  # email-validator refuses a longer address (its RFC 5321 limit)


class InvalidAddress(ValueError):
    """An address that cannot be mailed; the message says why, in words an operator understands."""


def normalise_email(value: str) -> str:
    text = (value or "").strip()
    plain = _PLAIN.fullmatch(text)
    if plain and len(text) <= _LONGEST:
        domain = _plain_domain(plain[2].lower())
        if domain is not None:
            return f"{plain[1].lower()}@{domain}"
    return _checked(text)


def _checked(text: str) -> str:
    """The full check, which also words every reason an address is refused."""
    if not text:
        raise InvalidAddress("empty email address")
    try:
        checked = validate_email(text, check_deliverability=False, allow_smtputf8=False)
    except EmailNotValidError as exc:
        raise InvalidAddress(f"invalid email address {text!r}: {exc}") from None
    return (checked.ascii_email or checked.normalized).lower()


@lru_cache(maxsize=4096)
def _plain_domain(domain: str) -> str | None:
    """The normal form of an ASCII domain, or None when an address there would be refused."""
    try:
        return _checked(f"a@{domain}").rpartition("@")[2]
    except InvalidAddress:
        return None
