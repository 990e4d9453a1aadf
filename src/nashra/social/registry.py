"""Channel kinds are found through the `nashra.channels` entry-point group, so a package can add one.

Configuration alone picks an adapter: a `[[channels]]` table whose `type` names an entry point.
With no `[[channels]]` at all, posts go to the file channel (JSON lines in the outbox).
"""

from __future__ import annotations

from importlib.metadata import EntryPoint, entry_points

from nashra.config import Settings
from nashra.config.channels import ChannelSettings
from nashra.config.options import validate_options
from nashra.errors import ConfigError
from nashra.social.protocol import Channel, ChannelContext

GROUP = "nashra.channels"


def channel_kinds() -> dict[str, EntryPoint]:
    """Every installed adapter by type name, not yet imported (an adapter's SDK is an optional extra).

    Not cached, so a package installed while the worker runs is seen on its next round.
    """
    return {ep.name: ep for ep in entry_points(group=GROUP)}


def load_kind(entry: EntryPoint) -> type[Channel]:
    try:
        return entry.load()  # type: ignore[no-any-return]
    except ImportError as exc:
        raise ConfigError(
            [
                (
                    f"channel type {entry.name!r} cannot be loaded ({exc}); "
                    f"install its extra, e.g. pip install 'nashra[{entry.name}]'"
                )
            ]
        ) from None


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
    kinds = channel_kinds()
    problems: list[str] = []
    seen: dict[str, int | None] = {}
    for index, config in enumerate(settings.channels):
        if config.name in seen:
            where = settings.locate(("channels", index, "name"))
            problems.append(
                f"{where}: channels[{index}].name: {config.name!r} is used by another channel; names must be unique"
            )
        seen.setdefault(config.name, index)
    chosen = configured_channels(settings)
    if only is not None:
        chosen = [(i, c) for i, c in chosen if c.name == only]
        if not chosen:
            names = ", ".join(c.name for _, c in configured_channels(settings))
            raise ConfigError([f"no enabled channel named {only!r}; configured: {names}"])
    built: list[Channel] = []
    for index, config in chosen:
        loc: tuple[str | int, ...] = ("channels", index) if index is not None else ()
        label = f"channels[{index}]" if index is not None else "channels (default)"
        entry = kinds.get(config.type)
        if entry is None:
            where = settings.locate((*loc, "type"))
            problems.append(
                f"{where}: {label}.type: unknown channel type {config.type!r}; known: {', '.join(sorted(kinds))}"
            )
            continue
        try:
            kind = load_kind(entry)
        except ConfigError as exc:
            problems.extend(f"{settings.locate((*loc, 'type'))}: {label}.type: {p}" for p in exc.problems)
            continue
        options, bad = validate_options(
            kind.Options, config.options, settings=settings, loc=loc, label=f"{label} ({config.name})"
        )
        if options is None:
            problems.extend(bad)
            continue
        try:
            built.append(kind(config, options, context))
        except ConfigError as exc:
            where = settings.locate(loc) if loc else settings.origin or "built-in defaults"
            problems.extend(f"{where}: {label} ({config.name}): {p}" for p in exc.problems)
    if problems:
        raise ConfigError(problems)
    return built
