"""Pages for readers from Jinja2 templates: the bundled templates/web/, replaceable file by file from
the operator's `[web] templates` folder (the digest templates' loader, so both fail the same way).

Autoescaped, so a name or address a visitor typed can never become markup. Loaded when the app is
made, so a mistake in an operator's template stops `nashra serve` with its file and line instead of
failing a visitor later.
"""

from __future__ import annotations

from collections.abc import Iterable

from nashra.config import Settings
from nashra.digest import templating
from nashra.errors import TemplateError
from nashra.text import parse_locale

WEB_TEMPLATES = "web"  # the bundled pages' folder inside templates/


class Pages:
    """The named page templates, loaded once; every page also sees `site` ([site] of the config),
    `direction` ("rtl" or "ltr", the script direction of the site's locale, for `<html dir>`) and
    `root`, the path prefix of web.public_url ("/news", or ""), which starts every link and form
    action so that they still reach the app behind a proxy that serves it under that prefix."""

    def __init__(self, settings: Settings, names: Iterable[str]) -> None:
        folder = settings.resolve(settings.web.templates) if settings.web.templates else None
        if folder is not None and not folder.is_dir():
            raise TemplateError(
                f"templates folder not found: {folder}",
                where=settings.locate(("web", "templates")),
                hint="a folder, relative to the config file",
            )
        self._site = settings.site
        self._root = settings.web.path_prefix
        order = parse_locale(settings.site.locale).character_order
        self._direction = "rtl" if order == "right-to-left" else "ltr"
        self._templates = {
            # .html is autoescaped; .txt (a mail's text part, a subject) is plain text.
            name: templating.load_layered(
                name, folder, bundled=WEB_TEMPLATES, autoescape=name.endswith(".html")
            )
            for name in names
        }

    def render(self, template: str, /, **values: object) -> str:
        return templating.render(
            self._templates[template],
            {"site": self._site, "direction": self._direction, "root": self._root, **values},
        )
