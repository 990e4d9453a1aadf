"""to_uri and canonical_url: ASCII, idempotent, and only tracking parameters dropped; credentials redacted."""

from __future__ import annotations

import importlib

from hypothesis import given
from hypothesis import strategies as st

from nashra.text.urls import canonical_url, redact_credentials, to_uri

urls_module = importlib.import_module("nashra.text.urls")

_hosts = st.sampled_from(["news.dz", "NEWS.example", "مثال.الجزائر", "xn--mgbh0fb.com", "site.example:8443"])
_segment = st.text(st.characters(exclude_categories=("Cs", "Cc")), max_size=12)
_urls = st.builds(
    lambda scheme, host, path, query: f"{scheme}://{host}/{'/'.join(path)}{'?' + query if query else ''}",
    st.sampled_from(["http", "https", "HTTPS"]),
    _hosts,
    st.lists(_segment, max_size=3),
    st.text(max_size=10),
)


@given(_urls)
def test_to_uri_is_ascii_and_idempotent(url: str) -> None:
    uri = to_uri(url)
    assert uri.isascii() and not any(c.isspace() for c in uri)
    assert to_uri(uri) == uri


@given(_urls)
def test_canonical_url_is_ascii_and_idempotent(url: str) -> None:
    canonical = canonical_url(url)
    assert canonical.isascii()
    assert canonical_url(canonical) == canonical


def test_arabic_path_and_host_are_encoded_and_escapes_kept() -> None:
    assert to_uri("https://مثال.com/سياسة/a%2Fb?q=عربي#ف") == (
        "https://xn--mgbh0fb.com/%D8%B3%D9%8A%D8%A7%D8%B3%D8%A9/a%2Fb?q=%D8%B9%D8%B1%D8%A8%D9%8A#%D9%81"
    )
    assert to_uri("https://x.dz/a%d8%b3") == "https://x.dz/a%D8%B3"
    assert to_uri("https://x.dz/100%") == "https://x.dz/100%25"


def test_tracking_parameters_fragment_port_and_case_go_the_rest_stays() -> None:
    assert canonical_url("HTTPS://News.DZ:443/a/?id=7&utm_source=x&UTM_Medium=y&fbclid=1&gclid=2#top") == (
        "https://news.dz/a/?id=7"
    )
    assert canonical_url(
        "http://news.dz:80?mc_cid=1&mc_eid=2&igshid=3&_ga=4&msclkid=5&yclid=6&ref_src=t"
    ) == ("http://news.dz/")
    assert canonical_url("https://news.dz:8443/a?b=2&a=1") == "https://news.dz:8443/a?b=2&a=1"
    # The trailing slash is the publisher's: kept either way.
    assert canonical_url("https://news.dz/a") != canonical_url("https://news.dz/a/")


def test_credentials_in_urls_are_redacted_wherever_they_sit_in_a_message() -> None:
    message = (
        "cannot fetch https://editor:hunter2@feeds.example/ar.xml?apikey=S3CR&page=2&access_token=T0K#top: "
        "[Errno 111] Connection refused; also http://api.telegram.org/bot123:AAH-x_y/sendMessage"
    )
    assert redact_credentials(message) == (
        "cannot fetch https://***@feeds.example/ar.xml?apikey=***&page=2&access_token=***#top: "
        "[Errno 111] Connection refused; also http://api.telegram.org/bot***/sendMessage"
    )
    plain = "https://news.example/ar/سياسة?page=2&q=الانتخابات"
    assert redact_credentials(plain) == plain


@given(st.from_regex(r"https?://[a-z0-9.\-]{1,20}(/[A-Za-z0-9._~\-]{0,8}){0,5}", fullmatch=True))
def test_a_uri_already_safe_comes_back_as_w3lib_gives_it(url: str) -> None:
    assert to_uri(url) == urls_module._to_uri(url) == url
