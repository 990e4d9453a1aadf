"""HTML escaping exactly as markupsafe's `escape` does it, as plain text.

`escape` returns a Markup, and building one is a Python `__new__` of about a microsecond: code
that escapes many pieces and joins them (template output, bidi HTML, attribute values) escapes
each as text and wraps the whole in one Markup, if it needs one at all.
"""

from markupsafe import escape

try:  # markupsafe 3: the escaping inside its `escape`, a str to a str
    from markupsafe._speedups import _escape_inner as escape_text
except ImportError:  # markupsafe 2.1 (whose `escape` is C already) or no compiled speedups

    def escape_text(s: str, /) -> str:
        """`&`, `<`, `>`, `'` and `"` escaped as markupsafe's `escape` does."""
        return str(escape(s))


__all__ = ["escape_text"]
