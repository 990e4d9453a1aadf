"""Mail transports, found through the `nashra.transports` entry-point group: `[mail] transport` picks one.

Built in: smtp (production) and file (one .eml per message; the embedded default).
"""

from __future__ import annotations

import logging

from nashra.config import Settings
from nashra.config.mail import TRANSPORT_GROUP, TransportOptions
from nashra.errors import ConfigError
from nashra.logs import event
from nashra.mail.transport import Transport
from nashra.plugins import PluginGroup

log = logging.getLogger(__name__)

TRANSPORTS: PluginGroup[Transport, TransportOptions] = PluginGroup(
    TRANSPORT_GROUP, "transport", Transport, TransportOptions
)


def make_transport(settings: Settings) -> Transport:
    """The configured transport with its `[mail.<transport>]` options; ConfigError naming the line."""
    name = settings.mail.transport
    kind, options = TRANSPORTS.configure(
        name,
        settings.mail.transport_options,
        settings=settings,
        type_at=("mail", "transport"),
        type_key="mail.transport",
        options_at=(f"mail.{name}",),  # the `[mail.<name>]` header, so each key gets its own line
        options_label=f"mail.{name}",
    )
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
