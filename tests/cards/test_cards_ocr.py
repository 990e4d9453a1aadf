"""A card's title reads back as the title, with its letters joined — checked on the pixels.

Two checks, each on every title line: tesseract (Arabic data) must read the line back as the
displayed text (similarity ≥ 0.8), and the ink must fall into one piece per joined piece of word
rather than one per letter. OCR alone would not prove the letters are joined: tesseract reads
isolated letters put in visual order nearly as well as shaped text (0.955 for the short title on a
landscape card, against 0.977 shaped), so the second check is what catches that rendering. Letters
in logical order without shaping (what a renderer with neither bidi nor shaping draws) fail both
(0.22; the ink is one piece per letter: 37 for the short title, whose joined words make 21).
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pytest
from cardkit import (
    LONG_TITLE,
    SHORT_TITLE,
    card_bands,
    looks_joined,
    ocr_lines,
    similarity,
    unshaped_bands,
)
from PIL import Image

from nashra.cards import layout_card, render_card
from nashra.config import Settings
from nashra.model import StoredArticle

SIZE = "landscape"  # the widest lines and the smallest type of the three sizes: the hardest to read back


@pytest.fixture(params=[SHORT_TITLE, LONG_TITLE], ids=["short", "long"])
def title(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def test_card_reads_back_as_its_title_with_letters_joined(
    title: str,
    settings_from: Callable[[str], Settings],
    article: Callable[..., StoredArticle],
    tesseract: str,
    tmp_path: Path,
) -> None:
    settings, stored = settings_from(""), article(title)
    layout = layout_card(settings, stored, SIZE)
    shown = " ".join(layout.title.lines)
    if title is LONG_TITLE:
        assert layout.shortened and shown.endswith("…")
        kept = shown.removesuffix("…")
        assert title.startswith(kept) and not title[len(kept)].isalpha(), "cut inside a word"
        assert len(kept.split()) >= 20
    else:
        assert not layout.shortened and shown == title

    card = Image.open(io.BytesIO(render_card(settings, stored, SIZE)))
    bands = card_bands(card, layout)
    read = ocr_lines(tesseract, bands, layout.title.size, tmp_path)
    assert similarity(read, shown) >= 0.8, read
    assert looks_joined(bands, layout.title.lines, layout.title.size)


def test_the_same_check_fails_text_drawn_without_shaping(
    title: str,
    settings_from: Callable[[str], Settings],
    article: Callable[..., StoredArticle],
    tesseract: str,
    tmp_path: Path,
) -> None:
    layout = layout_card(settings_from(""), article(title), SIZE)
    shown, size = " ".join(layout.title.lines), layout.title.size

    logical = unshaped_bands(layout, visual_order=False)
    read = ocr_lines(tesseract, logical, size, tmp_path)
    assert similarity(read, shown) < 0.8, read
    assert not looks_joined(logical, layout.title.lines, size)

    visual = unshaped_bands(layout, visual_order=True)
    assert not looks_joined(visual, layout.title.lines, size)
