"""File transport: every message becomes `<outbox>/mail/<key>.eml`, written atomically.

The messages carry addresses and personal links, so the folder is 0700 and each file 0600.

The name is the delivery's key, so a resend after a crash replaces the same file instead of adding
a second copy; the renames happen after the batch is recorded (the file-system twin of SMTP's
final ".").
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from nashra.config import Settings
from nashra.config.mail import TransportOptions
from nashra.mail.transport import BatchSession, Commit, Envelope, Outcome, TransportBase
from nashra.plugins import writable_folder
from nashra.private import private_dir, write_private


class FileSession(BatchSession):
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def send_batch(self, batch: Sequence[tuple[Envelope, bytes]], commit: Commit) -> list[Outcome | None]:
        finals = []
        for envelope, message in batch:
            final = self.folder / f"{envelope.key}.eml"
            write_private(final.with_suffix(".part"), message)
            finals.append(final)
        commit(range(len(batch)))
        for final in finals:
            os.replace(final.with_suffix(".part"), final)
        return [Outcome("sent", committed=True) for _ in batch]


class FileOptions(TransportOptions):
    """No keys: the folder is `<paths.outbox>/mail`, where the digests stage reports it."""


class FileTransport(TransportBase[FileOptions]):
    reaches_readers = False  # files on disk, to look at or hand on

    def __init__(self, options: FileOptions, settings: Settings) -> None:
        super().__init__(options, settings)
        self.folder = settings.outbox_dir / "mail"

    def verify(self) -> str:
        return writable_folder(self.folder)

    def open(self) -> FileSession:
        private_dir(self.folder)
        return FileSession(self.folder)
