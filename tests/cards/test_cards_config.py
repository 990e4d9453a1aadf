"""`[cards]`: colours, sizes and font are checked when the file is read, one line per problem."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import features

from nashra.cards import layout_card, render_card
from nashra.cards.shaping import BUNDLED_FONT, font_file, shaping_font
from nashra.config import Settings
from nashra.config.cards import DEFAULT_SIZES
from nashra.errors import CardError, ConfigError
from nashra.model import StoredArticle


def test_defaults_name_three_sizes_and_the_bundled_font(settings_from: Callable[[str], Settings]) -> None:
    settings = settings_from("")
    assert settings.cards.sizes == {
        "landscape": (1200, 630),
        "square": (1080, 1080),
        "portrait": (1080, 1350),
    }
    path = font_file(settings)
    assert path.name == BUNDLED_FONT and path.is_file()
    assert (path.parent / "OFL.txt").read_text(encoding="utf-8").count(
        "SIL OPEN FONT LICENSE Version 1.1"
    ) == 1


def test_colours_are_kept_as_lower_case_six_digits(settings_from: Callable[[str], Settings]) -> None:
    cards = settings_from('[cards]\nbackground = "#FFF"\naccent = "#C0392B"\n').cards
    assert (cards.background, cards.accent) == ("#ffffff", "#c0392b")


def test_sizes_add_to_the_three_an_adapter_relies_on(settings_from: Callable[[str], Settings]) -> None:
    sizes = settings_from("[cards.sizes]\nstory = [1080, 1920]\nlandscape = [1600, 840]\n").cards.sizes
    assert sizes == {**DEFAULT_SIZES, "story": (1080, 1920), "landscape": (1600, 840)}


@pytest.mark.parametrize(
    ("toml", "problem"),
    [
        (
            '[cards]\ntext = "white"\n',
            "nashra.toml:2: cards.text: 'white' is not a colour; write it as #rrggbb",
        ),
        (
            "[cards]\nmax_lines = 0\n",
            "nashra.toml:2: cards.max_lines: Input should be greater than or equal to 1",
        ),
        (
            "[cards.sizes]\nsquare = [1080, 100]\n",
            "nashra.toml:2: cards.sizes.square[1]: Input should be greater",
        ),
        (
            '[cards.sizes]\n"Big Story" = [1080, 1920]\n',
            "nashra.toml:1: cards.sizes: size names are lower-case",
        ),
        ("[cards]\nfont_size = 40\n", "nashra.toml:2: cards.font_size: unknown key"),
    ],
    ids=["colour", "max_lines", "side", "size name", "unknown key"],
)
def test_a_bad_value_is_one_line_naming_key_and_line(
    toml: str, problem: str, settings_from: Callable[[str], Settings]
) -> None:
    with pytest.raises(ConfigError) as caught:
        settings_from(toml)
    assert [p for p in caught.value.problems if f"/{problem}" in p], caught.value.problems


def test_a_configured_font_is_found_beside_the_config_file(
    settings_from: Callable[[str], Settings], tmp_path: Path
) -> None:
    (tmp_path / "fonts").mkdir()
    shutil.copy(font_file(settings_from("")), tmp_path / "fonts" / "house.ttf")
    assert font_file(settings_from('[cards]\nfont = "fonts/house.ttf"\n')) == tmp_path / "fonts" / "house.ttf"


def test_a_missing_font_names_the_key_and_its_line(
    settings_from: Callable[[str], Settings], article: Callable[..., StoredArticle], tmp_path: Path
) -> None:
    settings = settings_from('[site]\nname = "نشرة"\n\n[cards]\nfont = "fonts/missing.ttf"\n')
    with pytest.raises(ConfigError, match=r"nashra.toml:5: cards.font: no font file at .*fonts/missing.ttf"):
        render_card(settings, article("عنوان"), "square")


def test_a_file_that_is_no_font_is_a_card_error(
    settings_from: Callable[[str], Settings], article: Callable[..., StoredArticle], tmp_path: Path
) -> None:
    (tmp_path / "notes.ttf").write_text("not a font", encoding="utf-8")
    with pytest.raises(CardError, match="cannot read the font"):
        render_card(settings_from('[cards]\nfont = "notes.ttf"\n'), article("عنوان"), "square")


def test_an_unknown_size_name_says_which_there_are(
    settings_from: Callable[[str], Settings], article: Callable[..., StoredArticle]
) -> None:
    with pytest.raises(CardError, match=r"no card size named 'story'.*landscape, portrait, square"):
        layout_card(settings_from(""), article("عنوان"), "story")


def test_without_libraqm_there_is_no_card_rather_than_unjoined_letters(
    settings_from: Callable[[str], Settings],
    article: Callable[..., StoredArticle],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert features.check_feature("raqm"), "this machine's Pillow must shape text (libfribidi0)"
    shaping_font.cache_clear()
    monkeypatch.setattr(features, "check_feature", lambda feature: feature != "raqm")
    try:
        with pytest.raises(CardError, match="libraqm is unavailable") as caught:
            render_card(settings_from(""), article("عنوان"), "square")
        assert "libfribidi0" in str(caught.value)
    finally:
        shaping_font.cache_clear()
