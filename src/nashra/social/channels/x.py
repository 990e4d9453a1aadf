"""X (Twitter) through tweepy: API v2 `create_tweet`, images through the v1.1 media endpoint.

tweepy has no v2 media upload (upstream #2217) while X is retiring v1.1 media: every upload goes
through `upload_media`, the one function to swap when that changes. X refuses the same text twice
("duplicate content"), which is why a repeated attempt is safe and counts as posted.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime
from typing import Annotated, Any

import requests
import tweepy
from pydantic import Field

from nashra.social.channels.base import ImageData, TemplatedChannel, fetch_image
from nashra.social.counting import X_LIMIT, x_length
from nashra.social.protocol import ChannelOptions, ErrorKind, Post, Published, Verdict

IMAGE_MAX_BYTES = 5_000_000  # X's limit for images


class XOptions(ChannelOptions):
    consumer_key_env: str = "X_CONSUMER_KEY"
    consumer_secret_env: str = "X_CONSUMER_SECRET"
    access_token_env: str = "X_ACCESS_TOKEN"
    access_token_secret_env: str = "X_ACCESS_TOKEN_SECRET"
    username: str | None = Field(
        default=None, description="account handle, for post URLs; default: x.com/i/web/status/<id>"
    )
    timeout_seconds: Annotated[float, Field(gt=0)] = 30


class _TimeoutSession(requests.Session):
    """tweepy.Client passes no timeout; a request must never hang the worker."""

    def __init__(self, timeout: tuple[float | None, float | None]) -> None:
        super().__init__()
        self.timeout = timeout

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", self.timeout)
        return super().request(method, url, *args, **kwargs)


def upload_media(api: tweepy.API, image: ImageData) -> str:
    """Upload one image and return its media id (v1.1 `media/upload` today; v2 is the planned swap)."""
    media = api.media_upload(
        filename=image.file_name, file=io.BytesIO(image.content), media_category="tweet_image"
    )
    return str(media.media_id_string)


def _message(error: tweepy.HTTPException) -> str:
    return " — ".join(line for line in str(error).splitlines() if line.strip())


class XChannel(TemplatedChannel[XOptions]):
    kind = "x"
    dedupes = True

    def limit(self, *, with_image: bool) -> int:
        return X_LIMIT

    def measure(self, text: str) -> int:
        return x_length(text)

    def _timeouts(self) -> tuple[float | None, float | None]:
        """(connect, read) for requests, which tweepy hands them to."""
        timeout = self.timeout(self.options.timeout_seconds)
        return timeout.connect, timeout.read

    def _credentials(self) -> tuple[str, str, str, str]:
        o = self.options
        return (
            self.secret(o.consumer_key_env),
            self.secret(o.consumer_secret_env),
            self.secret(o.access_token_env),
            self.secret(o.access_token_secret_env),
        )

    def _client(self) -> tweepy.Client:
        consumer_key, consumer_secret, access_token, access_secret = self._credentials()
        client = tweepy.Client(
            consumer_key=consumer_key,
            consumer_secret=consumer_secret,
            access_token=access_token,
            access_token_secret=access_secret,
        )
        client.session = _TimeoutSession(self._timeouts())
        return client

    def verify(self) -> str:
        me = self.checked("GET /2/users/me", lambda: self._client().get_me(user_auth=True))
        return f"GET /2/users/me: @{me.data.username}"

    def publish(self, post: Post) -> Published:
        consumer_key, consumer_secret, access_token, access_secret = self._credentials()
        media_ids = None
        image = (
            fetch_image(self.context.http, post.image, channel=self.name, max_bytes=IMAGE_MAX_BYTES)
            if post.image
            else None
        )
        if image is not None:
            auth = tweepy.OAuth1UserHandler(consumer_key, consumer_secret, access_token, access_secret)
            api = tweepy.API(auth, timeout=self._timeouts())
            media_ids = [upload_media(api, image)]
        response = self._client().create_tweet(text=post.text, media_ids=media_ids, user_auth=True)
        tweet_id = str(response.data["id"])
        account = self.options.username.lstrip("@") if self.options.username else "i/web"
        return Published(remote_id=tweet_id, url=f"https://x.com/{account}/status/{tweet_id}")

    def classify_error(self, error: Exception) -> Verdict | None:
        if isinstance(error, tweepy.TooManyRequests):
            reset = error.response.headers.get("x-rate-limit-reset")
            retry_at = datetime.fromtimestamp(int(reset), UTC) if reset and reset.isdigit() else None
            return Verdict(ErrorKind.RETRY, _message(error), status=429, retry_at=retry_at)
        if isinstance(error, tweepy.Forbidden):
            message = _message(error)
            if (
                any("duplicate content" in m.lower() for m in error.api_messages)
                or "duplicate content" in message.lower()
            ):
                return Verdict(ErrorKind.DUPLICATE, message, status=403)
            return Verdict(ErrorKind.AUTH, message, status=403)
        if isinstance(error, tweepy.Unauthorized):
            return Verdict(ErrorKind.AUTH, _message(error), status=401)
        if isinstance(error, tweepy.TwitterServerError):
            return Verdict(ErrorKind.RETRY, _message(error), status=error.response.status_code)
        if isinstance(error, tweepy.HTTPException):
            return Verdict(ErrorKind.BAD_REQUEST, _message(error), status=error.response.status_code)
        if isinstance(error, requests.Timeout):
            return Verdict(ErrorKind.RETRY, f"timeout: {error}", outcome_unknown=True)
        if isinstance(error, requests.ConnectionError):
            return Verdict(ErrorKind.RETRY, f"connection failed: {error}", outcome_unknown=True)
        if isinstance(error, tweepy.TweepyException):
            return Verdict(ErrorKind.RETRY, f"{type(error).__name__}: {error}", outcome_unknown=True)
        return super().classify_error(error)
