"""Put feed files on disk atomically, and only when their bytes changed.

Readers and the web server must never see half a file, so each file is written to a temporary file
in the same folder, flushed to disk, then renamed over the old one (a build's files as one batch). A file whose bytes are already
there is not touched: its mtime (the HTTP Last-Modified) and its ETag stay put, and aggregators
polling with conditional requests get 304s until something really changes.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Collection, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

from nashra.feeds.formats import BY_FILE_NAME


def _fsync(path: Path) -> None:
    with path.open("rb") as handle:
        os.fsync(handle.fileno())


class AtomicBatch:
    """Files written to temporaries first, flushed to disk together, then each renamed into place.

    One fsync per file, each waiting for its own journal commit, was the slowest part of writing
    hundreds of feeds; fsyncs issued from a few threads at once share commits. A file is renamed
    only once every file of the batch is on disk, and on any error no temporary is left behind.
    """

    def __init__(self) -> None:
        self._pending: list[tuple[Path, Path]] = []

    def write(self, path: Path, data: bytes) -> bool:
        """Queue `data` for `path` unless it already holds exactly these bytes; True if queued."""
        try:
            if path.stat().st_size == len(data) and path.read_bytes() == data:
                return False
        except FileNotFoundError:
            pass
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        temporary = Path(name)
        self._pending.append((temporary, path))
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(temporary, 0o644)  # mkstemp makes 0600; the web server may run as another user
        return True

    def commit(self) -> None:
        with ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(_fsync, [temporary for temporary, _ in self._pending]))
        for temporary, path in self._pending:
            os.replace(temporary, path)
        self._pending.clear()

    def discard(self) -> None:
        for temporary, _ in self._pending:
            temporary.unlink(missing_ok=True)
        self._pending.clear()


@contextmanager
def atomic_batch() -> Iterator[AtomicBatch]:
    """A batch committed when the block ends normally, discarded when it raises."""
    batch = AtomicBatch()
    try:
        yield batch
        batch.commit()
    finally:
        batch.discard()


def write_if_changed(path: Path, data: bytes) -> bool:
    """Write `data` to `path` atomically unless it already holds exactly these bytes; True if written."""
    with atomic_batch() as batch:
        return batch.write(path, data)


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
