"""Each platform's own way of counting a post, so nothing is rejected for length after composing.

No hand-written weighting: X through twitter-text-parser (the v3 conformance rules: URLs 23,
emoji sequences 2, isolates and "…" 2 each, NFC first), Mastodon through Mastodon.py's helper.
Meta's platforms have no library to count with; `meta_length` follows the one rule Meta documents
(Threads: characters, each emoji as its UTF-8 bytes).
"""

from __future__ import annotations

import html
import math
import warnings

import regex

with warnings.catch_warnings():
    # twitter-text-parser 3.0 loads its emoji table through pkg_resources, which setuptools warns
    # about on every import (hence `setuptools<81` in the dependencies, where it still exists).
    warnings.filterwarnings("ignore", "pkg_resources is deprecated", UserWarning)
    from twitter_text import parse_tweet

from nashra.text import grapheme_len, graphemes

X_LIMIT = 280
MASTODON_LIMIT = 500
MASTODON_URL_LENGTH = 23  # what Mastodon.get_status_length assumes for every URL
BLUESKY_GRAPHEMES = 300
BLUESKY_BYTES = 3000
TELEGRAM_MESSAGE = 4096
TELEGRAM_CAPTION = 1024
FACEBOOK_LIMIT = 63_206
INSTAGRAM_CAPTION = 2_200
INSTAGRAM_HASHTAGS = 30
THREADS_LIMIT = 500
THREADS_HASHTAGS = 1  # Threads makes one tag of a post a topic; further "#…" stay plain text

_TAG = regex.compile(r"<[^<>]*>")
_EMOJI = regex.compile(r"[\p{Extended_Pictographic}\p{Regional_Indicator}\u20e3\ufe0f]")


def x_length(text: str) -> int:
    """X's weighted length. A URL counts 23 only if X would link it (its TLD list decides)."""
    return int(parse_tweet(text).weightedLength)


def mastodon_length(text: str, *, characters_reserved_per_url: int = MASTODON_URL_LENGTH) -> int:
    """Mastodon's count: graphemes, every URL as the server's `characters_reserved_per_url`."""
    from mastodon import Mastodon
    from mastodon.utility import url_regex  # type: ignore[attr-defined]  # re-exported, no __all__

    length = Mastodon.get_status_length(text)
    if characters_reserved_per_url != MASTODON_URL_LENGTH:
        length += (characters_reserved_per_url - MASTODON_URL_LENGTH) * len(url_regex.findall(text))
    return length


def bluesky_length(text: str) -> int:
    """One number for Bluesky's two limits (300 graphemes AND 3000 UTF-8 bytes), against 300.

    max(graphemes, ceil(bytes / 10)) is <= 300 exactly when both limits hold, so truncation can
    use a single monotone measure.
    """
    return max(grapheme_len(text), math.ceil(len(text.encode("utf-8")) * BLUESKY_GRAPHEMES / BLUESKY_BYTES))


def utf16_len(text: str) -> int:
    """UTF-16 code units: the unit of Telegram's limits and entity offsets."""
    return len(text.encode("utf-16-le")) // 2


def telegram_visible_text(html_text: str) -> str:
    """The text Telegram counts: what is left once the HTML parse mode has removed the markup."""
    return html.unescape(_TAG.sub("", html_text))


def telegram_length(html_text: str) -> int:
    """Telegram's count for a `parse_mode=HTML` message or caption, after parsing the HTML."""
    return utf16_len(telegram_visible_text(html_text))


def meta_length(text: str) -> int:
    """Threads' documented count, also used against Instagram's and Facebook's limits: code points,
    but an emoji (a whole cluster: ZWJ family, flag, keycap) as its UTF-8 bytes.

    Code points rather than graphemes, because Meta does not say how harakat count: a vowelled word
    is then counted long, never short, so a post is never refused for its length.
    """
    if _EMOJI.search(text) is None:
        return len(text)
    return sum(len(g.encode("utf-8")) if _EMOJI.search(g) else len(g) for g in graphemes(text))
