"""The plain-address fast path of `normalise_email` (a pattern for the local part, the domain
checked once per process) gives what the full email-validator check gives, for every address:
the same normal form, or a refusal with the full check's reason."""

from __future__ import annotations

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from nashra.subscribers.addresses import InvalidAddress, _checked, normalise_email

LOCAL = st.text(alphabet="abcXYZ019._%+-!#'", min_size=0, max_size=70)
LABEL = st.text(alphabet="abcdeXYZ0129-", min_size=0, max_size=66)
DOMAIN = st.lists(LABEL, min_size=1, max_size=4).map(".".join) | st.sampled_from(
    [
        "example.com",
        "localhost",
        "example.test",
        "x.invalid",
        "a.b.c.onion",
        "xn--mgbh0fb.com",
        "xn--a.com",
        "1.23",
    ]
)


def _outcome(check: object, address: str) -> str:
    try:
        return check(address)  # type: ignore[operator, no-any-return]
    except InvalidAddress as exc:
        return f"refused: {exc}"


@settings(max_examples=300, deadline=None)
@given(local=LOCAL, domain=DOMAIN)
@example(local="a" * 64, domain="example.com")
@example(local="a" * 65, domain="example.com")
@example(local="a" * 67, domain=("b" * 60 + ".") * 3 + "com")  # 254 characters
@example(local="a" * 68, domain=("b" * 60 + ".") * 3 + "com")  # 255
@example(local="a..b", domain="example.com")
@example(local=".a", domain="example.com")
@example(local="Ali", domain="EXAMPLE.Com")
def test_fast_path_matches_the_full_check(local: str, domain: str) -> None:
    address = f"{local}@{domain}"
    assert _outcome(normalise_email, address) == _outcome(_checked, address)


@pytest.mark.parametrize("address", ["  Ali@Example.COM ", "x@مثال.com", "سمير@example.com", "", "a@b"])
def test_other_addresses_take_the_full_check(address: str) -> None:
    assert _outcome(normalise_email, address) == _outcome(_checked, address.strip())
