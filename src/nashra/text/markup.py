"""HTML escaping exactly as markupsafe's `escape` does it, as plain text, and Markup built cheaply.

`escape` returns a Markup, and building one is a Python `__new__` of about a microsecond: code
that escapes many pieces and joins them (template output, bidi HTML, attribute values) escapes
each as text and wraps the whole in one Markup (`as_markup`), if it needs one at all.
"""

from collections.abc import Callable
from functools import partial

from markupsafe import Markup, escape

try:  # markupsafe 3: the escaping inside its `escape`, a str to a str
    from markupsafe._speedups import _escape_inner as escape_text
except ImportError:  # markupsafe 2.1 (whose `escape` is C already) or no compiled speedups

    def escape_text(s: str, /) -> str:
        """`&`, `<`, `>`, `'` and `"` escaped as markupsafe's `escape` does."""
        return str(escape(s))


as_markup: Callable[[str], Markup] = partial(str.__new__, Markup)
"""`Markup(html)` for a str that is HTML already: what `Markup.__new__` does with a str once it has
looked for an `__html__` method (a str has none), without that Python call, or any (a partial of a
C function is called in C). For the values built on every render: attribute values, and bidi
titles and excerpts read from the store."""


__all__ = ["as_markup", "escape_text"]
