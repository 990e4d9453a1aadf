"""What every console page shares, made once per app: the store, the origin check, the login
throttle, the cookie policy, the registered pages, and how a page is rendered in a language."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime

from babel.dates import format_datetime
from starlette.responses import HTMLResponse

from nashra.runtime import Runtime
from nashra.store.users import User
from nashra.web.console import templates
from nashra.web.console.cookies import CookiePolicy
from nashra.web.console.i18n import DIRECTIONS, LANGUAGES, default_language
from nashra.web.console.registry import ConsoleRoute, console_routes
from nashra.web.console.throttle import LoginThrottle
from nashra.web.origin import SameOrigin

# Never cached: every page shows one operator's view at one moment.
HEADERS = {"Cache-Control": "no-store"}
LANGUAGE_NAMES = {"ar": "العربية", "en": "English"}


class Console:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.settings = runtime.settings
        self.root = self.settings.web.path_prefix
        self.base = f"{self.root}/console"
        """Where the console is for a browser: every link and form action starts with it."""
        self.same_origin = SameOrigin(self.settings)
        self.throttle = LoginThrottle()
        self.cookies = CookiePolicy.for_settings(self.settings, self.base)
        self.default_language = default_language(self.settings.site.language)
        self.routes = console_routes()
        self.style = templates.render(self.default_language, "console.css", {})

    def babel_locale(self, lang: str) -> str:
        """Dates in the site's own Arabic locale (ar_DZ, …) when the console speaks Arabic."""
        site = self.settings.site.locale
        return site if site.split("_")[0] == lang else lang

    def when(self, lang: str) -> Callable[[datetime | None], str]:
        locale, zone = self.babel_locale(lang), self.settings.site.zone

        def shown(moment: datetime | None) -> str:
            return "—" if moment is None else format_datetime(moment, "medium", tzinfo=zone, locale=locale)

        return shown

    def nav(self, user: User | None) -> list[ConsoleRoute]:
        if user is None:
            return []
        return [route for route in self.routes if route.nav and user.role.allows(route.role)]

    def render(
        self,
        lang: str,
        template: str,
        *,
        status: int = 200,
        user: User | None = None,
        csrf: str = "",
        values: Mapping[str, object] = {},
    ) -> HTMLResponse:
        other = next(code for code in LANGUAGES if code != lang)
        context = {
            "site": self.settings.site,
            "root": self.root,
            "base": self.base,
            "lang": lang,
            "dir": DIRECTIONS[lang],
            "other_lang": other,
            "other_lang_name": LANGUAGE_NAMES[other],
            "user": user,
            "csrf": csrf,
            "nav": self.nav(user),
            "when": self.when(lang),
            **values,
        }
        return HTMLResponse(templates.render(lang, template, context), status_code=status, headers=HEADERS)
