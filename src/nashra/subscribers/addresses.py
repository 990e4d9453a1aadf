"""One normal form per mailbox, so the same person is never stored (or mailed) twice.

email-validator checks syntax and converts international domains to their ASCII (IDNA) form;
the domain is lower-cased, the local part kept as typed (RFC 5321 leaves it to the receiving
server) except that it is compared case-insensitively by storing it lower-cased too: in practice
every large provider treats local parts case-insensitively, and duplicates cost more than the
rare server that does not. Internationalised local parts (SMTPUTF8) are refused because not
every relay accepts them; DNS is not consulted (imports must be fast and offline).
"""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email


class InvalidAddress(ValueError):
    """An address that cannot be mailed; the message says why, in words an operator understands."""


def normalise_email(value: str) -> str:
    text = (value or "").strip()
    if not text:
        raise InvalidAddress("empty email address")
    try:
        checked = validate_email(text, check_deliverability=False, allow_smtputf8=False)
    except EmailNotValidError as exc:
        raise InvalidAddress(f"invalid email address {text!r}: {exc}") from None
    return (checked.ascii_email or checked.normalized).lower()
