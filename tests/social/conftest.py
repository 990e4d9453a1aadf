"""Fixtures for the social tests: settings without a store, channels built by the registry, a fake clock."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from social_helpers import FakeTime

from nashra.config import Settings
from nashra.config.loader import parse_settings
from nashra.social.protocol import Channel, ChannelContext
from nashra.social.registry import build_channels


@pytest.fixture
def settings_from(tmp_path: Path) -> Callable[[str], Settings]:
    """Settings from TOML text for tests that need no store (adapter requests, composing)."""

    def make(toml: str = "") -> Settings:
        (tmp_path / "nashra.toml").write_text(toml, encoding="utf-8")
        return parse_settings(toml, origin=str(tmp_path / "nashra.toml"), base_dir=tmp_path)

    return make


@pytest.fixture
def channel_from(settings_from: Callable[[str], Settings]) -> Iterator[Callable[..., Channel]]:
    """The one channel configured by `toml`, built through the registry as the worker does."""
    clients: list[httpx.Client] = []

    def make(toml: str) -> Channel:
        settings = settings_from(toml)
        client = httpx.Client(timeout=5)
        clients.append(client)
        (channel,) = build_channels(settings, ChannelContext(settings, client))
        return channel

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime(datetime.now(UTC).replace(microsecond=0))
