"""Source kinds are found through the `nashra.sources` entry-point group, so a package can add one."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from nashra.config import Settings, SourceSettings
from nashra.errors import ConfigError
from nashra.plugins import PluginGroup
from nashra.sources.base import Source, SourceContext, SourceOptions

SOURCES: PluginGroup[Source, SourceOptions] = PluginGroup("nashra.sources", "source", Source, SourceOptions)


def demo_settings() -> SourceSettings:
    """The bundled demo articles: the source used when the config names none."""
    return SourceSettings.model_validate(
        {"type": "folder", "name": "demo", "path": str(Path(str(files("nashra") / "demo")))}
    )


def configured_sources(settings: Settings) -> list[tuple[int | None, SourceSettings]]:
    """(index in the file, settings) of every enabled source; the demo one when none is configured."""
    if not settings.sources:
        return [(None, demo_settings())]
    return [(i, s) for i, s in enumerate(settings.sources) if s.enabled]


def build_sources(settings: Settings, context: SourceContext) -> list[Source]:
    """Instantiate every configured source, reporting every bad table at once."""
    built: list[Source] = []
    problems: list[str] = []
    for index, config in configured_sources(settings):
        try:
            kind, options, _, _ = SOURCES.configure_entry(
                "sources", index, config.name, config.type, config.options, locate=settings.locate
            )
        except ConfigError as exc:
            problems.extend(exc.problems)
            continue
        built.append(kind(config, options, context))
    if problems:
        raise ConfigError(problems)
    return built
