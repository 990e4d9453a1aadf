"""The console's catalogs: every word its templates and pages use is in both, translated into
Arabic (all six plural forms), and nothing stale is left; they load from the .po files alone."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from nashra.web.console.i18n import LANGUAGES, catalog_path, default_language, translations

ROOT = Path(__file__).resolve().parents[2]
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}
UPDATE = (
    "pybabel extract -F babel.cfg -k N_ -o console.pot . && "
    "pybabel update -i console.pot -d src/nashra/web/console/locale -D console"
)


def used() -> set[str | tuple[str, ...]]:
    with (ROOT / "babel.cfg").open() as config:
        methods, options = parse_mapping_cfg(config)
    return {
        message for _, _, message, _, _ in extract_from_dir(str(ROOT), methods, options, keywords=KEYWORDS)
    }


def _key(message_id: str | tuple[str, ...]) -> str:
    return message_id if isinstance(message_id, str) else message_id[0]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_catalogs_hold_every_word_and_nothing_stale(lang: str) -> None:
    with open(catalog_path(lang), "rb") as source:
        catalog = read_po(source, locale=lang)
    in_catalog = {_key(m.id): m for m in catalog if m.id}
    wanted = {_key(m) for m in used()}
    assert wanted - set(in_catalog) == set(), f"words missing from {lang}; run: {UPDATE}"
    assert set(in_catalog) - wanted == set(), f"stale words in {lang}; run: {UPDATE}"
    assert not [m.id for m in in_catalog.values() if m.fuzzy], "fuzzy entries are not used: review them"
    if lang == "ar":
        untranslated = [
            m.id
            for m in in_catalog.values()
            if not (all(m.string) and len(m.string) == 6 if isinstance(m.string, tuple) else m.string)
        ]
        assert untranslated == []


def test_arabic_plurals_and_english_fallback() -> None:
    arabic = translations("ar")
    forms = [
        arabic.ngettext("%(count)s article stored.", "%(count)s articles stored.", n)
        for n in (1, 2, 3, 11, 100)
    ]
    assert forms == [
        "مقال واحد مخزّن.",
        "مقالان مخزّنان.",
        "%(count)s مقالات مخزّنة.",
        "%(count)s مقالًا مخزّنًا.",
        "%(count)s مقال مخزّن.",
    ]
    assert translations("en").gettext("Dashboard") == "Dashboard"
    assert (
        default_language("ar") == "ar"
        and default_language("en-GB") == "en"
        and default_language("fr") == "ar"
    )


def test_catalogs_ship_in_the_wheel() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    assert "locale/*/LC_MESSAGES/*.po" in config["package-data"]["nashra.web.console"]
