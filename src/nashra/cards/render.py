"""One card: the section's name at the top, the title as large as it fits, the site's name below.

`layout_card` decides every line, type size and position; `draw_card` only paints them. A test or a
preview can so read what a card says (its lines, whether the title was shortened) without OCR.
Every size is a fraction of the card's shorter side, so one design serves every shape.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

from PIL import Image, ImageDraw

from nashra.cards.lines import balanced_lines, is_whole
from nashra.cards.shaping import direction, font_file, shaping_font
from nashra.config import Settings
from nashra.errors import CardError
from nashra.model import StoredArticle
from nashra.text import clean_text, isolate_ltr_runs

ImageFormat = Literal["png", "jpeg"]

MARGIN = 0.09
SECTION_SIZE = 0.056
SITE_SIZE = 0.052
TITLE_SIZES = (0.115, 0.066)
"""Largest and smallest title type; a title that needs more lines than fit at the smallest is shortened."""
LINE_HEIGHT = 1.5
"""Amiri's own line gap (1.77 em) leaves headlines loose; its tallest marks and deepest tails fit in 1.5."""
BASELINE = 1.05
"""Where a line's baseline sits below its top, in em: room above for a shadda over a hamza."""
GAP = 0.045
RULE = (0.16, 0.012)
"""Width of the accent bar above the site's name (fraction of the card's width) and its thickness."""


@dataclass(frozen=True, slots=True)
class TextBlock:
    """Lines drawn in one type size and colour, aligned to the side their direction starts on."""

    lines: tuple[str, ...]
    size: int
    direction: str
    language: str
    colour: str
    top: int
    line_height: int

    @property
    def bottom(self) -> int:
        return self.top + len(self.lines) * self.line_height


@dataclass(frozen=True, slots=True)
class CardLayout:
    width: int
    height: int
    margin: int
    font: Path
    background: str
    section: TextBlock | None
    title: TextBlock
    site: TextBlock
    rule: tuple[int, int, int, int]
    """The accent bar: left, top, right, bottom (the last two just outside it)."""
    accent: str
    shortened: bool
    """The title did not fit whole: its last line ends in an ellipsis."""


def card_title(stored: StoredArticle) -> str:
    """The cleaned headline, from the stored forms when there are some."""
    return stored.forms.title.plain if stored.forms is not None else clean_text(stored.article.title)


def card_size(settings: Settings, name: str) -> tuple[int, int]:
    """(width, height) of the size `name` in `[cards.sizes]`."""
    try:
        return settings.cards.sizes[name]
    except KeyError:
        known = ", ".join(sorted(settings.cards.sizes))
        raise CardError(
            f"no card size named {name!r}", hint=f"use one of {known}, or add it under [cards.sizes]"
        ) from None


def _block(
    text: str, path: Path, size: int, width: int, max_lines: int, language: str, colour: str
) -> TextBlock:
    """`text` laid out at `size` in at most `max_lines` lines (top left at 0 until placed)."""
    font = shaping_font(path, size)
    way = direction(text)

    def measure(line: str) -> float:
        return font.getlength(isolate_ltr_runs(line), direction=way, language=language)

    lines = balanced_lines(text, width, max_lines, measure)
    return TextBlock(tuple(lines), size, way, language, colour, 0, round(LINE_HEIGHT * size))


def layout_card(settings: Settings, stored: StoredArticle, size_name: str) -> CardLayout:
    """Where everything on the card for `stored` at size `size_name` goes."""
    cards = settings.cards
    width, height = card_size(settings, size_name)
    base = min(width, height)
    margin = round(MARGIN * base)
    inner = width - 2 * margin
    gap = round(GAP * base)
    path = font_file(settings)
    article = stored.article

    section_name = clean_text(article.section)
    section = None
    top = margin
    if section_name:
        section = _block(
            section_name, path, round(SECTION_SIZE * base), inner, 1, article.language, cards.accent
        )
        section = replace(section, top=margin)
        top = section.bottom + gap

    site_name = clean_text(settings.site.name)
    site = _block(site_name, path, round(SITE_SIZE * base), inner, 1, settings.site.language, cards.text)
    site = replace(site, top=height - margin - site.line_height)
    rule_width, rule_height = round(RULE[0] * width), max(2, round(RULE[1] * base))
    rule_top = site.top - rule_height
    rule_left = width - margin - rule_width if site.direction == "rtl" else margin
    bottom = rule_top - gap

    text = card_title(stored)

    def title_at(size: int) -> TextBlock:
        room = (bottom - top) // round(LINE_HEIGHT * size)
        lines = max(1, min(cards.max_lines, room))
        return _block(text, path, size, inner, lines, article.language, cards.text)

    largest, smallest = (round(share * base) for share in TITLE_SIZES)
    sizes = [*range(largest, smallest, -max(1, base // 200)), smallest]
    title = title_at(sizes[0])
    for size in sizes[1:]:
        if is_whole(title.lines, text):
            break
        title = title_at(size)
    title = replace(title, top=top + (bottom - top - len(title.lines) * title.line_height) // 2)
    return CardLayout(
        width=width,
        height=height,
        margin=margin,
        font=path,
        background=cards.background,
        section=section,
        title=title,
        site=site,
        rule=(rule_left, rule_top, rule_left + rule_width, rule_top + rule_height),
        accent=cards.accent,
        shortened=not is_whole(title.lines, text),
    )


def draw_card(layout: CardLayout) -> Image.Image:
    """Paint `layout`: every line through libraqm, aligned to the side its direction starts on."""
    image = Image.new("RGB", (layout.width, layout.height), layout.background)
    draw = ImageDraw.Draw(image)
    left, top, right, bottom = layout.rule
    draw.rectangle((left, top, right - 1, bottom - 1), fill=layout.accent)  # Pillow includes both ends
    for block in (layout.section, layout.title, layout.site):
        if block is None:
            continue
        font = shaping_font(layout.font, block.size)
        rtl = block.direction == "rtl"
        x = layout.width - layout.margin if rtl else layout.margin
        for index, line in enumerate(block.lines):
            y = block.top + index * block.line_height + round(BASELINE * block.size)
            draw.text(
                (x, y),
                isolate_ltr_runs(line),
                fill=block.colour,
                font=font,
                anchor="rs" if rtl else "ls",
                direction=block.direction,
                language=block.language,
            )
    return image


def encode(image: Image.Image, image_format: ImageFormat) -> bytes:
    """PNG (lossless: flat colours and text stay crisp), or JPEG where a platform takes nothing else."""
    out = io.BytesIO()
    if image_format == "png":
        image.save(out, format="PNG")
    else:
        image.save(out, format="JPEG", quality=90, optimize=True)
    return out.getvalue()


def render_card(
    settings: Settings, stored: StoredArticle, size_name: str, *, image_format: ImageFormat = "png"
) -> bytes:
    """The card for `stored` at `size_name`, encoded; `nashra.cards.card_for` keeps it on disk."""
    return encode(draw_card(layout_card(settings, stored, size_name)), image_format)
