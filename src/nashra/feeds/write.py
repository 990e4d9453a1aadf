"""Put feed files on disk atomically, and only when their bytes changed.

Readers and the web server must never see half a file, so each file is written to a temporary file
in the same folder, flushed to disk, then renamed over the old one. A file whose bytes are already
there is not touched: its mtime (the HTTP Last-Modified) and its ETag stay put, and aggregators
polling with conditional requests get 304s until something really changes.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Collection
from pathlib import Path

from nashra.feeds.formats import BY_FILE_NAME


def write_if_changed(path: Path, data: bytes) -> bool:
    """Write `data` to `path` atomically unless it already holds exactly these bytes; True if written."""
    try:
        if path.stat().st_size == len(data) and path.read_bytes() == data:
            return False
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, 0o644)  # mkstemp makes 0600; the web server may run as another user
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return True


def remove_stale(root: Path, keep: Collection[Path]) -> list[Path]:
    """Delete feed files under `root` that this build did not produce (a tag no article carries any more).

    Only our own file names (one per format) are considered, and folders left empty are removed, `root` excepted.
    """
    removed: list[Path] = []
    if not root.is_dir():
        return removed
    kept = set(keep)
    for name in BY_FILE_NAME:
        for path in sorted(root.rglob(name)):
            if path not in kept and path.is_file():
                path.unlink()
                removed.append(path)
    for folder in sorted({p.parent for p in removed}, key=lambda p: len(p.parts), reverse=True):
        while folder != root and folder.is_relative_to(root):
            try:
                folder.rmdir()
            except OSError:  # not empty
                break
            folder = folder.parent
    return removed
