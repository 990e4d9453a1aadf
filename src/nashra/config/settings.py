"""The validated shape of `nashra.toml`.

Every section has defaults that make a fresh machine work with no file at all: demo content,
SQLite under ./data, outputs under ./public and ./outbox. Feature sections live in their own
modules (feeds, digests, mail, channels) and are composed here.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

from nashra.config.breaking import ALERT_DIGEST, BreakingSettings
from nashra.config.cards import CardsSettings
from nashra.config.channels import ChannelSettings
from nashra.config.digests import DigestSettings
from nashra.config.feedback import FeedbackSettings
from nashra.config.feeds import FeedsSettings
from nashra.config.lists import ListSettings
from nashra.config.mail import MailSettings, WebSettings
from nashra.config.metrics import MetricsSettings
from nashra.config.queue import QueueSettings
from nashra.text.urls import to_uri

if TYPE_CHECKING:
    from nashra.config.overrides import Override


class Section(BaseModel):
    """Unknown keys are errors: a typo in a key must not be silently ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class SiteSettings(Section):
    name: str = "نشرة"
    base_url: str = "https://nashra.example"
    description: str = "آخر الأخبار والتحليلات"
    language: str = "ar"
    locale: str = "ar"
    timezone: str = "Africa/Algiers"

    @field_validator("base_url")
    @classmethod
    def _absolute(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an absolute http(s) URL, e.g. https://news.example.org")
        return to_uri(value.rstrip("/"))  # every link built on it leaves Nashra as a URI

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown time zone {value!r}; use an IANA name such as Africa/Algiers"
            ) from None
        return value

    @field_validator("locale")
    @classmethod
    def _known_locale(cls, value: str) -> str:
        from babel import Locale, UnknownLocaleError

        try:
            Locale.parse(value)
        except (UnknownLocaleError, ValueError):
            raise ValueError(f"unknown locale {value!r}; use a Babel locale such as ar or ar_DZ") from None
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


class DatabaseSettings(Section):
    url: str | None = Field(
        default=None,
        description="SQLAlchemy URL; default is SQLite at <data>/nashra.db. NASHRA_DATABASE_URL overrides.",
    )


class PathsSettings(Section):
    data: Path = Path("data")
    public: Path = Path("public")
    outbox: Path = Path("outbox")


class IngestSettings(Section):
    """Polling, and the limits of the one HTTP client every step shares (sources, images,
    Telegram, webhooks, WebSub pings): no request may hang, flood memory or run for ever."""

    every_minutes: Annotated[float, Field(gt=0)] = 10
    timeout_seconds: Annotated[float, Field(gt=0)] = 20
    """Longest silence between two reads."""
    connect_timeout_seconds: Annotated[float, Field(gt=0)] = 5
    """Name lookup plus connection: a platform that cannot be reached fails fast."""
    deadline_seconds: Annotated[float, Field(gt=0)] = 60
    """Whole request, redirects and body included, however slowly the bytes trickle."""
    max_response_mb: Annotated[float, Field(gt=0)] = 20
    """Body as sent (compressed)."""
    max_decompressed_mb: Annotated[float, Field(gt=0)] = 100
    """Body once gzip/deflate is undone: a small bomb never becomes gigabytes."""
    user_agent: str = "Nashra/0.1 (+https://nashra.example)"


class SourceSettings(BaseModel):
    """A `[[sources]]` table: `type` picks the adapter, which validates the remaining keys itself."""

    model_config = ConfigDict(extra="allow", frozen=True)

    type: str
    name: str
    enabled: bool = True

    @property
    def options(self) -> dict[str, object]:
        return dict(self.model_extra or {})


class Settings(Section):
    site: SiteSettings = SiteSettings()
    database: DatabaseSettings = DatabaseSettings()
    paths: PathsSettings = PathsSettings()
    ingest: IngestSettings = IngestSettings()
    sources: list[SourceSettings] = []
    feeds: FeedsSettings = FeedsSettings()
    digests: list[DigestSettings] = []
    mail: MailSettings = MailSettings()
    web: WebSettings = WebSettings()
    lists: list[ListSettings] = []
    channels: list[ChannelSettings] = []
    cards: CardsSettings = CardsSettings()
    queue: QueueSettings = QueueSettings()
    metrics: MetricsSettings = MetricsSettings()
    feedback: FeedbackSettings = FeedbackSettings()
    breaking: BreakingSettings = BreakingSettings()

    _base_dir: Path = PrivateAttr(default_factory=Path.cwd)
    _origin: str | None = PrivateAttr(default=None)
    _text: str = PrivateAttr(default="")
    _file: Settings | None = PrivateAttr(default=None)
    _overrides: tuple[Override, ...] = PrivateAttr(default=())

    @field_validator("sources")
    @classmethod
    def _unique_source_names(cls, value: list[SourceSettings]) -> list[SourceSettings]:
        names = [s.name for s in value]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"source names must be unique; repeated: {', '.join(duplicates)}")
        return value

    @model_validator(mode="after")
    def _alert_name_free(self) -> Settings:
        if self.breaking.alert_list is not None and any(d.name == ALERT_DIGEST for d in self.digests):
            raise ValueError(
                f"digests: the name {ALERT_DIGEST!r} is the breaking-news alert's ([breaking] alert_list); "
                "rename that digest"
            )
        return self

    @field_validator("lists")
    @classmethod
    def _unique_list_names(cls, value: list[ListSettings]) -> list[ListSettings]:
        names = [item.name for item in value]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"list names must be unique; repeated: {', '.join(duplicates)}")
        return value

    def resolve(self, path: Path) -> Path:
        """Relative paths in the file are relative to the file's folder, not to where you run."""
        return path if path.is_absolute() else (self._base_dir / path)

    @property
    def base_dir(self) -> Path:
        return self._base_dir

    @property
    def origin(self) -> str | None:
        """The config file this came from, or None for built-in defaults."""
        return self._origin

    @property
    def data_dir(self) -> Path:
        return self.resolve(self.paths.data)

    @property
    def public_dir(self) -> Path:
        return self.resolve(self.paths.public)

    @property
    def outbox_dir(self) -> Path:
        return self.resolve(self.paths.outbox)

    @property
    def database_url(self) -> str:
        import os

        override = os.environ.get("NASHRA_DATABASE_URL")
        if override:
            return override
        if self.database.url:
            return self.database.url
        return f"sqlite:///{self.data_dir / 'nashra.db'}"

    def set_overrides(self, file_settings: Settings, applied: tuple[Override, ...]) -> None:
        """Record that these are `file_settings` with `applied` over them (`config.overrides.apply`)."""
        self._file = None if file_settings is self else file_settings
        self._overrides = applied

    @property
    def file_settings(self) -> Settings:
        """The settings as the file has them, before any override."""
        return self._file or self

    @property
    def overrides(self) -> tuple[Override, ...]:
        """The overrides these settings carry (none when read from the file alone)."""
        return self._overrides

    def written(self, loc: tuple[str | int, ...]) -> bool:
        """Whether the config file itself sets the value at `loc` (else it is a built-in default)."""
        import tomllib

        node: object = tomllib.loads(self.file_settings._text) if self.file_settings._text else {}
        for part in loc:
            if isinstance(part, int):
                if not isinstance(node, list) or part >= len(node):
                    return False
                node = node[part]
            elif isinstance(node, dict) and part in node:
                node = node[part]
            else:
                return False
        return True

    def locate(self, loc: tuple[str | int, ...]) -> str:
        """`file:line` for a key path, for error messages about keys validated after loading."""
        from nashra.config.locate import where

        return where(self._origin, self._text, loc)
