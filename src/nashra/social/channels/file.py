"""The file channel: each post as one JSON line in <outbox>/social/<channel>.jsonl.

It is the embedded default (no `[[channels]]` configured), so a fresh install shows exactly what
it would post without any account. It deduplicates by the post key already in the file, so a
rerun after a crash never writes a post twice. The keys are kept in memory and the file is read
only from where the last look ended (what this or another process appended since), so each line
is read once per channel instance, not once per post: posting stays linear in a 10,000-line outbox.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

from pydantic import Field

from nashra.config.channels import ChannelSettings
from nashra.plugins import writable_folder
from nashra.social.channels.base import TemplatedChannel
from nashra.social.counting import bluesky_length, mastodon_length, meta_length, telegram_length, x_length
from nashra.social.protocol import ChannelContext, ChannelOptions, Post, Published
from nashra.text import grapheme_len

_MEASURES = {
    "graphemes": grapheme_len,
    "x": x_length,
    "mastodon": mastodon_length,
    "bluesky": bluesky_length,
    "telegram": telegram_length,
    "meta": meta_length,
}


class FileOptions(ChannelOptions):
    path: Path | None = Field(default=None, description="default: <paths.outbox>/social/<name>.jsonl")
    limit: Annotated[int, Field(gt=0)] = 500
    count_as: str = Field(
        default="graphemes",
        pattern="^(graphemes|x|mastodon|bluesky|telegram|meta)$",
        description="which platform's counting to preview",
    )


class FileChannel(TemplatedChannel[FileOptions]):
    kind = "file"
    dedupes = True

    def __init__(self, config: ChannelSettings, options: FileOptions, context: ChannelContext) -> None:
        super().__init__(config, options, context)
        self._limit = options.limit
        self._measure = _MEASURES[options.count_as]
        self.path = (
            context.settings.resolve(options.path)
            if options.path
            else context.outbox_dir / "social" / f"{config.name}.jsonl"
        )
        self._keys: set[str] = set()
        self._read_to = 0
        """Bytes of the outbox whose keys are in `_keys`: whole lines only."""

    def limit(self, *, with_image: bool) -> int:
        return self._limit

    def measure(self, text: str) -> int:
        return self._measure(text)

    def verify(self) -> str:
        return writable_folder(self.path.parent)

    def _has(self, key: str) -> bool:
        self._catch_up()
        return key in self._keys

    def _catch_up(self) -> None:
        """Read the lines appended since the last look; a file that shrank was replaced or cut by
        hand, so it is read again from its start."""
        try:
            size = self.path.stat().st_size
        except FileNotFoundError:
            size = 0
        if size < self._read_to:
            self._keys.clear()
            self._read_to = 0
        if size == self._read_to:
            return
        with self.path.open("rb") as handle:
            handle.seek(self._read_to)
            data = handle.read(size - self._read_to)
        whole = data[: data.rfind(b"\n") + 1]  # a line still being written is read next time
        self._keys.update(json.loads(line).get("key") for line in whole.splitlines() if line.strip())
        self._read_to += len(whole)

    def publish(self, post: Post) -> Published:
        if self._has(post.key):
            return Published(remote_id=post.key)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        record = {
            "key": post.key,
            "article_id": post.article_id,
            "channel": post.channel,
            "text": post.text,
            "length": post.length,
            "limit": post.limit,
            "url": post.url,
            "attachments": post.attachments,
            "written_at": datetime.now(UTC).isoformat(),
        }
        with self.path.open("a", encoding="utf-8") as out:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
            out.flush()
            os.fsync(out.fileno())
        return Published(remote_id=post.key, url=self.path.as_uri())
