"""The console's languages: Babel message catalogs (locale/<lang>/LC_MESSAGES/console.po), Arabic
by default and English on request.

The .po files are the only copy: each is compiled in memory the first time it is needed (a few
milliseconds), so a fresh `pip install -e .` works without a compile step and no stale .mo can be
shipped. `pybabel extract`/`update` work on them as usual; tests/console/test_console_i18n.py checks
that every word the templates use is translated.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from io import BytesIO

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations
from starlette.requests import Request

LANGUAGES = ("ar", "en")
DIRECTIONS = {"ar": "rtl", "en": "ltr"}
COOKIE = "nashra_lang"
DOMAIN = "console"


def catalog_path(lang: str) -> str:
    return str(files("nashra.web.console") / "locale" / lang / "LC_MESSAGES" / f"{DOMAIN}.po")


@cache
def translations(lang: str) -> Translations:
    with open(catalog_path(lang), "rb") as source:
        catalog = read_po(source, locale=lang, domain=DOMAIN)
    compiled = BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)


def default_language(site_language: str) -> str:
    """The site's language when the console speaks it, else Arabic."""
    base = site_language.split("-")[0].split("_")[0].lower()
    return base if base in LANGUAGES else LANGUAGES[0]


def requested_language(request: Request, default: str) -> tuple[str, bool]:
    """The language for this request, and whether it was just chosen (`?lang=en`: remember it in
    the cookie); else the cookie's, else `default`."""
    chosen = request.query_params.get("lang", "")
    if chosen in LANGUAGES:
        return chosen, True
    kept = request.cookies.get(COOKIE, "")
    return (kept if kept in LANGUAGES else default), False
