"""Fonts that shape text, or an error saying why not.

Pillow draws Arabic correctly only through libraqm (HarfBuzz for joining letters and placing
harakat, FriBiDi for right-to-left order). Its wheels carry libraqm but load FriBiDi from the
system at run time; without it Pillow falls back, with no more than a warning, to its basic
layout, which draws each letter in its isolated form and in the wrong order. A card like that must never be published, so
a missing libraqm is an error here, never a fallback.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from importlib.resources import files
from pathlib import Path

from PIL import ImageFont, features

from nashra.config import Settings
from nashra.errors import CardError, ConfigError
from nashra.text import is_rtl

BUNDLED_FONT = "Amiri-Bold.ttf"
"""Amiri (SIL Open Font License 1.1; the licence is beside it): a Naskh face with Latin letters too."""


def font_file(settings: Settings) -> Path:
    """The `[cards] font` file (relative to the config file), else the bundled one."""
    configured = settings.cards.font
    if configured is None:
        return Path(str(files("nashra.cards") / "fonts" / BUNDLED_FONT))
    path = settings.resolve(configured)
    if not path.is_file():
        raise ConfigError([f"{settings.locate(('cards', 'font'))}: cards.font: no font file at {path}"])
    return path


@lru_cache(maxsize=64)
def shaping_font(path: Path, size: int) -> ImageFont.FreeTypeFont:
    """The font at `path` and `size`, laid out by libraqm."""
    if not features.check_feature("raqm"):
        raise CardError(
            "Pillow cannot shape text on this machine (libraqm is unavailable), and a card drawn "
            "without shaping shows Arabic as unjoined letters in reverse order",
            hint="install FriBiDi (Debian: apt-get install libfribidi0, or `make system-deps`); "
            "check with: python -c \"from PIL import features; print(features.check('raqm'))\"",
        )
    try:
        return ImageFont.truetype(path, size, layout_engine=ImageFont.Layout.RAQM)
    except OSError as exc:
        raise CardError(f"cannot read the font: {exc}", where=str(path), hint="set [cards] font") from None


def font_digest(path: Path) -> str:
    """The font's content hash, so a font replaced in place draws new cards; read once per version."""
    stat = path.stat()
    return _digest(path, stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=8)
def _digest(path: Path, mtime_ns: int, size: int) -> str:  # mtime and size: the version, for the cache
    return hashlib.sha256(path.read_bytes()).hexdigest()


def direction(text: str) -> str:
    """The paragraph direction to lay `text` out in, as `dir="auto"` would: right-to-left when its
    first letter that has a direction is Arabic, so a French headline is set left to right."""
    return "rtl" if is_rtl(text) else "ltr"
