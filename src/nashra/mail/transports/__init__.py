"""Mail transports, found through the `nashra.transports` entry-point group: `[mail] transport` picks one.

Built in: smtp (production) and file (one .eml per message; the embedded default).
"""

from __future__ import annotations

import logging
from typing import Any

from nashra.config import Settings
from nashra.config.locate import Locate
from nashra.config.mail import TRANSPORT_GROUP, TransportOptions
from nashra.errors import ConfigError
from nashra.logs import event
from nashra.mail.transport import Transport
from nashra.plugins import PluginGroup

log = logging.getLogger(__name__)

TRANSPORTS: PluginGroup[Transport, TransportOptions] = PluginGroup(
    TRANSPORT_GROUP, "transport", Transport, TransportOptions
)


def configure_transport(
    name: str, table: dict[str, Any], *, locate: Locate
) -> tuple[type[Transport], TransportOptions]:
    """The transport kind `name` and its options from its `[mail.<name>]` table; ConfigError naming the lines."""
    return TRANSPORTS.configure(
        name,
        table,
        locate=locate,
        type_at=("mail", "transport"),
        type_key="mail.transport",
        options_at=(f"mail.{name}",),  # the `[mail.<name>]` header, so each key gets its own line
        options_label=f"mail.{name}",
    )


def make_transport(settings: Settings) -> Transport:
    """The configured transport with its `[mail.<transport>]` options; ConfigError naming the line."""
    name = settings.mail.transport
    kind, options = configure_transport(name, settings.mail.transport_options, locate=settings.locate)
    _check_links(settings, name, reaches_readers=kind.reaches_readers)
    return kind(options, settings)


def _check_links(settings: Settings, name: str, *, reaches_readers: bool) -> None:
    """Every message links to `nashra serve` (unsubscribe, confirm): real mail must not send readers
    to this machine's default http://127.0.0.1:8080. Files on disk may, with a warning."""
    web = settings.web
    if web.is_public_https:
        return
    problem = (
        f"mail sent by {name!r} links every reader to {web.base_url} (unsubscribe, confirm); "
        "set web.public_url to the public https address of `nashra serve`"
    )
    if reaches_readers:
        raise ConfigError([f"{settings.locate(('web', 'public_url'))}: web.public_url: {problem}"])
    event(log, "mail.links_not_public", level=logging.WARNING, problem=f"web.public_url: {problem}")
