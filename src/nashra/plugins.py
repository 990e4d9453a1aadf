"""Adapters (sources, channels, mail transports) are classes found through entry points.

A package adds an adapter by declaring an entry point in the adapter's group; configuration then
picks it by name alone (a `type` key). Finding, checking and configuring a kind live here once, so
every kind of adapter is found the same way and a bad `type` reads the same everywhere: one line
with the file:line, the key, the unknown name and the names that would work.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path
from typing import Any, ClassVar, Generic, Protocol, TypeVar, get_args, get_origin, runtime_checkable

from pydantic import BaseModel

from nashra.config.locate import Loc, Locate
from nashra.config.options import validate_options
from nashra.errors import ConfigError, Unverified

K = TypeVar("K")
OptionsT = TypeVar("OptionsT", bound=BaseModel)


class Adapter(Generic[OptionsT]):
    """Base for adapter classes: `class RssSource(SourceBase[RssOptions])` is the whole declaration.

    The options model is named once, as the type parameter: it becomes the class's `Options` (what
    the loader validates the table with) and the type of `self.options`, so no adapter keeps its
    own typed copy of its options.
    """

    Options: ClassVar[type[BaseModel]]
    options: OptionsT

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for base in getattr(cls, "__orig_bases__", ()):
            origin = get_origin(base)
            if isinstance(origin, type) and issubclass(origin, Adapter):
                model = next(iter(get_args(base)), None)
                if isinstance(model, type) and issubclass(model, BaseModel):
                    cls.Options = model


@runtime_checkable
class Verifiable(Protocol):
    """What `nashra check` asks of an adapter: prove it would work, without sending anything.

    `verify()` makes the cheapest call that shows the part is usable (a "who am I", a GET, an SMTP
    login) and returns one line saying what it checked and what answered
    (`GET /api/v1/accounts/verify_credentials: @news`); on failure it raises, best an
    `Unverified` whose message says what was tried and what went wrong. The base classes
    (`SourceBase`, `TemplatedChannel`, `TransportBase`) give every adapter a default, so it is
    optional: an adapter without one is listed by `nashra check` as not verified.
    """

    def verify(self) -> str: ...


def writable_folder(folder: Path) -> str:
    """Whether files can be written in `folder`, or (if it does not exist yet) created there, without
    creating anything: a check must leave the machine as it found it."""
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise Unverified(f"folder {folder}: {existing} is not a folder")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise Unverified(f"folder {folder}: {existing} is not writable by this user")
    return (
        f"folder {folder} writable" if existing == folder else f"folder {folder} can be created in {existing}"
    )


@dataclass(frozen=True, slots=True)
class PluginGroup(Generic[K, OptionsT]):
    """An entry-point group and what every class registered in it must be.

    `protocol` is the adapter's Protocol class (K, as the annotation of the group's constant says):
    a loaded class must have its public methods, and an `Options` model derived from `options`,
    which is what its table's own keys are validated with.
    """

    group: str
    noun: str
    protocol: type
    options: type[OptionsT]

    def kinds(self) -> dict[str, EntryPoint]:
        """Every installed kind by name, not yet imported (an adapter's SDK may be an optional extra).

        Not cached, so a package installed while the worker runs is seen on its next round.
        """
        return {entry.name: entry for entry in entry_points(group=self.group)}

    def load(self, name: str, *, where: str, key: str) -> type[K]:
        """The class registered as `name`; ConfigError (one line, naming `where` and `key`) otherwise."""
        kinds = self.kinds()
        entry = kinds.get(name)
        if entry is None:
            known = ", ".join(sorted(kinds)) or "none installed"
            raise ConfigError([f"{where}: {key}: unknown {self.noun} type {name!r}; known: {known}"])
        try:
            loaded = entry.load()
        except ImportError as exc:
            install = f"install its extra, e.g. pip install 'nashra[{name}]'"
            raise ConfigError(
                [f"{where}: {key}: {self.noun} type {name!r} cannot be loaded ({exc}); {install}"]
            ) from None
        problem = self._misfit(loaded)
        if problem:
            raise ConfigError([f"{where}: {key}: {self.noun} type {name!r} ({entry.value}) {problem}"])
        return loaded  # type: ignore[no-any-return]  # checked against the protocol just above

    def _misfit(self, loaded: object) -> str | None:
        """Why `loaded` cannot serve as a kind of this group, or None when it can."""
        if not isinstance(loaded, type):
            return f"is not a class but {type(loaded).__name__}"
        options = getattr(loaded, "Options", None)
        if not (isinstance(options, type) and issubclass(options, self.options)):
            return f"has no Options model derived from {self.options.__name__}"
        methods = [n for n, v in vars(self.protocol).items() if callable(v) and not n.startswith("_")]
        missing = [n for n in methods if not callable(getattr(loaded, n, None))]
        if missing:
            return f"is not a {self.protocol.__name__}: it lacks {', '.join(missing)}"
        return None

    def configure(
        self,
        name: str,
        table: dict[str, Any],
        *,
        locate: Locate,
        type_at: Loc,
        type_key: str,
        options_at: Loc,
        options_label: str,
    ) -> tuple[type[K], OptionsT]:
        """The kind `name` and its validated options from `table`; ConfigError listing every problem.

        `type_at`/`type_key` say where the name was given, `options_at`/`options_label` where the
        adapter's own keys are, so each problem points at its own line; `locate` turns a key path
        into `file:line` (`Settings.locate`, or the loader's before the settings exist).
        """
        kind = self.load(name, where=locate(type_at), key=type_key)
        model: type[OptionsT] = kind.Options  # type: ignore[attr-defined]  # checked in `load`
        options, problems = validate_options(model, table, locate=locate, loc=options_at, label=options_label)
        if options is None:
            raise ConfigError(problems)
        return kind, options

    def configure_entry(
        self,
        array: str,
        index: int | None,
        entry: str,
        kind_name: str,
        table: dict[str, Any],
        *,
        locate: Locate,
    ) -> tuple[type[K], OptionsT, Loc, str]:
        """`configure` for the `index`-th `[[array]]` table, named `entry` ("" when it has no name yet;
        index None: the built-in default entry); also returns the place and label its other problems are reported under."""
        loc: Loc = (array, index) if index is not None else ()
        label = f"{array}[{index}]" if index is not None else f"{array} (default)"
        kind, options = self.configure(
            kind_name,
            table,
            locate=locate,
            type_at=(*loc, "type"),
            type_key=f"{label}.type",
            options_at=loc,
            options_label=f"{label} ({entry})" if entry else label,
        )
        return kind, options, loc, label
