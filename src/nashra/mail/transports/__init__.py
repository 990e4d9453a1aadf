"""Mail transports, found through the `nashra.transports` entry-point group: `[mail] transport` picks one.

Built in: smtp (production) and file (one .eml per message; the embedded default).
"""

from __future__ import annotations

from nashra.config import Settings
from nashra.config.mail import TRANSPORT_GROUP, TransportOptions
from nashra.mail.transport import Transport
from nashra.plugins import PluginGroup

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
    return kind(options, settings)
