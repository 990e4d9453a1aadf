"""Mail transports: SMTP (production) and file (one .eml per message; the embedded default)."""

from __future__ import annotations

from nashra.config import Settings
from nashra.mail.transport import Transport


def make_transport(settings: Settings) -> Transport:
    if settings.mail.transport == "smtp":
        from nashra.mail.transports.smtp import SmtpTransport

        return SmtpTransport.from_settings(settings)
    from nashra.mail.transports.file import FileTransport

    return FileTransport(settings.outbox_dir / "mail")
