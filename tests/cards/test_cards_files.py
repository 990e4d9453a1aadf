"""Cards on disk: drawn once per article version, size and design, written whole."""

from __future__ import annotations

import dataclasses
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image

from nashra.cards import cache, card_for, layout_card
from nashra.cards.shaping import font_file
from nashra.config import Settings
from nashra.forms import prepare_forms
from nashra.model import StoredArticle

TITLE = "بلدية وهران تفتح حديقة عمومية جديدة على الواجهة البحرية"


@pytest.fixture
def drawings(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The size names of the cards actually drawn (not found on disk)."""
    drawn: list[str] = []
    render = cache.render_card

    def counting(settings: Settings, stored: StoredArticle, size_name: str, **options: object) -> bytes:
        drawn.append(size_name)
        return render(settings, stored, size_name, **options)  # type: ignore[arg-type]

    monkeypatch.setattr(cache, "render_card", counting)
    return drawn


def test_a_card_is_drawn_once_and_then_read_from_disk(
    settings_from: Callable[[str], Settings],
    article: Callable[..., StoredArticle],
    drawings: list[str],
    tmp_path: Path,
) -> None:
    settings, stored = settings_from(""), article(TITLE)
    first = card_for(settings, stored, "square")
    assert first.is_relative_to(tmp_path / "data" / "cards" / stored.id)
    with Image.open(first) as image:
        assert (image.format, image.size) == ("PNG", (1080, 1080))
    assert card_for(settings, stored, "square") == first
    assert drawings == ["square"]
    assert [p.name for p in first.parent.iterdir()] == [first.name], "a temporary file was left behind"


def test_each_size_and_format_is_a_card_of_its_own(
    settings_from: Callable[[str], Settings], article: Callable[..., StoredArticle], drawings: list[str]
) -> None:
    settings, stored = settings_from(""), article(TITLE)
    square = card_for(settings, stored, "square")
    jpeg = card_for(settings, stored, "square", image_format="jpeg")
    landscape = card_for(settings, stored, "landscape")
    assert len({square, jpeg, landscape}) == 3
    assert jpeg.suffix == ".jpg" and jpeg.read_bytes()[:3] == b"\xff\xd8\xff"
    with Image.open(landscape) as image:
        assert image.size == (1200, 630)
    assert drawings == ["square", "square", "landscape"]


def test_an_edited_title_draws_a_new_card(
    settings_from: Callable[[str], Settings], article: Callable[..., StoredArticle], drawings: list[str]
) -> None:
    settings = settings_from("")
    before = card_for(settings, article(TITLE), "square")
    edited = article(TITLE.replace("جديدة", "كبيرة"))
    after = card_for(settings, edited, "square")
    assert after != before and after.parent == before.parent  # same article, another version
    assert drawings == ["square", "square"]


def test_another_design_draws_a_new_card(
    settings_from: Callable[[str], Settings],
    article: Callable[..., StoredArticle],
    drawings: list[str],
    tmp_path: Path,
) -> None:
    stored = article(TITLE)
    paths = {
        card_for(settings_from(""), stored, "square"),
        card_for(settings_from('[cards]\naccent = "#c0392b"\n'), stored, "square"),
        card_for(settings_from('[site]\nname = "الأخبار"\n'), stored, "square"),
        card_for(settings_from("[cards.sizes]\nsquare = [1200, 1200]\n"), stored, "square"),
        card_for(settings_from("[cards]\nmax_lines = 2\n"), stored, "square"),
    }
    assert len(paths) == 5 and len(drawings) == 5

    # The same font bytes under another name are the same design; other bytes are not.
    font = tmp_path / "house.ttf"
    shutil.copy(font_file(settings_from("")), font)
    assert card_for(settings_from('[cards]\nfont = "house.ttf"\n'), stored, "square") in paths
    font.write_bytes(font.read_bytes() + b"\0")
    assert card_for(settings_from('[cards]\nfont = "house.ttf"\n'), stored, "square") not in paths


def test_the_stored_forms_give_the_title(
    settings_from: Callable[[str], Settings], article: Callable[..., StoredArticle]
) -> None:
    """Ingest cleans the headline once; a card uses that form when the store has it."""
    raw = article(f"  {TITLE}\u200b\u202b ")
    forms = prepare_forms(raw.article, ())
    stored = dataclasses.replace(raw, forms=forms)
    layout = layout_card(settings_from(""), stored, "landscape")
    assert " ".join(layout.title.lines) == TITLE == forms.title.plain
    assert layout.title.lines == layout_card(settings_from(""), raw, "landscape").title.lines


def test_each_text_runs_in_its_own_direction(
    settings_from: Callable[[str], Settings], article: Callable[..., StoredArticle]
) -> None:
    """An Arabic headline quoting Latin stays right to left (raqm orders the Latin run inside it);
    a French one is set left to right, under the site's Arabic name."""
    settings = settings_from("")
    arabic = layout_card(settings, article("الجزائر تستضيف مؤتمر COP 31 للمناخ", section="بيئة"), "square")
    french = layout_card(
        settings, article("Le parlement adopte la loi de finances", section="Économie"), "square"
    )
    assert (arabic.title.direction, arabic.section and arabic.section.direction) == ("rtl", "rtl")
    assert (french.title.direction, french.section and french.section.direction) == ("ltr", "ltr")
    assert french.site.direction == "rtl"
    assert (
        arabic.rule[2] == arabic.width - arabic.margin
    )  # the accent bar starts on the right, with the site's name
