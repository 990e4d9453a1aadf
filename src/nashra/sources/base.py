"""The protocol every source kind implements, and what it hands back to ingest."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Annotated, ClassVar, Protocol, TypeVar

import httpx
from pydantic import AfterValidator

from nashra.config import Settings, SourceSettings
from nashra.config.options import AdapterOptions
from nashra.model import Article
from nashra.plugins import Adapter
from nashra.store.sources import SourceState


def _absolute_http(value: str) -> str:
    if not value.startswith(("http://", "https://")):
        raise ValueError("must be an absolute http(s) URL")
    return value


HttpUrl = Annotated[str, AfterValidator(_absolute_http)]
"""A source's address: checked when the config loads, not on the first fetch."""


class SourceOptions(AdapterOptions):
    """Base for each kind's own keys; unknown keys are errors."""


@dataclass(frozen=True, slots=True)
class SourceContext:
    """What a source may use: the site settings and a shared HTTP client (timeouts, user agent)."""

    settings: Settings
    http: httpx.Client


@dataclass(slots=True)
class FetchResult:
    """Articles read this round, plus the state to keep for the next round.

    `problems` are items that were skipped (a malformed entry, a broken file), each naming where;
    they do not fail the source. `not_modified` means the server answered 304.
    """

    articles: list[Article] = field(default_factory=list)
    etag: str | None = None
    last_modified: str | None = None
    cursor: str | None = None
    not_modified: bool = False
    problems: list[str] = field(default_factory=list)
    status: int | None = None
    """The HTTP status of the answer, for a source read over HTTP (what `nashra check` shows)."""


class Source(Protocol):
    kind: ClassVar[str]
    Options: ClassVar[type[SourceOptions]]
    name: str

    def __init__(self, config: SourceSettings, options: SourceOptions, context: SourceContext) -> None: ...

    def fetch(self, state: SourceState) -> FetchResult:
        """Read what is there now; raise SourceError when the whole source failed this round."""
        ...


OptionsT = TypeVar("OptionsT", bound=SourceOptions)


class SourceBase(Adapter[OptionsT], ABC):
    """What every source keeps: its name, its typed options and its context."""

    kind: ClassVar[str]
    Options: ClassVar[type[SourceOptions]]

    def __init__(self, config: SourceSettings, options: OptionsT, context: SourceContext) -> None:
        self.name = config.name
        self.config = config
        self.options = options
        self.context = context

    @abstractmethod
    def fetch(self, state: SourceState) -> FetchResult:
        """See `Source.fetch`."""

    def verify(self) -> str:
        """One fetch from a blank state (as on a first run), summarised; nothing is stored."""
        return summarise(self.fetch(SourceState(name=self.name, type=self.config.type)))


def summarise(result: FetchResult) -> str:
    """ "200, 25 items" (", 2 skipped" when some could not be read): what a check reports of a fetch."""
    status = f"{result.status}, " if result.status is not None else ""
    skipped = f", {len(result.problems)} skipped" if result.problems else ""
    items = len(result.articles)
    return f"{status}{items} item{'' if items == 1 else 's'}{skipped}"
