"""A generic webhook: one JSON POST per post, HMAC-signed, readable by Slack and Discord as is.

The body carries the text twice, as `text` (Slack) and `content` (Discord), plus the article for
receivers of our own. With `secret_env` set, `X-Nashra-Signature: sha256=<hex>` is the
HMAC-SHA256 of "<X-Nashra-Timestamp>.<raw body>", so a receiver can check both origin and
freshness. Receivers rarely deduplicate: a timeout after sending is recorded as "unknown".

A Slack or Discord hook URL is itself a credential (whoever has it posts as the newsroom), so
`url_env` names an environment variable holding it, like every other secret; `url` is for a
receiver whose address is no secret. The URL is never put in a log line or an error.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Annotated, Self

from pydantic import Field, field_validator, model_validator

from nashra.errors import ConfigError
from nashra.social.channels.base import PlatformHTTPError, TemplatedChannel, classify_direct_http
from nashra.social.counting import utf16_len
from nashra.social.protocol import ChannelOptions, Post, Published, Verdict

SIGNATURE_HEADER = "X-Nashra-Signature"
TIMESTAMP_HEADER = "X-Nashra-Timestamp"


class WebhookOptions(ChannelOptions):
    url: str | None = Field(default=None, description="receiver URL, when it is no secret")
    url_env: str | None = Field(
        default=None, description="environment variable holding the receiver URL (Slack/Discord hook URLs)"
    )
    secret_env: str | None = Field(default=None, description="environment variable holding the HMAC secret")
    max_length: Annotated[int, Field(gt=0)] = Field(default=2000, description="Discord's `content` limit")
    timeout_seconds: Annotated[float, Field(gt=0)] = 20

    @field_validator("url")
    @classmethod
    def _absolute(cls, value: str | None) -> str | None:
        if value is not None and not _is_http(value):
            raise ValueError("must be an absolute http(s) URL")
        return value

    @model_validator(mode="after")
    def _one_url(self) -> Self:
        if (self.url is None) == (self.url_env is None):
            raise ValueError("set exactly one of `url` and `url_env`")
        return self


def _is_http(url: str) -> bool:
    return url.startswith(("http://", "https://"))


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The signature header value for `body` sent at `timestamp`."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return f"sha256={mac.hexdigest()}"


class WebhookError(PlatformHTTPError):
    """A receiver that answered with an HTTP error."""


class WebhookChannel(TemplatedChannel[WebhookOptions]):
    kind = "webhook"
    dedupes = False

    def limit(self, *, with_image: bool) -> int:
        return self.options.max_length

    def measure(self, text: str) -> int:
        """UTF-16 units: what JavaScript receivers (Discord) count; never less than code points."""
        return utf16_len(text)

    def publish(self, post: Post) -> Published:
        payload = {
            "text": post.text,
            "content": post.text,
            "channel": post.channel,
            "key": post.key,
            "article": {
                "id": post.article_id,
                "url": post.url,
                "title": post.title,
                "published_at": post.published_at.isoformat() if post.published_at else None,
            },
            "attachments": post.attachments,
        }
        body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        headers = {"Content-Type": "application/json; charset=utf-8", "Idempotency-Key": post.key}
        if self.options.secret_env:
            timestamp = str(int(time.time()))
            headers[TIMESTAMP_HEADER] = timestamp
            headers[SIGNATURE_HEADER] = sign(self.secret(self.options.secret_env), timestamp, body)
        response = self.context.http.post(
            self._url(), content=body, headers=headers, timeout=self.timeout(self.options.timeout_seconds)
        )
        if not response.is_success:
            retry_after = response.headers.get("retry-after")
            raise WebhookError(
                response.status_code,
                response.text[:300] or response.reason_phrase,
                float(retry_after) if retry_after and retry_after.isdigit() else None,
            )
        return Published(remote_id=post.key)

    def verify(self) -> str:
        """A HEAD, which posts nothing: any HTTP answer (a 405 too) shows the receiver is reachable.
        A URL from the environment is a credential and is named by its variable only."""
        shown = self.options.url or f"${self.options.url_env}"
        response = self.checked(
            f"HEAD {shown}",
            lambda: self.context.http.head(self._url(), timeout=self.timeout(self.options.timeout_seconds)),
        )
        return f"HEAD {shown}: {response.status_code} {response.reason_phrase} (reachable; nothing posted)"

    def _url(self) -> str:
        """The receiver's URL, from the config or (read at publish time) the environment."""
        if self.options.url is not None:
            return self.options.url
        assert self.options.url_env is not None  # _one_url: exactly one of them is set
        url = self.secret(self.options.url_env)
        if not _is_http(url):
            raise ConfigError(
                [
                    f"environment variable {self.options.url_env} must hold an absolute http(s) URL (channel {self.name})"
                ]
            )
        return url

    def classify_error(self, error: Exception) -> Verdict | None:
        return classify_direct_http(error) or super().classify_error(error)
