"""Cards on disk, drawn once per article version, size and design.

A card's file name holds everything that changes how it looks: the article's content hash (its
title or section edited), the size name, and a hash of the design (colours, font file, size in
pixels, line limit, the site's name, `DRAWING_VERSION`). A card that is on disk is therefore
current, and posting one article to five channels draws it once.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

from nashra.cards.render import ImageFormat, card_size, render_card
from nashra.cards.shaping import font_digest, font_file
from nashra.config import Settings
from nashra.model import StoredArticle

DRAWING_VERSION = 1
"""Bump when the drawing changes (layout, proportions, what is on a card): every cached card is then
drawn again."""
_EXTENSIONS: dict[ImageFormat, str] = {"png": "png", "jpeg": "jpg"}


def design_key(settings: Settings, size_name: str) -> str:
    """A short hash of everything but the article that a card at `size_name` looks like."""
    cards = settings.cards
    design = {
        "version": DRAWING_VERSION,
        "size": card_size(settings, size_name),
        "colours": [cards.background, cards.accent, cards.text],
        "max_lines": cards.max_lines,
        "font": font_digest(font_file(settings)),
        "site": [settings.site.name, settings.site.language],
    }
    return hashlib.sha256(json.dumps(design, ensure_ascii=False).encode()).hexdigest()[:12]


def card_path(settings: Settings, stored: StoredArticle, size_name: str, image_format: ImageFormat) -> Path:
    """Where the card for this version of `stored` is kept: `<data>/cards/<article id>/…`."""
    name = f"{stored.article.content_hash[:16]}-{size_name}-{design_key(settings, size_name)}"
    return settings.data_dir / "cards" / stored.id / f"{name}.{_EXTENSIONS[image_format]}"


def card_for(
    settings: Settings, stored: StoredArticle, size_name: str, *, image_format: ImageFormat = "png"
) -> Path:
    """The card's file, drawn now if this version of the article has none in this design yet."""
    path = card_path(settings, stored, size_name, image_format)
    if not path.is_file():
        _write_atomically(path, render_card(settings, stored, size_name, image_format=image_format))
    return path


def _write_atomically(path: Path, data: bytes) -> None:
    """Write beside `path`, flush, then rename: a reader (or a crash) never meets half a card, and
    two processes drawing the same card at once both leave a whole one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(name, 0o644)  # mkstemp makes 0600; an adapter may hand the file to a web server
        os.replace(name, path)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
