"""Files and folders that hold personal data (the SQLite database, `.eml` files, CSV exports, the
link-signing key): created owner-only, 0600 and 0700, whatever the process umask.

The mode is set explicitly after creating (`fchmod`/`chmod`), because the mode given to
`open`/`mkdir` is only an upper bound that the umask narrows, and a permissive umask (the usual
022) would leave a subscriber list readable by every account on the machine. Only what Nashra
creates is changed: an existing folder keeps its mode, since it may be the operator's own.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

FILE_MODE = 0o600
FOLDER_MODE = 0o700


def private_dir(path: Path) -> Path:
    """`path` as a folder, created 0700 (its missing parents as the umask says) if it is not there."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        path.mkdir(FOLDER_MODE)
    except FileExistsError:
        return path
    path.chmod(FOLDER_MODE)
    return path


def open_private(path: Path, *, exclusive: bool = False) -> int:
    """A descriptor writing `path` from empty, the file 0600 (tightened if it was there already).

    `exclusive` fails with FileExistsError instead of truncating a file that exists. Anything but a
    regular file (a terminal, /dev/stdout, a pipe) is left as it is.
    """
    flags = os.O_WRONLY | os.O_CREAT | (os.O_EXCL if exclusive else os.O_TRUNC)
    fd = os.open(path, flags, FILE_MODE)
    try:
        if stat.S_ISREG(os.fstat(fd).st_mode):
            os.fchmod(fd, FILE_MODE)
    except BaseException:
        os.close(fd)
        raise
    return fd


def write_private(path: Path, data: bytes) -> None:
    """Write `data` to `path` as a 0600 file."""
    with os.fdopen(open_private(path), "wb") as handle:
        handle.write(data)
