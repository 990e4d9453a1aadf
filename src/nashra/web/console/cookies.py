"""The console's cookies: scoped to the console's path, out of scripts' reach (HttpOnly), not sent
with other sites' requests except top-level navigation (SameSite=Lax), and Secure whenever the app's
public URL is https, so a session token never crosses the network in clear text."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from starlette.responses import Response

from nashra.config import Settings

SESSION = "nashra_console"
LOGIN_CSRF = "nashra_login"
YEAR = 365 * 24 * 3600


@dataclass(frozen=True, slots=True)
class CookiePolicy:
    path: str
    secure: bool

    @classmethod
    def for_settings(cls, settings: Settings, base: str) -> CookiePolicy:
        return cls(path=base, secure=urlsplit(settings.web.base_url).scheme == "https")

    def set(self, response: Response, name: str, value: str, *, max_age: int | None = None) -> None:
        response.set_cookie(
            name, value, max_age=max_age, path=self.path, secure=self.secure, httponly=True, samesite="lax"
        )

    def delete(self, response: Response, name: str) -> None:
        response.delete_cookie(name, path=self.path, secure=self.secure, httponly=True, samesite="lax")
