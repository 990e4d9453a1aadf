"""The small interface every channel adapter implements, and the records it exchanges.

Shape borrowed from Postiz/Mixpost: `render` a post (pure), `measure` it the platform's way,
`publish` it and report where it went, and `classify_error` so the posting loop, not the adapter,
decides whether to wait, retry, give up or count the post as already there. An adapter may also
offer `missing_secrets() -> list[str]` (environment variables it needs that are unset) so the loop
holds the channel instead of failing posts; `TemplatedChannel` provides it from its `*_env` keys.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import ClassVar, Protocol

import httpx

from nashra.config import Settings
from nashra.config.channels import ChannelSettings
from nashra.config.options import AdapterOptions
from nashra.model import Image, StoredArticle


class ChannelOptions(AdapterOptions):
    """Base for each adapter's own keys; unknown keys are errors."""


CardMaker = Callable[[StoredArticle, str], Path]
"""(article, preset) -> the file of a share card drawn for it: what a platform that requires an
image (Instagram) posts for an article without one (see nashra.social.cards)."""


@dataclass(frozen=True, slots=True)
class ChannelContext:
    """What an adapter may use: settings, the shared HTTP client, where files go, and (when the
    process has one) a maker of share cards."""

    settings: Settings
    http: httpx.Client
    cards: CardMaker | None = None

    @property
    def outbox_dir(self) -> Path:
        return self.settings.outbox_dir


@dataclass(frozen=True, slots=True)
class Post:
    """A rendered post: `text` is exactly what the adapter sends (HTML for Telegram).

    `length` is `text` measured the channel's way and `limit` the channel's limit for this post
    (a Telegram caption has a smaller one than a message). `key` is stable per (article, channel)
    and is what platforms that deduplicate are given (Idempotency-Key, Bluesky rkey).
    """

    article_id: str
    channel: str
    key: str
    text: str
    length: int
    limit: int
    url: str
    title: str
    summary: str
    hashtags: tuple[str, ...] = ()
    image: Image | None = None
    published_at: datetime | None = None
    language: str = "ar"

    @property
    def attachments(self) -> list[dict[str, str]]:
        if self.image is None:
            return []
        return [{"type": "image", "url": self.image.url, "alt": self.image.alt}]


@dataclass(frozen=True, slots=True)
class Published:
    """Where the post now lives; either may be unknown (a webhook has no id, a duplicate no URL)."""

    remote_id: str | None
    url: str | None = None


class ErrorKind(StrEnum):
    RETRY = "retry"  # transient: 5xx, timeout, 429 (with `retry_at`/`retry_after`)
    AUTH = "auth"  # bad or revoked credentials: an operator must act
    BAD_REQUEST = "bad_request"  # the platform refused this post: retrying will not help
    DUPLICATE = "duplicate"  # the platform says it already has it: count as posted


@dataclass(frozen=True, slots=True)
class Verdict:
    """What an adapter makes of an exception from its SDK.

    `outcome_unknown` means the request may have reached the platform (a timeout after sending):
    only channels whose platform deduplicates may then retry. `retry_at` (absolute, from a
    reset header) or `retry_after` (seconds) say when a rate-limited request may be repeated.
    """

    kind: ErrorKind
    message: str
    status: int | None = None
    retry_at: datetime | None = None
    retry_after: float | None = None
    outcome_unknown: bool = False


class Channel(Protocol):
    kind: ClassVar[str]
    Options: ClassVar[type[ChannelOptions]]
    dedupes: ClassVar[bool]
    """True when repeating a publish cannot create a second post (idempotency key, rkey, dedup)."""
    name: str
    config: ChannelSettings

    def __init__(self, config: ChannelSettings, options: ChannelOptions, context: ChannelContext) -> None: ...

    def limit(self, *, with_image: bool) -> int:
        """The platform's limit for a post with or without an attached image."""
        ...

    def measure(self, text: str) -> int:
        """Length of `text` (as it will be sent) counted the way the platform counts it."""
        ...

    def render(self, article: StoredArticle) -> Post:
        """The post for `article`, the same text `publish` will send: pure but for reading the
        platform's limits where they are the server's (Mastodon's `/api/v2/instance`, kept a day)."""
        ...

    def validate(self, post: Post) -> list[str]:
        """Problems that make the post unsendable (empty list: fine)."""
        ...

    def publish(self, post: Post) -> Published:
        """Send the post; raise the SDK's exception on failure (see `classify_error`)."""
        ...

    def classify_error(self, error: Exception) -> Verdict | None:
        """Verdict for an exception `publish` raised; None means "not mine": a bug, re-raised."""
        ...


Clock = Callable[[], datetime]


@dataclass(frozen=True, slots=True)
class Timing:
    """Injected time, so tests move the clock: `now()` is aware. The loop never sleeps; a retry
    waits for a later run."""

    now: Clock
