"""The file channel keeps its once-per-key promise without re-reading its outbox for every post
(issue #13): each byte of the outbox is read at most once per channel instance, so posting N
articles is linear in N, and lines another process appends are still seen."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

import pytest

from nashra.social.channels.base import post_key
from nashra.social.protocol import Channel, Post

TOML = '[[channels]]\ntype = "file"\nname = "archive"\n'


def _post(channel: Channel, number: int) -> Post:
    article = f"article-{number}"
    return Post(
        article_id=article,
        channel=channel.name,
        key=post_key(article, channel.name),
        text=f"خبر رقم {number} https://news.example.org/{number}",
        length=30,
        limit=500,
        url=f"https://news.example.org/{number}",
        title=f"خبر رقم {number}",
        summary="",
    )


class _Counted:
    """A file whose reads are counted (in bytes, whichever way it is read)."""

    def __init__(self, handle: IO[Any], counter: list[int]) -> None:
        self._handle = handle
        self._counter = counter

    def _count(self, data: str | bytes) -> str | bytes:
        self._counter[0] += len(data.encode() if isinstance(data, str) else data)
        return data

    def read(self, *args: int) -> str | bytes:
        return self._count(self._handle.read(*args))

    def __iter__(self) -> Iterator[str | bytes]:
        return (self._count(line) for line in self._handle)

    def __enter__(self) -> _Counted:
        return self

    def __exit__(self, *exc: object) -> None:
        self._handle.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._handle, name)


@pytest.fixture
def outbox_reads(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Bytes read from any .jsonl outbox through Path.open."""
    counter = [0]
    real_open = Path.open

    def counting_open(self: Path, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        handle = real_open(self, mode, *args, **kwargs)
        if self.suffix == ".jsonl" and "r" in mode:
            return _Counted(handle, counter)
        return handle

    monkeypatch.setattr(Path, "open", counting_open)
    return counter


def test_posting_reads_each_outbox_byte_at_most_once(
    channel_from: Callable[[str], Channel], outbox_reads: list[int]
) -> None:
    channel = channel_from(TOML)
    count = 100
    for number in range(count):
        channel.publish(_post(channel, number))
    outbox: Path = channel.path  # type: ignore[attr-defined]
    size = outbox.stat().st_size
    # re-reading the whole outbox for each post reads about size * count / 2 bytes
    assert outbox_reads[0] <= size
    assert len(outbox.read_text(encoding="utf-8").splitlines()) == count

    channel.publish(_post(channel, 7))  # once per key, in this instance ...
    assert outbox.stat().st_size == size


def test_a_new_instance_and_lines_from_another_process_are_deduplicated(
    channel_from: Callable[[str], Channel],
) -> None:
    first = channel_from(TOML)
    second = channel_from(TOML)
    first.publish(_post(first, 1))
    second.publish(_post(second, 2))
    outbox: Path = first.path  # type: ignore[attr-defined]
    size = outbox.stat().st_size
    first.publish(_post(first, 2))  # written by the other instance after this one last read
    second.publish(_post(second, 1))
    assert outbox.stat().st_size == size

    outbox.write_text("", encoding="utf-8")  # emptied by hand: read again from the start
    first.publish(_post(first, 1))
    assert len(outbox.read_text(encoding="utf-8").splitlines()) == 1
