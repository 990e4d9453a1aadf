"""The console's Jinja2 templates (templates/web/console/), one environment per language with
the `i18n` extension and that language's catalog installed (new-style gettext: `_("…")`,
`{% trans %}`, `ngettext`, autoescaped and %-formatted).

StrictUndefined, as for the other templates: a misspelt variable is an error, not an empty cell.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from importlib.resources import files
from typing import Any

import jinja2

from nashra.digest import templating
from nashra.errors import TemplateError
from nashra.web.console.i18n import translations

FOLDER = "web/console"


def _source(name: str) -> tuple[str, str, Callable[[], bool]] | None:
    resource = files(templating.PACKAGE).joinpath(FOLDER, name)
    if not resource.is_file():
        return None
    return resource.read_text(encoding="utf-8"), str(resource), lambda: True


@cache
def environment(lang: str) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FunctionLoader(_source),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.i18n"],
    )
    env.install_gettext_translations(translations(lang), newstyle=True)  # type: ignore[attr-defined]
    return env


def render(lang: str, name: str, values: dict[str, Any]) -> str:
    """The page in `lang`; a template error names its file and line (TemplateError)."""
    try:
        template = environment(lang).get_template(name)
    except jinja2.TemplateError as exc:
        raise TemplateError(f"template {name!r}: {exc}", where=name) from None
    return templating.render(template, values)
