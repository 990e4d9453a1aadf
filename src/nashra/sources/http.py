"""HTTP for sources: conditional GET and errors that say what happened in one line.

Every error names the source (`source NAME`), the URL with its credentials redacted, and the
limit or failure: `source wire: https://…/feed: response exceeded 20 MB (retried next round)`.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from nashra.errors import SourceError
from nashra.httpclient import DeadlineExceeded, ResponseTooLarge, within
from nashra.store.sources import SourceState
from nashra.text.urls import redact_credentials


@dataclass(frozen=True, slots=True)
class Fetched:
    """A 200 response body with its validators, or `not_modified` for a 304."""

    content: bytes
    headers: httpx.Headers
    url: str
    etag: str | None
    last_modified: str | None
    not_modified: bool = False
    status: int = 200


def get(
    client: httpx.Client,
    url: str,
    *,
    source: str,
    deadline: float,
    state: SourceState | None = None,
    params: dict[str, str | int] | None = None,
) -> Fetched:
    """GET `url`, conditionally when `state` carries validators; follow redirects, all within
    `deadline` seconds (`[ingest] deadline_seconds`)."""
    headers: dict[str, str] = {}
    if state is not None:
        if state.etag:
            headers["If-None-Match"] = state.etag
        if state.last_modified:
            headers["If-Modified-Since"] = state.last_modified
    where = f"source {source}"
    shown = redact_credentials(url)
    try:
        with within(deadline):  # redirects included
            response = client.get(url, headers=headers, params=params, follow_redirects=True)
    except (DeadlineExceeded, ResponseTooLarge) as exc:
        raise SourceError(f"{shown}: {exc}", where=where, hint="retried next round") from None
    except httpx.TimeoutException:
        raise SourceError(f"timed out fetching {shown}", where=where, hint="retried next round") from None
    except httpx.HTTPError as exc:
        raise SourceError(
            f"cannot fetch {shown}: {redact_credentials(str(exc))}", where=where, hint="retried next round"
        ) from None
    if response.status_code == 304:
        return Fetched(
            b"",
            response.headers,
            str(response.url),
            state.etag if state else None,
            state.last_modified if state else None,
            not_modified=True,
            status=304,
        )
    if response.status_code >= 400:
        raise SourceError(
            f"{shown} answered HTTP {response.status_code} {response.reason_phrase}",
            where=where,
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
        status=response.status_code,
    )
