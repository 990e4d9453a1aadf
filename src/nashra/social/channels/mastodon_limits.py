"""What a Mastodon server allows, as its `GET /api/v2/instance` says, remembered per server.

The limits are the server's, not Mastodon's: many servers raise the 500 characters (to thousands),
a few lower it, and each counts a URL as its own `characters_reserved_per_url`. A channel asks
once and composes within the answer, which this process keeps per server (its API base URL) for a
day: limits change rarely, and a restarted worker asks again.

A server that cannot answer (unreachable, a 404 from a server older than Mastodon 4.0, a 5xx, an
answer without `configuration`) must not stop a post: stock Mastodon's limits stand in, which any
stock server accepts. The failure is logged when it happens and kept for an hour, so the server is
asked again then, not once per post.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from nashra.logs import event
from nashra.social.counting import MASTODON_LIMIT, MASTODON_URL_LENGTH
from nashra.text.urls import redact_credentials

log = logging.getLogger(__name__)

INSTANCE_PATH = "/api/v2/instance"
IMAGE_SIZE_LIMIT = 16 * 1024 * 1024  # stock Mastodon 4's configuration.media_attachments.image_size_limit
KEEP_SECONDS = 24 * 3600.0
KEEP_FAILURE_SECONDS = 3600.0


@dataclass(frozen=True, slots=True)
class ServerLimits:
    """`configuration.statuses.max_characters` and `.characters_reserved_per_url`, and
    `configuration.media_attachments.image_size_limit` (bytes). `problem` says why stock
    Mastodon's values stand in; None when they are the server's answer."""

    max_characters: int = MASTODON_LIMIT
    characters_reserved_per_url: int = MASTODON_URL_LENGTH
    image_size_limit: int = IMAGE_SIZE_LIMIT
    problem: str | None = None


def _positive(section: object, key: str, default: int) -> int:
    """`section[key]` if the server gave a positive integer there, else `default` (a server that
    leaves one key out still has its other limits used)."""
    value = section.get(key) if isinstance(section, dict) else None
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    return default


def _answer(http: httpx.Client, url: str, timeout: httpx.Timeout) -> tuple[object, str | None]:
    """(the parsed body, None) or (None, what went wrong)."""
    try:
        response = http.get(url, timeout=timeout)
    except httpx.HTTPError as exc:
        return None, f"{type(exc).__name__}: {exc}"
    if not response.is_success:
        return None, f"{response.status_code} {response.reason_phrase}"
    try:
        return response.json(), None
    except ValueError:
        return None, "the answer is not JSON"


def read_limits(http: httpx.Client, base_url: str, timeout: httpx.Timeout) -> ServerLimits:
    """One `GET /api/v2/instance` (public, no token); stock values, logged, when it fails."""
    body, problem = _answer(http, base_url + INSTANCE_PATH, timeout)
    configuration = body.get("configuration") if isinstance(body, dict) else None
    if not isinstance(configuration, dict):
        limits = ServerLimits(problem=problem or "no configuration in the answer")
        event(
            log,
            "social.mastodon_limits_unavailable",
            level=logging.WARNING,
            server=redact_credentials(base_url),
            reason=limits.problem,
            max_characters=limits.max_characters,
            characters_reserved_per_url=limits.characters_reserved_per_url,
        )
        return limits
    statuses = configuration.get("statuses")
    return ServerLimits(
        max_characters=_positive(statuses, "max_characters", MASTODON_LIMIT),
        characters_reserved_per_url=_positive(statuses, "characters_reserved_per_url", MASTODON_URL_LENGTH),
        image_size_limit=_positive(
            configuration.get("media_attachments"), "image_size_limit", IMAGE_SIZE_LIMIT
        ),
    )


class LimitsCache:
    """Each server's limits for `KEEP_SECONDS` (a failure's stand-ins for `KEEP_FAILURE_SECONDS`).

    Keyed by the API base URL, so two servers never share an entry. Two threads asking at once may
    both read the server; the answers are the same.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._kept: dict[str, tuple[float, ServerLimits]] = {}
        self._lock = threading.Lock()

    def get(self, base_url: str, read: Callable[[], ServerLimits]) -> ServerLimits:
        """The kept limits of `base_url`, or `read()`'s, then kept."""
        now = self._clock()
        with self._lock:
            kept = self._kept.get(base_url)
        if kept is not None and now < kept[0]:
            return kept[1]
        limits = read()
        keep = KEEP_FAILURE_SECONDS if limits.problem else KEEP_SECONDS
        with self._lock:
            self._kept[base_url] = (now + keep, limits)
        return limits


LIMITS = LimitsCache()
"""This process's cache (tests give each test a fresh one)."""


def server_limits(http: httpx.Client, base_url: str, timeout: httpx.Timeout) -> ServerLimits:
    """The limits of the server at `base_url`, read at most once a day per process."""
    return LIMITS.get(base_url, lambda: read_limits(http, base_url, timeout))
