"""`[cards]`: how share cards look — colours, font, how many title lines, and the sizes by name.

A platform adapter asks for a card by size name ("landscape" for link previews, "square" for
Instagram, "portrait" for a tall feed post), so an operator who adds or resizes a name changes the
cards without touching an adapter. The three names are always there: a `[cards.sizes]` table adds
names or resizes these, it never removes one an adapter relies on.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

_HEX_COLOUR = re.compile(r"#(?:[0-9a-fA-F]{3}){1,2}")
_SIZE_NAME = re.compile(r"[a-z][a-z0-9_-]{0,31}")

Side = Annotated[int, Field(ge=200, le=4096)]

DEFAULT_SIZES: dict[str, tuple[int, int]] = {
    "landscape": (1200, 630),  # Open Graph / X / Facebook link previews (1.91:1)
    "square": (1080, 1080),  # Instagram feed
    "portrait": (1080, 1350),  # Instagram and Facebook tall feed posts (4:5)
}


class CardsSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    background: str = "#0f3b57"
    accent: str = "#e3a21a"
    """The section's name and the rule above the site's name."""
    text: str = "#ffffff"
    font: Path | None = None
    """A TrueType/OpenType font with Arabic letters (and Latin, for names and numbers in titles);
    relative to the config file. Default: the bundled Amiri Bold."""
    max_lines: Annotated[int, Field(ge=1, le=8)] = 4
    """A title longer than this many lines at the smallest type size is shortened, with an ellipsis."""
    sizes: dict[str, tuple[Side, Side]] = Field(default_factory=lambda: dict(DEFAULT_SIZES))
    """Size name -> [width, height] in pixels."""

    @field_validator("background", "accent", "text")
    @classmethod
    def _colour(cls, value: str) -> str:
        """`#rgb` or `#rrggbb`, kept as lower-case `#rrggbb` so equal colours key one cached card."""
        if not _HEX_COLOUR.fullmatch(value):
            raise ValueError(f"{value!r} is not a colour; write it as #rrggbb, e.g. #0f3b57")
        digits = value[1:].lower()
        return "#" + ("".join(2 * d for d in digits) if len(digits) == 3 else digits)

    @field_validator("sizes")
    @classmethod
    def _named_sizes(cls, value: dict[str, tuple[int, int]]) -> dict[str, tuple[int, int]]:
        bad = sorted(name for name in value if not _SIZE_NAME.fullmatch(name))
        if bad:
            raise ValueError(
                f"size names are lower-case letters, digits, '-' and '_' (they name cached files): {', '.join(bad)}"
            )
        return {**DEFAULT_SIZES, **value}
