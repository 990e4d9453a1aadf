"""`[mail]` (how digests leave) and `[web]` (where subscribers land).

`mail.transport` names a transport installed in the `nashra.transports` entry-point group; its own
keys go in `[mail.<transport>]` and are validated by its `Options` model when it is built, as a
channel's are. Secrets are never keys here: `smtp.password_env` and `secret_env` name environment
variables.
"""

from __future__ import annotations

from email.headerregistry import Address
from email.utils import parseaddr
from importlib.metadata import entry_points
from ipaddress import ip_address
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from limits import parse_many
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from nashra.config.options import AdapterOptions
from nashra.text.urls import to_uri

TRANSPORT_GROUP = "nashra.transports"


class TransportOptions(AdapterOptions):
    """Base for each transport's own keys (`[mail.<transport>]`); unknown keys are errors."""


class SmtpSettings(TransportOptions):
    """`[mail.smtp]`: the relay digests are handed to.

    Declared here, not only by the smtp transport, because the delivery loop reads its retry and
    pause keys whatever the transport.
    """

    host: str = "localhost"
    port: Annotated[int, Field(gt=0, lt=65536)] = 587
    security: Literal["starttls", "tls", "none"] = "starttls"
    username: str | None = None
    password_env: str = "NASHRA_SMTP_PASSWORD"
    ca_file: Path | None = None
    """PEM certificates to trust for this server instead of the system's (a private relay)."""
    connections: Annotated[int, Field(ge=1, le=64)] = 4
    rate_per_second: Annotated[float, Field(ge=0)] = 0
    """0 = no limit; otherwise messages per second across all connections."""
    timeout: Annotated[float, Field(gt=0)] = 30
    retry_attempts: Annotated[int, Field(ge=1, le=50)] = 5
    """How many times a 4xx (temporary) reply is retried for one address before it counts as failed."""
    retry_backoff_seconds: Annotated[float, Field(ge=0)] = 30
    """First wait after a 4xx; doubles on every further attempt."""
    pause_seconds: Annotated[float, Field(ge=0)] = 60
    """How long a send waits before reconnecting when the server is unreachable."""
    max_pauses: Annotated[int, Field(ge=0)] = 10
    """After this many failed reconnects in a row the send stops (its place is kept for the next run)."""

    def needed_secrets(self) -> dict[str, str]:
        """The password is read only to log in, that is when a username is set."""
        return {"password_env": self.password_env} if self.username else {}


class DkimSettings(BaseModel):
    """`[mail.dkim]`: sign every message when `key_path` is set (dkimpy)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    selector: str = "nashra"
    domain: str | None = None
    """Default: the domain of mail.from_address."""
    key_path: Path | None = None


# Where `_take_transport_table` puts a third-party transport's `[mail.<name>]` table: a key no TOML
# file would spell, so the model can forbid every other unknown key with the loader's usual message.
_TRANSPORT_TABLE = " transport table"


class MailSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    transport: str = Field(default="file", description="a `nashra.transports` entry point: file, smtp, …")
    from_address: str = "نشرة <newsletter@nashra.example>"
    reply_to: str | None = None
    list_id: str | None = None
    """List-Id header value, e.g. "nashra.example"; default: the domain of from_address."""
    unsubscribe_mailto: str | None = None
    """Address in the mailto: half of List-Unsubscribe; default unsubscribe@<from domain>."""
    return_path: str | None = None
    """Envelope sender (MAIL FROM); default: the address of from_address."""
    verp: bool = False
    """Give each digest message its own envelope sender, `<local>+<issue>-<subscriber>-<sig>@<domain>`
    of the envelope sender above (nashra.mail.verp), so a bounce mailed back later is matched to its
    subscriber. The mailbox must take `+` addresses (most do: Postfix recipient_delimiter, Gmail,
    Exchange plus addressing)."""
    secret_env: str = "NASHRA_SECRET"
    """Environment variable holding the key that signs confirm/unsubscribe links."""
    confirm_hours: Annotated[float, Field(gt=0)] = 48
    unsubscribe_days: Annotated[float, Field(gt=0)] = 365
    test_subject_prefix: str = "[تجربة] "
    smtp: SmtpSettings = SmtpSettings()
    dkim: DkimSettings = DkimSettings()
    transport_table: dict[str, Any] = Field(default_factory=dict, validation_alias=_TRANSPORT_TABLE)
    """The `[mail.<transport>]` table of a transport without a declared table here (not smtp)."""

    @model_validator(mode="before")
    @classmethod
    def _take_transport_table(cls, data: Any) -> Any:
        """Set the chosen transport's own table aside for its Options model (validated when the
        transport is built); any other `[mail.<name>]` stays an unknown key, on its own line."""
        if isinstance(data, dict):
            name = data.get("transport", "file")
            if isinstance(name, str) and name not in cls.model_fields and isinstance(data.get(name), dict):
                data = {**data, _TRANSPORT_TABLE: data[name]}
                del data[name]
        return data

    @field_validator("transport")
    @classmethod
    def _installed(cls, value: str) -> str:
        """An unknown name fails with the rest of the file at load time; only the names are read
        here (importing a transport, and checking it, happens when it is built)."""
        known = sorted(entry.name for entry in entry_points(group=TRANSPORT_GROUP))
        if value not in known:
            raise ValueError(
                f"unknown transport type {value!r}; known: {', '.join(known) or 'none installed'}"
            )
        return value

    @field_validator("from_address", "reply_to")
    @classmethod
    def _has_address(cls, value: str | None) -> str | None:
        if value is not None and "@" not in parseaddr(value)[1]:
            raise ValueError(f"{value!r} is not an email address such as 'Name <news@example.org>'")
        return value

    @property
    def transport_options(self) -> dict[str, Any]:
        """The raw `[mail.<transport>]` table, for the transport's own Options model to validate."""
        declared = getattr(self, self.transport) if self.transport in type(self).model_fields else None
        if isinstance(declared, TransportOptions):
            return declared.model_dump()
        return dict(self.transport_table)

    @property
    def sender(self) -> Address:
        name, addr = parseaddr(self.from_address)
        local, _, domain = addr.partition("@")
        return Address(display_name=name, username=local, domain=domain)

    @property
    def sender_domain(self) -> str:
        return self.sender.domain

    @property
    def envelope_from(self) -> str:
        return self.return_path or self.sender.addr_spec


class WebSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    host: str = "127.0.0.1"
    port: Annotated[int, Field(gt=0, lt=65536)] = 8080
    public_url: str | None = None
    """Absolute URL where this web app is reachable (subscribe/confirm/unsubscribe links);
    default: http://<host>:<port>."""
    templates: Path | None = None
    """Folder of page templates (relative to the config file) that replace the bundled ones in
    templates/web/ file by file: base.html (the layout), subscribe.html, confirmed.html, ..."""
    subscribe_per_ip: str = "10/minute;200/day"
    """How many subscribe requests one IP address may make (`limits` notation; counted by each
    web process in its own memory)."""
    subscribe_per_address: str = "3/hour;10/day"
    """How many subscribe requests may name one address (same notation and memory)."""
    confirm_resend_minutes: Annotated[float, Field(gt=0)] = 30
    """At most one confirmation mail per address this often; kept in the database, so it holds
    across every web process."""

    @field_validator("subscribe_per_ip", "subscribe_per_address")
    @classmethod
    def _rate_limit(cls, value: str) -> str:
        try:
            parsed = parse_many(value)
        except ValueError:
            parsed = []
        if not parsed or any(item.amount < 1 for item in parsed):
            raise ValueError(
                f'not a rate limit such as "10/minute;200/day" (N per second, minute, hour or day): {value!r}'
            )
        return value

    @field_validator("public_url")
    @classmethod
    def _absolute(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("must be an absolute http(s) URL, e.g. https://news.example.org/newsletter")
        return to_uri(value.rstrip("/")) if value else value  # links built on it leave as URIs

    @property
    def base_url(self) -> str:
        return self.public_url or f"http://{self.host}:{self.port}"

    @property
    def path_prefix(self) -> str:
        """The path of `base_url` ("/news" for https://site/news, "" at the root): a proxy that
        strips it before passing requests on still needs it in every form action and link."""
        return urlsplit(self.base_url).path.rstrip("/")

    @property
    def is_public_https(self) -> bool:
        """Whether links to this app work for a reader elsewhere: https, and a host that is not this
        machine or a private network (mailbox providers also require https for one-click unsubscribe)."""
        parts = urlsplit(self.public_url or "")
        host = (parts.hostname or "").rstrip(".")
        if parts.scheme != "https" or not host or host == "localhost" or host.endswith(".localhost"):
            return False
        try:
            return ip_address(host).is_global
        except ValueError:  # a name, not an address
            return True
