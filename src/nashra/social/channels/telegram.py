"""Telegram Bot API over httpx: sendMessage, or sendPhoto with the post as caption, in HTML mode.

The post is plain text escaped with `html.escape`, so "<", ">" and "&" in a title can never
become markup, and it is counted as Telegram counts it: after parsing the HTML, in UTF-16 units,
4096 for a message and 1024 for a caption. Telegram does not deduplicate: a request that timed
out after sending is recorded as "unknown" for an operator, never silently repeated.
"""

from __future__ import annotations

import html
from typing import Annotated, Any

from pydantic import Field

from nashra.social.channels.base import PlatformHTTPError, TemplatedChannel, classify_direct_http
from nashra.social.counting import TELEGRAM_CAPTION, TELEGRAM_MESSAGE, telegram_length
from nashra.social.protocol import ChannelOptions, Post, Published, Verdict


class TelegramOptions(ChannelOptions):
    chat_id: str = Field(description='"@channelname" or a numeric chat id')
    bot_token_env: str = "TELEGRAM_BOT_TOKEN"
    api_base_url: str = "https://api.telegram.org"
    link_preview: bool = True
    timeout_seconds: Annotated[float, Field(gt=0)] = 30


class TelegramError(PlatformHTTPError):
    """A Bot API answer with `ok: false` or an HTTP error."""


class TelegramChannel(TemplatedChannel[TelegramOptions]):
    kind = "telegram"
    dedupes = False

    def limit(self, *, with_image: bool) -> int:
        return TELEGRAM_CAPTION if with_image else TELEGRAM_MESSAGE

    def measure(self, text: str) -> int:
        return telegram_length(text)

    def finish(self, plain: str) -> str:
        return html.escape(plain, quote=False)

    def _call(self, method: str, payload: dict[str, Any] | None = None) -> dict[str, Any]:
        """POST `payload` to the Bot API `method`; without one, a GET (a query that sends nothing)."""
        token = self.secret(self.options.bot_token_env)
        url = f"{self.options.api_base_url.rstrip('/')}/bot{token}/{method}"
        timeout = self.timeout(self.options.timeout_seconds)
        if payload is None:
            response = self.context.http.get(url, timeout=timeout)
        else:
            response = self.context.http.post(url, json=payload, timeout=timeout)
        try:
            body = response.json()
        except ValueError:
            body = {}
        if response.is_success and body.get("ok"):
            return dict(body["result"])
        retry_after = (body.get("parameters") or {}).get("retry_after")
        description = body.get("description") or response.reason_phrase
        raise TelegramError(
            int(body.get("error_code") or response.status_code),
            str(description),
            float(retry_after) if retry_after is not None else None,
        )

    def verify(self) -> str:
        me = self.checked("GET getMe", lambda: self._call("getMe"))
        return f"GET getMe at {self.options.api_base_url}: @{me.get('username')}"

    def publish(self, post: Post) -> Published:
        chat_id = self.options.chat_id
        if post.image is not None:
            result = self._call(
                "sendPhoto",
                {"chat_id": chat_id, "photo": post.image.url, "caption": post.text, "parse_mode": "HTML"},
            )
        else:
            preview = (
                {"url": post.url, "prefer_large_media": True}
                if self.options.link_preview
                else {"is_disabled": True}
            )
            result = self._call(
                "sendMessage",
                {
                    "chat_id": chat_id,
                    "text": post.text,
                    "parse_mode": "HTML",
                    "link_preview_options": preview,
                },
            )
        message_id = str(result["message_id"])
        username = (result.get("chat") or {}).get("username")
        return Published(
            remote_id=message_id, url=f"https://t.me/{username}/{message_id}" if username else None
        )

    def classify_error(self, error: Exception) -> Verdict | None:
        return classify_direct_http(error) or super().classify_error(error)
