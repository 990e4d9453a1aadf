"""Memoising pure text functions for the texts that recur: headlines, leads, excerpts.

The same headline is keyed, isolated and shortened by the digest, its text part, its preview
and every post and feed that carries it; keyed by the exact text, a cache does that work once
per article version. Long inputs (whole bodies) are computed each time instead: they rarely
recur and would make a bounded cache hold megabytes.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache, wraps
from typing import TypeVar

T = TypeVar("T")

LONGEST_MEMOISED = 2000
"""Characters; a long lead fits, a whole body does not."""


def memoise_short(maxsize: int) -> Callable[[Callable[[str], T]], Callable[[str], T]]:
    """Cache `fn(text)` for texts of at most LONGEST_MEMOISED characters (LRU of `maxsize`).

    Only for pure functions returning immutable values, since every caller shares the result.
    """

    def decorate(fn: Callable[[str], T]) -> Callable[[str], T]:
        cached = lru_cache(maxsize=maxsize)(fn)

        @wraps(fn)
        def call(text: str) -> T:
            return cached(text) if len(text) <= LONGEST_MEMOISED else fn(text)

        call.cache_clear = cached.cache_clear  # type: ignore[attr-defined]
        return call

    return decorate
