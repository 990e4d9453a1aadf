"""Serve the feed files the feeds step wrote, with the caching headers aggregators rely on.

Aggregators poll every few minutes; answering `304 Not Modified` to their conditional requests is
what keeps that cheap. The ETag is a hash of the bytes, so every web process (and a rebuild that
produced the same bytes) gives the same one; Last-Modified is the file's mtime, which the build only
moves when the bytes change. Files are small, so they are read whole; the hash is cached per
(mtime, size). If-None-Match wins over If-Modified-Since, as RFC 9110 §13.2.2 requires.
"""

from __future__ import annotations

import hashlib
import os
from email.utils import formatdate, parsedate_to_datetime
from pathlib import Path, PurePosixPath

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from nashra.config import Settings
from nashra.feeds.collect import FEEDS_DIR
from nashra.feeds.formats import FORMATS

CONTENT_TYPES = {f.file_name: f"{f.media_type}; charset=utf-8" for f in FORMATS}


def _etag_matches(header: str, etag: str) -> bool:
    if header.strip() == "*":
        return True
    # Weak comparison (RFC 9110 §13.1.2): proxies that compress may weaken our strong tag.
    return etag in (tag.strip().removeprefix("W/") for tag in header.split(","))


def _not_modified_since(header: str, mtime: float) -> bool:
    try:
        since = parsedate_to_datetime(header)
    except (TypeError, ValueError):
        return False  # an unparsable date is ignored, per RFC 9110 §13.1.3
    return int(mtime) <= since.timestamp()


class FeedFiles:
    """The endpoint for /feeds/...: only our feed file names (feeds.formats), only inside the feeds folder."""

    def __init__(self, root: Path, cache_seconds: int) -> None:
        self.root = root
        self.cache_control = f"public, max-age={cache_seconds}"
        self._etags: dict[Path, tuple[int, int, str]] = {}

    def _locate(self, relative: str) -> Path | None:
        parts = PurePosixPath(relative).parts
        if (
            not parts
            or parts[-1] not in CONTENT_TYPES
            or any(p in ("..", ".") or p.startswith(".") for p in parts)
        ):
            return None
        path = self.root.joinpath(*parts)
        return path if path.is_file() else None

    def _known_etag(self, path: Path, stat: os.stat_result) -> str | None:
        cached = self._etags.get(path)
        return cached[2] if cached and cached[:2] == (stat.st_mtime_ns, stat.st_size) else None

    def _read(self, path: Path) -> tuple[os.stat_result, bytes, str]:
        stat = path.stat()
        data = path.read_bytes()
        etag = '"' + hashlib.sha256(data).hexdigest()[:32] + '"'
        self._etags[path] = (stat.st_mtime_ns, stat.st_size, etag)
        return stat, data, etag

    def _headers(self, stat: os.stat_result, etag: str) -> dict[str, str]:
        return {
            "ETag": etag,
            "Last-Modified": formatdate(stat.st_mtime, usegmt=True),
            "Cache-Control": self.cache_control,
        }

    def serve(self, request: Request) -> Response:
        """A conditional request answered from the cached ETag never reads the file."""
        path = self._locate(request.path_params["path"])
        if path is None:
            return PlainTextResponse("feed not found", status_code=404)
        stat = path.stat()
        data: bytes | None = None
        etag = self._known_etag(path, stat)
        if etag is None:
            stat, data, etag = self._read(path)
        if_none_match = request.headers.get("if-none-match")
        if if_none_match is not None:
            fresh = _etag_matches(if_none_match, etag)
        else:
            since = request.headers.get("if-modified-since")
            fresh = since is not None and _not_modified_since(since, stat.st_mtime)
        if fresh:
            return Response(status_code=304, headers=self._headers(stat, etag))
        if data is None:
            stat, data, etag = self._read(path)  # the file may have been replaced since the stat
        return Response(data, headers=self._headers(stat, etag), media_type=CONTENT_TYPES[path.name])


def feed_routes(settings: Settings) -> list[Route]:
    """Routes for the web app: `/feeds/...` serves the files under `<public>/feeds/`."""
    files = FeedFiles(settings.public_dir / FEEDS_DIR, settings.feeds.cache_seconds)
    return [Route(f"/{FEEDS_DIR}/{{path:path}}", files.serve, methods=["GET", "HEAD"], name="feeds")]
