"""Source kinds are found through the `nashra.sources` entry-point group, so a package can add one."""

from __future__ import annotations

from functools import cache
from importlib.metadata import entry_points
from importlib.resources import files
from pathlib import Path

from nashra.config import Settings, SourceSettings
from nashra.config.options import validate_options
from nashra.errors import ConfigError
from nashra.sources.base import Source, SourceContext

GROUP = "nashra.sources"


@cache
def source_kinds() -> dict[str, type[Source]]:
    return {ep.name: ep.load() for ep in entry_points(group=GROUP)}


def demo_settings() -> SourceSettings:
    """The bundled demo articles: the source used when the config names none."""
    return SourceSettings(type="folder", name="demo", path=str(Path(str(files("nashra") / "demo"))))


def configured_sources(settings: Settings) -> list[tuple[int | None, SourceSettings]]:
    """(index in the file, settings) of every enabled source; the demo one when none is configured."""
    if not settings.sources:
        return [(None, demo_settings())]
    return [(i, s) for i, s in enumerate(settings.sources) if s.enabled]


def build_sources(settings: Settings, context: SourceContext) -> list[Source]:
    """Instantiate every configured source, reporting every bad table at once."""
    kinds = source_kinds()
    built: list[Source] = []
    problems: list[str] = []
    for index, config in configured_sources(settings):
        loc: tuple[str | int, ...] = ("sources", index) if index is not None else ()
        kind = kinds.get(config.type)
        if kind is None:
            where = settings.locate((*loc, "type"))
            problems.append(
                f"{where}: sources[{index}].type: unknown source type {config.type!r}; known: {', '.join(sorted(kinds))}"
            )
            continue
        options, bad = validate_options(
            kind.Options,
            config.options,
            settings=settings,
            loc=loc,
            label=f"sources[{index}] ({config.name})",
        )
        if options is None:
            problems.extend(bad)
            continue
        built.append(kind(config, options, context))
    if problems:
        raise ConfigError(problems)
    return built
