"""X (Twitter): posts through tweepy's API v2 `create_tweet`, images through X's v2 media upload.

tweepy 4.17 has no v2 media upload (upstream #2217) and X is retiring the v1.1 upload endpoint,
so `upload_media` makes that one request itself, as X documents it
(https://docs.x.com/x-api/media/upload-media): `POST https://api.x.com/2/media/upload`, a
multipart form with the image bytes as `media` and `media_category=tweet_image`, answered with
`{"data": {"id": ..., "media_key": ...}}` whose `id` goes into `create_tweet`'s `media_ids` (the
"Media Upload" sample of xdevplatform/Twitter-API-v2-sample-code reads the same `data.id`).
`media_type` is optional there and left out: X reads the type from the image, and its list has
no GIF. The upload is signed with the same OAuth 1.0a user context as `create_tweet` (a multipart
body is not part of an OAuth 1.0a signature), goes through the client's session and so its
timeout, and fails with tweepy's own exceptions, so one `classify_error` reads both requests.

X refuses the same text twice ("duplicate content"), which is why a repeated attempt is safe and
counts as posted; an image uploaded by an attempt that then failed is simply never used.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

import requests
import tweepy
from pydantic import Field

from nashra.social.channels.base import ImageData, TemplatedChannel, fetch_image
from nashra.social.counting import X_LIMIT, x_length
from nashra.social.protocol import ChannelOptions, ErrorKind, Post, Published, Verdict

IMAGE_MAX_BYTES = 5_000_000  # X's limit for images
UPLOAD_URL = "https://api.x.com/2/media/upload"
_REFUSALS: dict[int, type[tweepy.HTTPException]] = {
    400: tweepy.BadRequest,
    401: tweepy.Unauthorized,
    403: tweepy.Forbidden,
    404: tweepy.NotFound,
}


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
    """tweepy.Client passes no timeout; a request (the media upload too) must never hang the worker."""

    def __init__(self, timeout: tuple[float | None, float | None]) -> None:
        super().__init__()
        self.timeout = timeout

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", self.timeout)
        return super().request(method, url, *args, **kwargs)


def _raise_for_status(response: requests.Response) -> None:
    """The exception tweepy's `Client` raises for the same answer (its mapping, for our request)."""
    status = response.status_code
    if status == 429:
        reset = response.headers.get("x-rate-limit-reset")
        raise tweepy.TooManyRequests(response, reset_time=int(reset) if reset and reset.isdigit() else None)
    if status >= 500:
        raise tweepy.TwitterServerError(response)
    if not 200 <= status < 300:
        raise _REFUSALS.get(status, tweepy.HTTPException)(response)


def upload_media(client: tweepy.Client, image: ImageData) -> str:
    """Upload one image through X's v2 media endpoint and return its media id.

    Signed and sent as `client` sends `create_tweet` (its user context, its session), so the day
    tweepy uploads through v2 itself this body becomes that one call.
    """
    auth = tweepy.OAuth1UserHandler(
        client.consumer_key, client.consumer_secret, client.access_token, client.access_token_secret
    ).apply_auth()
    response = client.session.post(
        UPLOAD_URL,
        data={"media_category": "tweet_image"},
        files={"media": (image.file_name, image.content, image.mime_type)},
        auth=auth,
    )
    _raise_for_status(response)
    return str(response.json()["data"]["id"])


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
        client = self._client()
        media_ids = None
        image = (
            fetch_image(self.context.http, post.image, channel=self.name, max_bytes=IMAGE_MAX_BYTES)
            if post.image
            else None
        )
        if image is not None:
            media_ids = [upload_media(client, image)]
        response = client.create_tweet(text=post.text, media_ids=media_ids, user_auth=True)
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
