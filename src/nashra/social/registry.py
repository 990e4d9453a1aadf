"""Channel kinds are found through the `nashra.channels` entry-point group, so a package can add one.

Configuration alone picks an adapter: a `[[channels]]` table whose `type` names an entry point.
With no `[[channels]]` at all, posts go to the file channel (JSON lines in the outbox).
"""

from __future__ import annotations

from nashra.config import Settings
from nashra.config.channels import ChannelSettings
from nashra.errors import ConfigError
from nashra.plugins import PluginGroup
from nashra.social.protocol import Channel, ChannelContext, ChannelOptions

CHANNELS: PluginGroup[Channel, ChannelOptions] = PluginGroup(
    "nashra.channels", "channel", Channel, ChannelOptions
)


def default_channel() -> ChannelSettings:
    """The embedded default: the file channel, so a fresh install shows what it would post.

    It previews, it does not publish, so it also takes the (older) demo articles a real channel's
    `max_age_hours` would rightly leave alone.
    """
    return ChannelSettings(type="file", name="outbox", max_age_hours=24 * 365 * 10)


def configured_channels(settings: Settings) -> list[tuple[int | None, ChannelSettings]]:
    """(index in the file, settings) of every enabled channel; the file channel when none is configured."""
    if not settings.channels:
        return [(None, default_channel())]
    return [(i, c) for i, c in enumerate(settings.channels) if c.enabled]


def build_channels(settings: Settings, context: ChannelContext, *, only: str | None = None) -> list[Channel]:
    """Instantiate the configured channels (or just `only`), reporting every bad table at once."""
    problems: list[str] = []
    seen: set[str] = set()
    for position, table in enumerate(settings.channels):
        if table.name in seen:
            where = settings.locate(("channels", position, "name"))
            problems.append(
                f"{where}: channels[{position}].name: {table.name!r} is used by another channel; names must be unique"
            )
        seen.add(table.name)
    chosen = configured_channels(settings)
    if only is not None:
        chosen = [(i, c) for i, c in chosen if c.name == only]
        if not chosen:
            names = ", ".join(c.name for _, c in configured_channels(settings))
            raise ConfigError([f"no enabled channel named {only!r}; configured: {names}"])
    built: list[Channel] = []
    for index, config in chosen:
        try:
            kind, options, loc, label = CHANNELS.configure_entry(
                "channels", index, config.name, config.type, config.options, locate=settings.locate
            )
        except ConfigError as exc:
            problems.extend(exc.problems)
            continue
        try:
            built.append(kind(config, options, context))
        except ConfigError as exc:
            where = settings.locate(loc) if loc else settings.origin or "built-in defaults"
            problems.extend(f"{where}: {label} ({config.name}): {p}" for p in exc.problems)
    if problems:
        raise ConfigError(problems)
    return built
