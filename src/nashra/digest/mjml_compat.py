"""mjml-python, and the one way its output differs from what we put in.

mjml-python 1.4.2 (MRML) writes attribute values with Rust's debug escaping: every combining mark,
format character and non-space separator comes out as a literal `\\u{651}`. In Arabic that breaks
alt texts with a shadda or a haraka, ZWNJ, NBSP and the isolates in <title>/aria-label. Character
references survive untouched, so attribute values go in with those characters already written as
`&#x651;` (the `attr` filter), and anything that still comes out escaped (an operator's template
that forgot the filter) is repaired and logged.
"""

from __future__ import annotations

import logging
import re
from functools import lru_cache

import regex
from markupsafe import Markup, escape
from mjml import mjml2html

from nashra.errors import TemplateError
from nashra.logs import event
from nashra.text.markup import as_markup, escape_text
from nashra.text.memo import LONGEST_MEMOISED

log = logging.getLogger(__name__)

_MANGLED_BY_MRML = regex.compile(r"[[\p{M}\p{C}\p{Z}]--[\x20]]", flags=regex.VERSION1)
# Values made only of characters MRML keeps (ASCII, Latin, Greek, Cyrillic, Hebrew and unvowelled
# Arabic letters, digits, punctuation), the common case, are told apart by `re`, far faster.
_KEPT = "".join(c for c in map(chr, range(0x20, 0x6D6)) if not _MANGLED_BY_MRML.match(c))
_KEPT_BY_MRML = re.compile(f"[{re.escape(_KEPT)}]*")
_MAYBE_MANGLED = re.compile(f"[^{re.escape(_KEPT)}]")
_RUST_ESCAPE = regex.compile(r"\\u\{([0-9a-f]{1,6})\}")
# The literal `\u{`, found by `re` about three times faster than `in` on a digest's HTML; and only
# looked for when the HTML has a backslash at all (one character is found twenty times faster).
_ESCAPE_START = re.compile(re.escape("\\u{"))


def attr(value: object) -> Markup:
    """Jinja filter for attribute values in MJML: HTML-escaped, marks and controls as references."""
    if type(value) is str and len(value) <= LONGEST_MEMOISED:
        return _attr_of_text(value)
    return _attr(value)


@lru_cache(maxsize=4096)
def _attr_of_text(text: str) -> Markup:
    """Plain texts, memoised: a teaser's link is written three times, and the same links come back."""
    return _attr(text)


def _attr(value: object) -> Markup:
    escaped = escape_text(value) if type(value) is str else str(escape(value))
    # Printable ASCII (links, image addresses) is kept, and is told apart without a regex.
    if (escaped.isascii() and escaped.isprintable()) or _KEPT_BY_MRML.fullmatch(escaped):
        return as_markup(escaped)
    return as_markup(_MAYBE_MANGLED.sub(_reference, escaped))


@lru_cache(maxsize=1024)
def _written(char: str) -> str:
    """`char` as MRML keeps it: itself, or a character reference when MRML would mangle it."""
    return f"&#x{ord(char):x};" if _MANGLED_BY_MRML.match(char) else char


def _reference(match: re.Match[str]) -> str:
    # `regex` judges each character once; `re` finds the few outside the kept range (an Arabic
    # value with harakat, isolates), several times faster than a `regex` substitution.
    return _written(match.group())


def compile_mjml(markup: str, *, where: str) -> str:
    """MJML -> HTML; invalid markup becomes a TemplateError naming the template."""
    try:
        html = mjml2html(markup, disable_comments=True, fonts={})
    except Exception as exc:
        raise TemplateError(f"MJML the template produced is invalid: {exc}", where=where) from None
    if "\\" in html and _ESCAPE_START.search(html) and not _ESCAPE_START.search(markup):
        html, repaired = _RUST_ESCAPE.subn(lambda m: f"&#x{m.group(1)};", html)
        event(
            log,
            "digest.attribute_escaped",
            level=logging.WARNING,
            template=where,
            repaired=repaired,
            hint="use the |attr filter on attribute values",
        )
    return html
