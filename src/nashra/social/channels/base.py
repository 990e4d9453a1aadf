"""What most adapters share: rendering through the channel's template, a stable post key, images.

An adapter states its limit, its measure, and (for markup) how plain text becomes what it sends;
everything else about the text is common, so every platform shortens the same way.
"""

from __future__ import annotations

import hashlib
import logging
import os
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar, TypeVar

import httpx

from nashra.breaking import prefix_for
from nashra.config.channels import ChannelSettings
from nashra.config.secrets import read_secret
from nashra.errors import ConfigError, DeliveryError, Unverified
from nashra.logs import event
from nashra.model import Image, StoredArticle
from nashra.plugins import Adapter
from nashra.social.compose import compose, load_template
from nashra.social.protocol import ChannelContext, ChannelOptions, ErrorKind, Post, Verdict

log = logging.getLogger(__name__)


def post_key(article_id: str, channel: str, version: int = 1) -> str:
    """Stable per (article, channel, version): the idempotency key a platform sees on every attempt.

    The version is part of it so that a repost after an edit (`repost_on_edit`) is a new post and
    not answered with the old one by Mastodon's idempotency or rewritten in place on Bluesky.
    """
    return hashlib.sha256(f"{article_id}\x00{channel}\x00{version}".encode()).hexdigest()[:32]


@dataclass(frozen=True, slots=True)
class ImageData:
    content: bytes
    mime_type: str
    file_name: str


def fetch_image(http: httpx.Client, image: Image, *, channel: str, max_bytes: int) -> ImageData | None:
    """Download the article's image, at most `max_bytes` (the platform's own cap).

    None (logged) when it cannot be had or is too big, so the post goes out without it rather
    than not at all.
    """
    problem = None
    try:
        with http.stream("GET", image.url, follow_redirects=True) as response:
            response.raise_for_status()
            content = b""
            for chunk in response.iter_bytes():
                content += chunk
                if len(content) > max_bytes:
                    problem = f"larger than {max_bytes} bytes"
                    break
            headers = response.headers
    except httpx.HTTPError as exc:
        problem = str(exc)
    if problem is not None:
        event(
            log, "social.image_skipped", level=logging.WARNING, channel=channel, url=image.url, reason=problem
        )
        return None
    mime = (image.mime_type or headers.get("content-type", "")).split(";")[0].strip() or "image/jpeg"
    name = image.url.rstrip("/").rsplit("/", 1)[-1].split("?")[0] or "image"
    return ImageData(content, mime, name)


class PlatformHTTPError(Exception):
    """An HTTP API called directly with httpx refused the call: status, its message, its retry-after."""

    def __init__(self, status: int, message: str, retry_after: float | None) -> None:
        super().__init__(f"{status} {message}")
        self.status = status
        self.retry_after = retry_after


def classify_direct_http(error: Exception) -> Verdict | None:
    """Verdict for APIs we call with httpx ourselves (Telegram, webhooks); None for other errors.

    Neither deduplicates, so a transport error after the request may have left counts as unknown.
    """
    if isinstance(error, PlatformHTTPError):
        if error.status == 429:
            return Verdict(ErrorKind.RETRY, str(error), status=429, retry_after=error.retry_after)
        if error.status in (401, 403):
            return Verdict(ErrorKind.AUTH, str(error), status=error.status)
        if error.status >= 500:
            return Verdict(ErrorKind.RETRY, str(error), status=error.status)
        return Verdict(ErrorKind.BAD_REQUEST, str(error), status=error.status)
    if isinstance(error, httpx.ConnectError | httpx.ConnectTimeout):
        return Verdict(ErrorKind.RETRY, f"cannot connect: {error}")  # nothing was sent
    if isinstance(error, httpx.TransportError):
        return Verdict(ErrorKind.RETRY, f"{type(error).__name__}: {error}", outcome_unknown=True)
    return None


OptionsT = TypeVar("OptionsT", bound=ChannelOptions)
T = TypeVar("T")


