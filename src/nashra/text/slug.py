"""URL slugs that stay readable Arabic rather than transliterated noise."""

import hashlib
import re
from functools import lru_cache

from slugify import slugify as _python_slugify

from nashra.text.clean import strip_harakat
from nashra.text.symbols import spell_out_symbols


@lru_cache(maxsize=1024)
def slugify(text: str, *, max_length: int = 80) -> str:
    """Make a URL path segment that keeps Arabic letters and is never empty.

    Harakat and tatweel go first: python-slugify keeps tatweel as a word
    character and would keep marks, giving two slugs for one title. Symbols
    that tell subjects apart are spelled out ("C++" -> "cplusplus", not "c").
    A title of only emoji or punctuation still needs a unique, repeatable path,
    so it gets a hash of the input instead of "".

    Memoised: the same names (a digest's, a section's, a tag's) are slugged for every file and link.
    """
    if max_length < 1:
        raise ValueError(f"max_length must be >= 1, got {max_length}")
    if len(text) < max_length and _ALREADY_A_SLUG.fullmatch(text):
        return text
    return _slugify(text, max_length)


# What `_slugify` gives back as it is (a digest's or section's ASCII name), told apart without
# python-slugify: lower-case ASCII letters and digits, single hyphens between them.
_ALREADY_A_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


def _slugify(text: str, max_length: int) -> str:
    slug = _python_slugify(
        spell_out_symbols(strip_harakat(text)),
        allow_unicode=True,
        max_length=max_length,
        word_boundary=True,
        separator="-",
    )
    if slug:
        return slug
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=5).hexdigest()[:max_length]
