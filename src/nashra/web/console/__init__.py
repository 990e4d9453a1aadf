"""The operator console under /console: server-rendered pages for the newsroom's operators.

Every page but the login form and the stylesheet is registered in `registry` and served through
one guard (`guard.guarded`): an open session, the site's own origin and the session's CSRF token on
every POST, and the role the page needs. Words come from Babel catalogs (Arabic by default, English
on request), and the layout reads right to left or left to right from the language.
"""

from nashra.web.console.registry import ConsoleRoute, console_route, console_routes

__all__ = ["ConsoleRoute", "console_route", "console_routes"]