class TemplatedChannel(Adapter[OptionsT], ABC):
    """Base for adapters: `render` composes plain text within `limit`, then `finish` turns it into the payload.

    `class XChannel(TemplatedChannel[XOptions])` declares the adapter's options model; `self.options`
    is then typed as that model.
    """

    kind: ClassVar[str]
    Options: ClassVar[type[ChannelOptions]]
    dedupes: ClassVar[bool] = False
    hashtag_cap: ClassVar[int | None] = None
    """The platform's own ceiling on hashtags (Threads: one), over the channel's `max_hashtags`."""

    def __init__(self, config: ChannelSettings, options: OptionsT, context: ChannelContext) -> None:
        self.name = config.name
        self.config = config
        self.options = options
        self.context = context
        self.template = load_template(context.settings, config)

    def timeout(self, read_seconds: float) -> httpx.Timeout:
        """`read_seconds` between two reads, but connecting (name lookup included) within
        `[ingest] connect_timeout_seconds`: a platform that cannot be reached fails fast."""
        connect = min(read_seconds, self.context.settings.ingest.connect_timeout_seconds)
        return httpx.Timeout(read_seconds, connect=connect)

    def secret(self, variable: str) -> str:
        """A credential from the environment variable the config names (read at publish time)."""
        return read_secret(variable, purpose=f"channel {self.name}")

    def missing_secrets(self) -> list[str]:
        """Environment variables this channel needs (`needed_secrets`) that are not set.

        Commands that post refuse to start without them (nashra.preflight); this is checked again
        before anything is claimed, so a variable gone missing holds the channel instead of failing
        an article.
        """
        return [name for name in self.options.needed_secrets().values() if not os.environ.get(name)]

    def verify(self) -> str:
        """Without a platform call of its own, all a channel can show is that its secrets are set."""
        missing = self.missing_secrets()
        if missing:
            raise Unverified(f"environment variable {', '.join(missing)} is not set")
        return "secrets set (this kind makes no platform check)"

    def checked(self, what: str, call: Callable[[], T]) -> T:
        """`call()`, or Unverified saying `what` was tried and the platform's answer, as
        `classify_error` reads it (for `verify`)."""
        try:
            return call()
        except Exception as exc:
            verdict = self.classify_error(exc)
            if verdict is None:
                raise
            raise Unverified(f"{what}: {verdict.message}") from None

    @abstractmethod
    def limit(self, *, with_image: bool) -> int:
        """The platform's length limit for a post with or without an image."""

    @abstractmethod
    def measure(self, text: str) -> int:
        """The post's length the platform's way."""

    def finish(self, plain: str) -> str:
        """Plain post text -> what is sent (Telegram escapes it for HTML). Must not change the count."""
        return plain

    def image_for(self, article: StoredArticle) -> Image | None:
        """The image the post carries: the article's own, unless the channel attaches none."""
        return article.article.image if self.config.attach_image else None

    def link_in_text(self, *, with_image: bool) -> bool:
        """Whether the article's link is the text's last line; False where the platform is given
        it apart (a Facebook link post) or it would be dead text (Instagram, when so configured)."""
        return True

    def render(self, article: StoredArticle) -> Post:
        image = self.image_for(article)
        limit = self.limit(with_image=image is not None)
        cap = self.config.max_hashtags
        composed = compose(
            article,
            template=self.template,
            measure=lambda plain: self.measure(self.finish(plain)),
            limit=limit,
            max_hashtags=cap if self.hashtag_cap is None else min(cap, self.hashtag_cap),
            site_name=self.context.settings.site.name,
            prefix=prefix_for(article.article, self.context.settings.breaking),
            with_link=self.link_in_text(with_image=image is not None),
        )
        text = self.finish(composed.text)
        return Post(
            article_id=article.id,
            channel=self.name,
            key=post_key(article.id, self.name, article.version),
            text=text,
            length=self.measure(text),
            limit=limit,
            url=article.url,
            title=composed.title,
            summary=composed.summary,
            hashtags=composed.hashtags,
            image=image,
            published_at=article.article.published_at,
            language=article.article.language or "ar",
        )

    def validate(self, post: Post) -> list[str]:
        problems = []
        if not post.text.strip():
            problems.append("empty post")
        if post.length > post.limit:
            problems.append(f"measures {post.length}, over the limit of {post.limit}")
        return problems

    def classify_error(self, error: Exception) -> Verdict | None:
        if isinstance(error, ConfigError):  # a credential's environment variable is missing
            return Verdict(ErrorKind.AUTH, str(error))
        if isinstance(error, DeliveryError):
            return Verdict(ErrorKind.BAD_REQUEST, str(error))
        return None
