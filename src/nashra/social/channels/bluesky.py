"""Bluesky through the atproto SDK: facets for the link and hashtags, an external link card.

Facets address UTF-8 *byte* ranges (end exclusive); `TextBuilder` computes them as the text is
appended piece by piece, so Arabic (2 bytes a letter) and emoji never shift an offset. The SDK
defaults `langs` to ["en"]: the article's language is set instead. The record is written with
`putRecord` under an rkey derived from (article, channel), so a repeated attempt overwrites the
same post instead of creating a second one (reusing an rkey with createRecord fails).
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from urllib.parse import quote

import regex
from atproto import Client, client_utils, models
from atproto_client import exceptions as at_errors
from atproto_client.request import Request
from pydantic import Field

from nashra.httpclient import GuardedTransport, Limits
from nashra.social.channels.base import TemplatedChannel, fetch_image
from nashra.social.counting import BLUESKY_GRAPHEMES, bluesky_length
from nashra.social.protocol import ChannelOptions, ErrorKind, Post, Published, Verdict
from nashra.text import strip_bidi_controls

COLLECTION = "app.bsky.feed.post"
_TID_ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"
IMAGE_MAX_BYTES = 1_000_000  # the blob limit of a link card thumbnail


class BlueskyOptions(ChannelOptions):
    handle: str = Field(description="account handle, e.g. news.example.org")
    app_password_env: str = "BLUESKY_APP_PASSWORD"
    base_url: str = Field(default="https://bsky.social", description="the account's PDS (the SDK adds /xrpc)")
    link_card: bool = True


def record_key(key: str, published_at: datetime | None) -> str:
    """A valid TID (13 chars, base32-sortable) that is a pure function of the post key.

    Its time part is the article's publication time plus a sub-second offset from the key, its
    clock id comes from the key too, so two articles published in the same second still differ.
    """
    digest = int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big")
    base = published_at or datetime(2024, 1, 1, tzinfo=UTC)
    micros = int(base.timestamp()) * 1_000_000 + digest % 1_000_000
    value = ((micros & ((1 << 53) - 1)) << 10) | ((digest >> 20) & 0x3FF)
    return "".join(_TID_ALPHABET[(value >> shift) & 31] for shift in range(60, -1, -5))


def as_uri(url: str) -> str:
    """Percent-encode non-ASCII (an Arabic path): lexicon `uri` fields take RFC 3986 URIs, not IRIs."""
    return quote(url, safe=":/?#[]@!$&'()*+,;=%~")


def rich_text(text: str, url: str, tags: tuple[str, ...]) -> client_utils.TextBuilder:
    """The post as a TextBuilder: the link (last line, shown as written) and every kept hashtag become facets."""
    spans: list[tuple[int, int, str]] = []
    for tag in tags:
        spans.extend(
            (match.start(), match.end(), "tag")
            for match in regex.finditer(rf"(?<![^\s]){regex.escape(tag)}(?![^\s])", text)
        )
    link_start = text.rfind(url)
    if link_start >= 0:
        spans.append((link_start, link_start + len(url), "link"))
    builder = client_utils.TextBuilder()
    position = 0
    for start, end, kind in sorted(spans):
        if start < position:
            continue
        if start > position:
            builder.text(text[position:start])
        if kind == "link":
            builder.link(text[start:end], as_uri(url))
        else:
            builder.tag(text[start:end], text[start + 1 : end])
        position = end
    if position < len(text):
        builder.text(text[position:])
    return builder


class BlueskyChannel(TemplatedChannel[BlueskyOptions]):
    kind = "bluesky"
    dedupes = True

    def limit(self, *, with_image: bool) -> int:
        return BLUESKY_GRAPHEMES

    def measure(self, text: str) -> int:
        return bluesky_length(text)

    def _login(self) -> tuple[Client, str]:
        ingest = self.context.settings.ingest
        # The SDK's own httpx client, through the shared guarded transport: the same connect
        # timeout, total deadline and size caps as every other request.
        request = Request(
            transport=GuardedTransport(Limits.from_settings(self.context.settings)),
            timeout=self.timeout(ingest.timeout_seconds),
        )
        client = Client(base_url=self.options.base_url, request=request)
        dids: list[str] = []
        client.on_session_change(lambda _event, session: dids.append(session.did))
        client.login(
            self.options.handle, self.secret(self.options.app_password_env), fetch_bsky_profile=False
        )
        return client, dids[-1]

    def verify(self) -> str:
        _, did = self.checked("com.atproto.server.createSession", self._login)
        return f"com.atproto.server.createSession at {self.options.base_url} as {self.options.handle}: {did}"

    def _card(self, client: Client, post: Post) -> models.AppBskyEmbedExternal.Main:
        thumb = None
        image = (
            fetch_image(self.context.http, post.image, channel=self.name, max_bytes=IMAGE_MAX_BYTES)
            if post.image
            else None
        )
        if image is not None:
            thumb = client.upload_blob(image.content).blob
        external = models.AppBskyEmbedExternal.External(
            uri=as_uri(post.url),
            title=strip_bidi_controls(post.title),
            description=strip_bidi_controls(post.summary),
            thumb=thumb,
        )
        return models.AppBskyEmbedExternal.Main(external=external)

    def publish(self, post: Post) -> Published:
        client, did = self._login()
        builder = rich_text(post.text, post.url, post.hashtags)
        record = models.AppBskyFeedPost.Record(
            text=builder.build_text(),
            facets=builder.build_facets() or None,
            langs=[post.language],
            embed=self._card(client, post) if self.options.link_card else None,
            created_at=client.get_current_time_iso(),
        )
        rkey = record_key(post.key, post.published_at)
        response = client.com.atproto.repo.put_record(
            models.ComAtprotoRepoPutRecord.Data(repo=did, collection=COLLECTION, rkey=rkey, record=record)
        )
        return Published(
            remote_id=response.uri, url=f"https://bsky.app/profile/{self.options.handle}/post/{rkey}"
        )

    def classify_error(self, error: Exception) -> Verdict | None:
        if isinstance(error, at_errors.RateLimitExceededError):
            reset = error.response.headers.get("ratelimit-reset") if error.response else None
            retry_at = datetime.fromtimestamp(int(reset), UTC) if reset and str(reset).isdigit() else None
            return Verdict(ErrorKind.RETRY, str(error), status=429, retry_at=retry_at)
        if isinstance(error, at_errors.UnauthorizedError):
            return Verdict(
                ErrorKind.AUTH, str(error), status=error.response.status_code if error.response else None
            )
        if isinstance(error, at_errors.BadRequestError):
            return Verdict(ErrorKind.BAD_REQUEST, str(error), status=400)
        if isinstance(error, at_errors.NetworkError):  # transport failure, or 409/413/502
            status = error.response.status_code if error.response else None
            return Verdict(
                ErrorKind.RETRY,
                str(error) or type(error).__name__,
                status=status,
                outcome_unknown=status is None,
            )
        if isinstance(error, at_errors.RequestException):
            status = error.response.status_code if error.response else None
            kind = ErrorKind.RETRY if status is None or status >= 500 else ErrorKind.BAD_REQUEST
            return Verdict(kind, str(error), status=status)
        if isinstance(error, at_errors.AtProtocolError):
            return Verdict(ErrorKind.BAD_REQUEST, f"{type(error).__name__}: {error}")
        return super().classify_error(error)
