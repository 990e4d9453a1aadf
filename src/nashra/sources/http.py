"""HTTP for sources: conditional GET and errors that say what happened in one line."""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from nashra.errors import SourceError
from nashra.store.sources import SourceState


@dataclass(frozen=True, slots=True)
class Fetched:
    """A 200 response body with its validators, or `not_modified` for a 304."""

    content: bytes
    headers: httpx.Headers
    url: str
    etag: str | None
    last_modified: str | None
    not_modified: bool = False


def get(
    client: httpx.Client,
    url: str,
    *,
    source: str,
    state: SourceState | None = None,
    params: dict[str, str | int] | None = None,
) -> Fetched:
    """GET `url`, conditionally when `state` carries validators; follow redirects."""
    headers: dict[str, str] = {}
    if state is not None:
        if state.etag:
            headers["If-None-Match"] = state.etag
        if state.last_modified:
            headers["If-Modified-Since"] = state.last_modified
    try:
        response = client.get(url, headers=headers, params=params, follow_redirects=True)
    except httpx.TimeoutException:
        raise SourceError(f"timed out fetching {url}", where=source, hint="retried next round") from None
    except httpx.HTTPError as exc:
        raise SourceError(f"cannot fetch {url}: {exc}", where=source, hint="retried next round") from None
    if response.status_code == 304:
        return Fetched(
            b"",
            response.headers,
            str(response.url),
            state.etag if state else None,
            state.last_modified if state else None,
            not_modified=True,
        )
    if response.status_code >= 400:
        raise SourceError(
            f"{url} answered HTTP {response.status_code} {response.reason_phrase}",
            where=source,
            hint="retried next round"
            if response.status_code >= 500 or response.status_code == 429
            else "check the URL",
        )
    return Fetched(
        content=response.content,
        headers=response.headers,
        url=str(response.url),
        etag=response.headers.get("ETag"),
        last_modified=response.headers.get("Last-Modified"),
    )
