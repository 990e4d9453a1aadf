"""Articles for card tests, and the two ways a test reads a card back: OCR and the shape of its ink."""

from __future__ import annotations

import difflib
import re
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from PIL import Image, ImageColor, ImageDraw, ImageFont, ImageOps

from nashra.cards import CardLayout
from nashra.cards.render import BASELINE
from nashra.model import Article, StoredArticle
from nashra.text import strip_harakat

# Headlines written for these tests, in the style of a national news site.
SHORT_TITLE = "ارتفاع أسعار زيت الزيتون مع بداية موسم الجني"
LONG_TITLE = (
    "وزارة الموارد المائية تعلن خطة وطنية لتحلية مياه البحر في المدن الساحلية وتخصص لها ميزانية"
    " استثنائية على مدى خمس سنوات بعد صيف شهد انقطاعات متكررة في التزويد بمياه الشرب في عدة ولايات،"
    " وتعد بمحطات إضافية في الشرق والغرب وبشبكة نقل جديدة تربط السدود الكبرى بالمدن الداخلية قبل نهاية"
    " العقد الحالي، فيما يطالب نواب المعارضة بنشر دراسات الجدوى وكلفة الطاقة اللازمة لتشغيل المحطات"
)
WHEN = datetime(2026, 5, 3, 8, 30, tzinfo=UTC)


def article_with(title: str, section: str = "اقتصاد", guid: str = "card-1") -> StoredArticle:
    """A stored article as ingest leaves it, minus the forms (cards clean the title themselves then)."""
    article = Article(
        source="test",
        guid=guid,
        url=f"https://nashra.example/{guid}",
        title=title,
        published_at=WHEN,
        section=section,
    )
    return StoredArticle(article.id, article, WHEN, WHEN)


# What OCR is compared on: letters and digits in reading order. Harakat, tatweel and punctuation
# (the ellipsis among them) are left out: they are small marks tesseract may miss or invent.
_NOT_A_WORD = re.compile(r"[^\w\s]|_")


def comparable(text: str) -> str:
    return " ".join(_NOT_A_WORD.sub(" ", strip_harakat(text)).split())


def similarity(read: str, expected: str) -> float:
    return difflib.SequenceMatcher(None, comparable(read), comparable(expected)).ratio()


def card_bands(card: Image.Image, layout: CardLayout) -> list[Image.Image]:
    """Each title line of `card` on a strip of its own, as light ink on a dark ground."""
    block = layout.title
    grey = card.convert("L")
    if ImageColor.getcolor(block.colour, "L") < ImageColor.getcolor(layout.background, "L"):  # type: ignore[operator]
        grey = ImageOps.invert(grey)
    return [
        grey.crop(
            (
                0,
                block.top + index * block.line_height,
                layout.width,
                block.top + (index + 1) * block.line_height,
            )
        )
        for index in range(len(block.lines))
    ]


def unshaped_bands(layout: CardLayout, *, visual_order: bool) -> list[Image.Image]:
    """The card's title lines drawn as a renderer without shaping draws them: each letter in its
    isolated form, in logical order (first letter leftmost: the text reads backwards) or reversed
    into visual order (reads the right way, letters unjoined). Each strip is as wide as its line."""
    block = layout.title
    font = ImageFont.truetype(layout.font, block.size, layout_engine=ImageFont.Layout.BASIC)
    bands = []
    for line in block.lines:
        text = line[::-1] if visual_order else line
        width = round(font.getlength(text)) + 2 * block.size
        band = Image.new("L", (width, block.line_height), 0)
        ImageDraw.Draw(band).text(
            (width - block.size, round(BASELINE * block.size)), text, font=font, fill=255, anchor="rs"
        )
        bands.append(band)
    return bands


OCR_TYPE_SIZE = 48
"""Type size the strips are scaled to before OCR: tesseract reads 48 px type reliably, and much
larger type (124 px on a square card) less so."""


def ocr_lines(tesseract: str, bands: list[Image.Image], type_size: int, folder: Path) -> str:
    """What tesseract reads, one strip at a time as a single line (`--psm 7`), in one run.

    Lines are read one by one because tesseract's page layout analysis cuts a wide line of large
    Arabic type into blocks and puts them out of order, which says nothing about the letters.
    """
    scale = OCR_TYPE_SIZE / type_size
    names = []
    for index, band in enumerate(bands):
        strip = band.resize((round(band.width * scale), round(band.height * scale)), Image.Resampling.LANCZOS)
        path = folder / f"line-{index}.png"
        ImageOps.expand(ImageOps.invert(strip), border=OCR_TYPE_SIZE // 2, fill=255).save(path)
        names.append(str(path))
    listing = folder / "lines.txt"
    listing.write_text("\n".join(names) + "\n", encoding="utf-8")
    run = subprocess.run(
        [tesseract, str(listing), "-", "-l", "ara", "--psm", "7"],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return " ".join(run.stdout.split("\f"))


# Arabic letters that never join the letter after them (hamza joins neither side): a word breaks
# into pieces after each.
_RIGHT_JOINING = set("اأإآٱدذرزوؤةء")
_ARABIC_LETTER = re.compile(r"[\u0621-\u064a\u0671-\u06d3]")
_HARAKAT = re.compile(r"[\u064b-\u065f\u0670]")


def letters_and_pieces(text: str) -> tuple[int, int]:
    """(Arabic letters, pieces of words they make when joined): "البرلمان" is 8 letters in 4 pieces
    (ا، لبر، لما، ن)."""
    letters = pieces = 0
    joins_next = False
    for char in _HARAKAT.sub("", text):
        if _ARABIC_LETTER.match(char):
            letters += 1
            pieces += not joins_next or char == "ء"
            joins_next = char not in _RIGHT_JOINING
        else:
            joins_next = False
    return letters, pieces


def ink_pieces(band: Image.Image, type_size: int) -> int:
    """Connected pieces of light ink on `band` too big to be a dot or a haraka (a fifth of the type
    size square): one per letter when letters stand alone, one per piece of word when joined."""
    width, height = band.size
    ink = bytearray(value > 127 for value in band.tobytes())
    smallest = (type_size // 5) ** 2
    pieces = 0
    for start in range(width * height):
        if not ink[start]:
            continue
        ink[start] = 0
        stack, area = [start], 0
        while stack:
            point = stack.pop()
            area += 1
            x, y = point % width, point // width
            for nx in (x - 1, x, x + 1):
                for ny in (y - 1, y, y + 1):
                    if 0 <= nx < width and 0 <= ny < height and ink[ny * width + nx]:
                        ink[ny * width + nx] = 0
                        stack.append(ny * width + nx)
        pieces += area >= smallest
    return pieces


def looks_joined(bands: list[Image.Image], lines: tuple[str, ...], type_size: int) -> bool:
    """Whether the ink falls into about as many pieces as the words have when joined, rather than
    one per letter: nearer the first count than the second."""
    letters, pieces = letters_and_pieces(" ".join(lines))
    return sum(ink_pieces(band, type_size) for band in bands) <= (letters + pieces) / 2
