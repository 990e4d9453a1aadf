"""The key that signs every link Nashra mails (confirm, unsubscribe, click): one key, read by the
mail step that makes links and by the web app that checks them.

It comes from the environment variable named by `mail.secret_env` (default NASHRA_SECRET). When it
is unset — the embedded demo — a random per-install key is created once in
`<paths.data>/secret.key` (mode 0600) and reused; with several machines (web and worker apart) set
the variable instead, the same on all of them, or links made by one are refused by the other.

Core, not mail: the digest step signs its click links when it renders, below the mail step.
"""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path

from nashra.config import Settings
from nashra.logs import event
from nashra.private import open_private, private_dir

log = logging.getLogger(__name__)


def load_secret(settings: Settings) -> str:
    value = os.environ.get(settings.mail.secret_env)
    if value:
        return value
    path = settings.data_dir / "secret.key"
    if path.is_file():
        return path.read_text(encoding="ascii").strip()
    return _create_secret(path, settings.mail.secret_env)


def _create_secret(path: Path, variable: str) -> str:
    private_dir(path.parent)
    value = secrets.token_urlsafe(32)
    try:
        fd = open_private(path, exclusive=True)
    except FileExistsError:  # another process made it first: use theirs
        return path.read_text(encoding="ascii").strip()
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(value)
    event(
        log,
        "secret.created",
        level=logging.WARNING,
        path=str(path),
        hint=f"set {variable} to share one key between machines",
    )
    return value
