"""URLs as every output needs them: ASCII URIs, and one canonical spelling per article.

An Arabic path left as an IRI is cut at the first Arabic letter by twitter-text (X links only
`https://site/`), is reversed by right-to-left display, and is refused by some feed validators and
mail clients; percent-encoding it (RFC 3987 §3.1) is the form every platform links whole.

The same story reached through `?utm_source=…` or `?fbclid=…` must be one article, so ingest stores
the canonical URL and the store's duplicate check (by URL) then sees the two as one.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

from w3lib.url import safe_url_string

# Parameters that say how a reader arrived, never which page they asked for.
TRACKING_PARAMETERS = frozenset(
    {
        "fbclid",
        "gclid",
        "gclsrc",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "mc_cid",
        "mc_eid",
        "igshid",
        "igsh",
        "_ga",
        "_gl",
        "yclid",
        "twclid",
        "ttclid",
        "li_fat_id",
        "ref_src",
        "ref_url",
        "_hsenc",
        "_hsmi",
        "mkt_tok",
        "oly_anon_id",
        "oly_enc_id",
        "vero_id",
        "wickedid",
    }
)
TRACKING_PREFIXES = ("utm_",)

_DEFAULT_PORTS = {"http": 80, "https": 443}
_ESCAPE = re.compile(r"%[0-9a-fA-F]{2}")
# URIs that `to_uri` gives back as they are, told apart without w3lib: an http(s) scheme, a
# lower-case ASCII host with no port, a path of unreserved characters, no query, no fragment
# (a site's own links, such as a digest's archive copy).
_ALREADY_A_URI = re.compile(r"https?://[a-z0-9.\-]+(?:/[A-Za-z0-9._~\-]*)*")
_STRAY_PERCENT = re.compile(r"%(?![0-9a-fA-F]{2})")


def to_uri(iri: str) -> str:
    """The URI form of an IRI: IDNA host, non-ASCII path, query and fragment as UTF-8 %XX.

    Existing escapes are kept (hex digits upper-cased, as RFC 3986 §6.2.2.1 prefers) and a "%"
    that starts none becomes "%25", so an already-encoded URL comes back equal and
    `to_uri(to_uri(x)) == to_uri(x)`. Raises ValueError for what cannot be a URL (a bad port).
    """
    if _ALREADY_A_URI.fullmatch(iri):
        return iri
    return _to_uri(iri)


def _to_uri(iri: str) -> str:
    uri = safe_url_string(iri.strip(), encoding="utf-8")
    return _ESCAPE.sub(lambda m: m.group(0).upper(), _STRAY_PERCENT.sub("%25", uri))


def _is_tracking(name: str) -> bool:
    key = name.lower()
    return key in TRACKING_PARAMETERS or key.startswith(TRACKING_PREFIXES)


def canonical_url(url: str) -> str:
    """One spelling per page: the URI form without tracking parameters, default port or fragment.

    Scheme and host are lower-cased and an empty path becomes "/". The rest of the path is kept as
    published, trailing slash included: `/a/` and `/a` are different resources to many servers, and
    the source's own permalink already settles which one it is. The meaningful query is kept in its
    order and spelling; only the tracking parameters (and a query left empty) go.
    """
    parts = urlsplit(to_uri(url))
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if parts.port is not None and parts.port != _DEFAULT_PORTS.get(scheme):
        host = f"{host}:{parts.port}"
    if parts.username is not None:
        userinfo = parts.username + (f":{parts.password}" if parts.password is not None else "")
        host = f"{userinfo}@{host}"
    query = "&".join(
        pair for pair in parts.query.split("&") if pair and not _is_tracking(pair.partition("=")[0])
    )
    path = parts.path or ("/" if host else "")
    return urlunsplit((scheme, host, path, query, ""))


_USERINFO = re.compile(r"\b([a-z][a-z0-9+.-]*://)[^/@\s?#'\"<>]*@", re.IGNORECASE)
_SECRET_PARAMETER = re.compile(
    r"([?&;])([^=&#\s'\"<>]*(?:key|token|secret|pass|pwd|auth|sig|session|credential)[^=&#\s'\"<>]*)"
    r"=(?:[^&#\s'\"<>:]|:(?!\s|$))*",  # a value ends before a ": " that ends the URL in a message
    re.IGNORECASE,
)
_BOT_TOKEN = re.compile(r"/bot\d+:[\w-]+")  # a Telegram Bot API path carries the token
REDACTED = "***"


def redact_credentials(text: str) -> str:
    """`text` (a URL, or a message quoting URLs) with every credential a URL can carry replaced by
    `***`: `user:pass@`, secret-looking query parameters (`apikey=`, `token=`, …), a bot token path.

    Used wherever a URL is logged, stored as an error or shown, so a key written into a source's
    URL never leaves the config file.
    """
    text = _USERINFO.sub(rf"\1{REDACTED}@", text)
    text = _SECRET_PARAMETER.sub(rf"\1\2={REDACTED}", text)
    return _BOT_TOKEN.sub(f"/bot{REDACTED}", text)
