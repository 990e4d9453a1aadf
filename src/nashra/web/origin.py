"""Whether a POST comes from the site's own pages: the browser's `Origin` (or, without it, the
`Referer`) must be the public origin of the web app or of the newsroom's site.

Chosen over a signed form token because a newsroom embeds the subscribe form in its own site's
pages, which cannot fetch a token from another origin, and because every browser sends `Origin`
with a form POST; a request with neither header, or with the opaque `null`, is refused. This stops
other sites from making visitors' browsers post the form; scripts that forge headers meet the rate
limits and the one-mail-per-window rule instead.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.datastructures import Headers

from nashra.config import Settings

DEFAULT_PORTS = {"http": 80, "https": 443}


def origin_of(url: str) -> str | None:
    """`scheme://host[:port]`, lower-cased and without the default port, or None for anything else."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    if scheme not in DEFAULT_PORTS or not host:
        return None
    shown = "" if port in (None, DEFAULT_PORTS[scheme]) else f":{port}"
    return f"{scheme}://{host}{shown}"


class SameOrigin:
    def __init__(self, settings: Settings) -> None:
        urls = (settings.web.base_url, settings.site.base_url)
        self.allowed = frozenset(origin for origin in map(origin_of, urls) if origin is not None)

    def allows(self, headers: Headers) -> bool:
        claimed = headers.get("origin") or headers.get("referer")
        return claimed is not None and origin_of(claimed) in self.allowed
