"""`[feeds]` keys: defaults, and mistakes reported as config errors naming the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from nashra.config.loader import parse_settings
from nashra.errors import ConfigError


def test_defaults(tmp_path: Path) -> None:
    feeds = parse_settings("", origin="test", base_dir=tmp_path).feeds
    assert (feeds.max_items, feeds.full_content, feeds.per_section, feeds.per_tag) == (50, True, True, True)
    assert (feeds.hub_url, feeds.summary_length, feeds.guid_prefix, feeds.cache_seconds) == (
        None,
        300,
        "urn:nashra:",
        300,
    )


@pytest.mark.parametrize(
    ("toml", "key"),
    [
        ('hub_url = "hub.example.org"', "hub_url"),
        ('guid_prefix = "nashra-"', "guid_prefix"),
        ("max_items = 0", "max_items"),
        ("summary_length = 10", "summary_length"),
        ("cache_seconds = -1", "cache_seconds"),
        ("max_itmes = 5", "max_itmes"),
    ],
)
def test_mistakes_name_the_key(tmp_path: Path, toml: str, key: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_settings(f"[feeds]\n{toml}\n", origin="nashra.toml", base_dir=tmp_path)
    assert f"feeds.{key}" in str(caught.value)
