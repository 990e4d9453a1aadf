"""URL slugs that stay readable Arabic rather than transliterated noise."""

import hashlib
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
