"""Mastodon through Mastodon.py, with an Idempotency-Key so a repeated attempt never posts twice.

The server honours the key for about an hour and answers a repeat with the status it already
made, so a timeout after sending is simply retried. Construction passes `mastodon_version` and
`version_check_mode="none"` so building the client asks the server nothing (no version probe), and
`ratelimit_method="throw"` so the posting loop, not the SDK, decides how long to wait on a 429.

A post is composed within the server's own limits, read from its `/api/v2/instance` through the
shared HTTP client and kept a day per process (see mastodon_limits); `max_characters` and
`characters_reserved_per_url` in the channel's table override the server's answer and spare the
request for them. The image cap is always the server's `image_size_limit`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cached_property
from typing import Annotated

from mastodon import (
    Mastodon,
    MastodonAPIError,
    MastodonIllegalArgumentError,
    MastodonNetworkError,
    MastodonNotFoundError,
    MastodonRatelimitError,
    MastodonServerError,
    MastodonUnauthorizedError,
)
from mastodon.versions import parse_version_string
from pydantic import Field, field_validator

from nashra.social.channels.base import TemplatedChannel, fetch_image
from nashra.social.channels.mastodon_limits import INSTANCE_PATH, ServerLimits, server_limits
from nashra.social.counting import mastodon_length
from nashra.social.protocol import ChannelOptions, ErrorKind, Post, Published, Verdict


class MastodonOptions(ChannelOptions):
    api_base_url: str = Field(description="the server, e.g. https://mastodon.social")
    access_token_env: str = "MASTODON_ACCESS_TOKEN"
    mastodon_version: str = Field(
        default="4.2.0",
        pattern=r"^\d+\.\d+\.\d+",
        description="server version; no version check request is made",
    )
    visibility: str = Field(default="public", pattern="^(public|unlisted|private|direct)$")
    language: str | None = Field(default=None, description="ISO 639 code; default: site.language")
    max_characters: Annotated[int, Field(gt=0)] | None = Field(
        default=None,
        description="overrides the server's /api/v2/instance configuration.statuses.max_characters",
    )
    characters_reserved_per_url: Annotated[int, Field(gt=0)] | None = Field(
        default=None,
        description="overrides the server's configuration.statuses.characters_reserved_per_url",
    )
    timeout_seconds: Annotated[float, Field(gt=0)] = 30

    @field_validator("api_base_url")
    @classmethod
    def _absolute(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an absolute http(s) URL, e.g. https://mastodon.social")
        return value.rstrip("/")


def _status_code(error: MastodonAPIError) -> int | None:
    code = error.args[1] if len(error.args) > 1 else None
    return code if isinstance(code, int) else None


def _message(error: Exception) -> str:
    args = [str(a) for a in error.args if a is not None and str(a)]
    return " — ".join(args) or type(error).__name__


class MastodonChannel(TemplatedChannel[MastodonOptions]):
    kind = "mastodon"
    dedupes = True
    _api: Mastodon | None = None
    """The client of the last publish: `classify_error` reads its rate-limit reset."""

    @cached_property
    def _server(self) -> ServerLimits:
        """The server's limits, fixed for this channel object once asked, so that a post's limit
        and its measure always come from the same answer."""
        o = self.options
        return server_limits(self.context.http, o.api_base_url, self.timeout(o.timeout_seconds))

    def limit(self, *, with_image: bool) -> int:
        configured = self.options.max_characters
        return configured if configured is not None else self._server.max_characters

    def _url_length(self) -> int:
        configured = self.options.characters_reserved_per_url
        return configured if configured is not None else self._server.characters_reserved_per_url

    def measure(self, text: str) -> int:
        return mastodon_length(text, characters_reserved_per_url=self._url_length())

    def _limits_said(self) -> str:
        """The limits posts are composed within, and where each comes from (for `nashra check`)."""
        o = self.options
        server = self._server
        origin = (
            f"Mastodon's defaults, GET {INSTANCE_PATH} failed: {server.problem}"
            if server.problem
            else f"GET {INSTANCE_PATH}"
        )
        characters = f"{self.limit(with_image=False)} characters" + (
            " (config)" if o.max_characters is not None else ""
        )
        per_url = f"{self._url_length()} per URL" + (
            " (config)" if o.characters_reserved_per_url is not None else ""
        )
        return f"{characters}, {per_url}, images up to {server.image_size_limit} bytes ({origin})"

    def _timeouts(self) -> tuple[float | None, float | None]:
        """(connect, read) for requests, which Mastodon.py hands them to."""
        timeout = self.timeout(self.options.timeout_seconds)
        return timeout.connect, timeout.read

    def client(self) -> Mastodon:
        o = self.options
        api = Mastodon(
            access_token=self.secret(o.access_token_env),
            api_base_url=o.api_base_url,
            mastodon_version=o.mastodon_version,
            version_check_mode="none",
            ratelimit_method="throw",
            # Annotated float, handed to requests as is, which also takes (connect, read).
            request_timeout=self._timeouts(),  # type: ignore[arg-type]
        )
        # With version_check_mode="none", Mastodon.py 2.x records the given version as checked but
        # leaves it unparsed, so version-dependent calls pick legacy endpoints (media_post would use
        # the deprecated /api/v1/media instead of /api/v2/media): apply it ourselves.
        # (Mastodon.py's helper is unannotated; it returns three ints.)
        version = parse_version_string(o.mastodon_version)  # type: ignore[no-untyped-call]
        api.mastodon_major, api.mastodon_minor, api.mastodon_patch = version
        return api

    def verify(self) -> str:
        account = self.checked(
            "GET /api/v1/accounts/verify_credentials", lambda: self.client().account_verify_credentials()
        )
        return (
            f"GET /api/v1/accounts/verify_credentials at {self.options.api_base_url}: @{account['acct']}; "
            f"limits {self._limits_said()}"
        )

    def publish(self, post: Post) -> Published:
        self._api = api = self.client()
        media_ids = None
        image = (
            fetch_image(
                self.context.http, post.image, channel=self.name, max_bytes=self._server.image_size_limit
            )
            if post.image
            else None
        )
        if image is not None and post.image is not None:
            media = api.media_post(
                image.content,
                mime_type=image.mime_type,
                description=post.image.alt or None,
                file_name=image.file_name,
            )
            media_ids = [media["id"]]
        status = api.status_post(
            post.text,
            media_ids=media_ids,
            visibility=self.options.visibility,
            language=self.options.language or self.context.settings.site.language,
            idempotency_key=post.key,
        )
        return Published(remote_id=str(status["id"]), url=status.get("url"))

    def classify_error(self, error: Exception) -> Verdict | None:
        if isinstance(error, MastodonRatelimitError):
            reset = self._api.ratelimit_reset if self._api is not None else None
            retry_at = datetime.fromtimestamp(reset, UTC) if reset else None
            return Verdict(ErrorKind.RETRY, _message(error), status=429, retry_at=retry_at)
        if isinstance(error, MastodonUnauthorizedError):
            return Verdict(ErrorKind.AUTH, _message(error), status=401)
        if isinstance(error, MastodonServerError):
            return Verdict(ErrorKind.RETRY, _message(error), status=_status_code(error))
        if isinstance(error, MastodonNotFoundError):
            return Verdict(ErrorKind.BAD_REQUEST, _message(error), status=404)
        if isinstance(error, MastodonAPIError):
            code = _status_code(error)
            kind = ErrorKind.AUTH if code == 403 else ErrorKind.BAD_REQUEST
            return Verdict(kind, _message(error), status=code)
        if isinstance(error, MastodonNetworkError):
            return Verdict(ErrorKind.RETRY, _message(error), outcome_unknown=True)
        if isinstance(error, MastodonIllegalArgumentError):
            return Verdict(ErrorKind.BAD_REQUEST, _message(error))
        return super().classify_error(error)
