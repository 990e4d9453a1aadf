"""What is checked before a command does anything, so a mistake stops it with one line per problem
instead of surfacing hours later in a log.

- At load (`adapter_problems`, handed to the loader by the faces): the own keys of every
  `[[sources]]` and `[[channels]]` table and of the transport's `[mail.<name>]` table, each by the
  adapter its `type` names. Disabled tables too: a typo is a typo.
- At start (`missing_secrets`): the environment variables that what the command will use needs;
  a channel or source that is not meant to run is disabled rather than left without its token.

The adapters are found through their registries (steps), which is why this is not in `config`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import BaseModel

from nashra.config import Settings
from nashra.config.channels import ChannelSettings
from nashra.config.locate import Locate
from nashra.config.mail import MailSettings
from nashra.config.options import AdapterOptions
from nashra.config.settings import SourceSettings
from nashra.errors import ConfigError
from nashra.mail.transports import TRANSPORTS, configure_transport
from nashra.plugins import PluginGroup
from nashra.social.registry import CHANNELS, configured_channels
from nashra.sources.registry import SOURCES, configured_sources


def _entries_problems(
    group: PluginGroup[Any, Any], array: str, shared: type[BaseModel], raw: Mapping[str, Any], locate: Locate
) -> list[str]:
    """Every `[[array]]` table's own keys; a table without a usable `type` is the loader's to report."""
    tables = raw.get(array)
    problems: list[str] = []
    for index, table in enumerate(tables if isinstance(tables, list) else []):
        if not (isinstance(table, dict) and isinstance(table.get("type"), str)):
            continue
        options = {key: value for key, value in table.items() if key not in shared.model_fields}
        try:
            group.configure_entry(
                array, index, str(table.get("name", "")), table["type"], options, locate=locate
            )
        except ConfigError as exc:
            problems.extend(exc.problems)
    return problems


def _transport_problems(raw: Mapping[str, Any], locate: Locate) -> list[str]:
    """The chosen transport's `[mail.<name>]` table, when `[mail]` does not declare it itself (smtp)
    and the name is installed (an unknown one is reported by `[mail]`)."""
    mail = raw.get("mail", {})
    name = mail.get("transport", "file") if isinstance(mail, dict) else None
    if not isinstance(name, str) or name in MailSettings.model_fields or name not in TRANSPORTS.kinds():
        return []
    table = mail.get(name, {})
    try:
        configure_transport(name, table if isinstance(table, dict) else {}, locate=locate)
    except ConfigError as exc:
        return exc.problems
    return []


def adapter_problems(raw: Mapping[str, Any], locate: Locate) -> list[str]:
    """A loader check (`nashra.config.loader.Check`): every adapter table's own keys."""
    return [
        *_entries_problems(SOURCES, "sources", SourceSettings, raw, locate),
        *_entries_problems(CHANNELS, "channels", ChannelSettings, raw, locate),
        *_transport_problems(raw, locate),
    ]


@dataclass(frozen=True, slots=True)
class Uses:
    """What a command will use, so that only the secrets it needs are required."""

    sources: bool = False
    source: str | None = None
    """With `sources`: only this one (`nashra check`, one line per source)."""
    channels: bool = False
    channel: str | None = None
    """With `channels`: only this one (`nashra post --channel`)."""
    mail: bool = False


def _unset(options: AdapterOptions) -> list[tuple[str, str]]:
    return [(key, name) for key, name in options.needed_secrets().items() if not os.environ.get(name)]


OptionsT = TypeVar("OptionsT", bound=AdapterOptions)


def _entry_secrets(
    group: PluginGroup[Any, OptionsT],
    array: str,
    noun: str,
    index: int | None,
    config: SourceSettings | ChannelSettings,
    settings: Settings,
) -> list[str]:
    _, options, loc, label = group.configure_entry(
        array, index, config.name, config.type, config.options, locate=settings.locate
    )
    return [
        f"{settings.locate((*loc, key))}: {label} ({config.name}).{key}: environment variable {variable} "
        f"is not set; set it, or set enabled = false in this table to leave the {noun} off"
        for key, variable in _unset(options)
    ]


def missing_secrets(settings: Settings, uses: Uses) -> list[str]:
    """One line per environment variable that an enabled adapter the command uses needs and lacks."""
    problems: list[str] = []
    if uses.sources:
        for index, source in configured_sources(settings):
            if uses.source in (None, source.name):
                problems += _entry_secrets(SOURCES, "sources", "source", index, source, settings)
    if uses.channels:
        for index, channel in configured_channels(settings):
            if uses.channel in (None, channel.name):
                problems += _entry_secrets(CHANNELS, "channels", "channel", index, channel, settings)
    if uses.mail:
        name = settings.mail.transport
        _, options = configure_transport(name, settings.mail.transport_options, locate=settings.locate)
        problems.extend(
            f"{settings.locate(('mail', name, key))}: mail.{name}.{key}: environment variable {variable} "
            "is not set; set it, or choose another mail.transport"
            for key, variable in _unset(options)
        )
    return problems
