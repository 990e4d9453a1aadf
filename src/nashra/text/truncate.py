"""Shorten text to a platform limit without producing something an editor would fix by hand.

A naive ``text[:n]`` splits a shadda from its letter, a flag into two regional
indicators, leaves «an opened quote, and ignores that X weighs characters
differently. Here cuts happen between grapheme clusters, preferably between
words, and the limit is checked with the caller's own measure.
"""

import bisect
import re
import unicodedata
from collections.abc import Callable
from itertools import accumulate

from nashra.text.bidi import FSI, LRI, PDI, RLI
from nashra.text.graphemes import first_graphemes, grapheme_len, graphemes

_CLOSER_FOR = {
    "(": ")",
    "[": "]",
    "{": "}",
    "«": "»",
    "“": "”",
    "‘": "’",
    LRI: PDI,  # a cut inside an isolate would leave the rest of the post isolated
    RLI: PDI,
    FSI: PDI,
}
_SYMMETRIC_QUOTES = frozenset("\"'")
_CLOSERS = frozenset(_CLOSER_FOR.values()) | _SYMMETRIC_QUOTES
# Any character that may open something; text without one has nothing left unmatched.
_MAY_OPEN = re.compile("[" + re.escape("".join(_CLOSER_FOR) + "".join(_SYMMETRIC_QUOTES)) + "]")
# Every character that opens or closes something: the only ones the search for an unmatched
# opener needs to visit.
_BRACKET_OR_QUOTE = re.compile("[" + re.escape("".join(_CLOSER_FOR) + "".join(_CLOSERS)) + "]")


def _opens_quote(previous: str | None) -> bool:
    """A straight quote opens only at a word start; elsewhere it closes or is an apostrophe ("don't")."""
    return previous is None or previous.isspace() or previous in _CLOSER_FOR


def _first_unmatched_opener(text: str, clusters: list[str]) -> int | None:
    """Index of the earliest cluster that opens a bracket or quote never closed in ``clusters``
    (whose characters are ``text``).

    Closers are matched against the innermost open bracket only; a stray closer
    ("1) ...") is ignored, since it cannot make the kept text look cut off.
    Only the clusters that start with a bracket or quote are visited.
    """
    simple = len(text) == len(clusters)  # every cluster one code point: its index is its offset
    starts = None if simple else list(accumulate(map(len, clusters), initial=0))
    stack: list[tuple[int, str]] = []
    for found in _BRACKET_OR_QUOTE.finditer(text):
        offset = found.start()
        if starts is None:
            index = offset
        else:
            index = bisect.bisect_right(starts, offset) - 1
            if starts[index] != offset:  # inside a cluster, not its first character
                continue
        char = found.group()
        previous = text[offset - 1] if index else None  # the last character of the cluster before
        if char in _SYMMETRIC_QUOTES:
            if stack and stack[-1][1] == char and not _opens_quote(previous):
                stack.pop()
            elif _opens_quote(previous):
                stack.append((index, char))
        elif char in _CLOSER_FOR:
            stack.append((index, _CLOSER_FOR[char]))
        elif stack and stack[-1][1] == char:
            stack.pop()
    return stack[0][0] if stack else None


def _is_trimmable(cluster: str) -> bool:
    """Trailing spaces and punctuation look wrong before an ellipsis, but closers must stay for balance."""
    char = cluster[0]
    return char.isspace() or (unicodedata.category(char).startswith("P") and char not in _CLOSERS)


def _trimmed_end(clusters: list[str], end: int) -> int:
    """How many of the first `end` clusters stay once trailing spaces and punctuation are dropped."""
    while end and _is_trimmable(clusters[end - 1]):
        end -= 1
    return end


def _trimmed(clusters: list[str]) -> list[str]:
    return clusters[: _trimmed_end(clusters, len(clusters))]


def _kept_count(clusters: list[str], text: str) -> int:
    """How many of `clusters` (whose characters are `text`) stay: cut before any unmatched
    opener, then trailing spaces and punctuation dropped."""
    unmatched = _first_unmatched_opener(text, clusters) if _MAY_OPEN.search(text) else None
    return _trimmed_end(clusters, len(clusters) if unmatched is None else unmatched)


def _longest_fitting_prefix(clusters: list[str], fits: Callable[[list[str]], bool]) -> int:
    """Largest cluster count whose prefix fits once trailing spaces and punctuation are trimmed.

    Trimming before measuring matters: "word، " may not fit raw but "word" does.
    Bisection assumes the measure grows with the prefix, true for grapheme
    counts and nearly so for X (a URL growing past its 23 can shrink the count).
    The result only bounds where candidates are searched; every returned text
    is measured again, so the limit holds for any measure.
    """
    low, high = 0, len(clusters)
    while low < high:
        middle = (low + high + 1) // 2
        if fits(_trimmed(clusters[:middle])):
            low = middle
        else:
            high = middle - 1
    return low


def _longest_counted_prefix(clusters: list[str], room: int) -> int:
    """`_longest_fitting_prefix` when a prefix measures its cluster count, without the search: every
    prefix of at most `room` clusters fits, and a longer one only when what it adds past `room` is
    trailing spaces and punctuation, which trimming drops."""
    end = min(room, len(clusters))
    while end < len(clusters) and _is_trimmable(clusters[end]):
        end += 1
    return end


def _leading_clusters(text: str, limit: int) -> list[str]:
    """As many first clusters of `text` as a cut counted in clusters can look at, not the whole text.

    The search below keeps a prefix only if, trimmed, it is at most `limit` long, and reads the
    cluster after it (a word boundary?); so clusters past a prefix whose trimmed length is over
    `limit` are never read. A long lead cut to a teaser is then segmented over a few hundred code
    points, not its whole length.
    """
    wanted = limit + 2
    while True:
        clusters = first_graphemes(text, wanted)
        if len(clusters) < wanted or len(_trimmed(clusters)) > limit:
            return clusters
        wanted *= 2


def truncate(
    text: str,
    limit: int,
    *,
    measure: Callable[[str], int] = grapheme_len,
    ellipsis: str = "…",
) -> str:
    """Return ``text`` if it fits, else its longest tidy prefix plus ``ellipsis`` within ``limit``.

    Prefers a cut between words; falls back to a cut between grapheme clusters
    when no word boundary fits (one long word or URL). The ellipsis is measured
    too (X weighs "…" as 2). If the ellipsis alone does not fit, the longest
    tidy prefix that fits is returned without it, possibly "". If the ellipsis
    fits but no text can be kept without an unmatched opener (a limit that ends
    inside an opening «quote at the very start), the ellipsis alone is returned.
    """
    if limit < 0:
        raise ValueError(f"limit must be >= 0, got {limit}")
    clusters = _leading_clusters(text, limit) if measure is grapheme_len else graphemes(text)
    return _cut(text, clusters, limit, measure, ellipsis)


def truncate_clusters(clusters: list[str], limit: int) -> str:
    """`truncate("".join(clusters), limit)`, for all the clusters of a text of at most `limit + 1`
    of them (`shorten`'s first clusters of a longer one): they are not segmented again."""
    if limit < 0:
        raise ValueError(f"limit must be >= 0, got {limit}")
    return _cut("".join(clusters), clusters, limit, grapheme_len, "…")


def _cut(text: str, clusters: list[str], limit: int, measure: Callable[[str], int], ellipsis: str) -> str:
    """`truncate`, given the clusters of `text` it needs: the first ones when counting clusters
    (`_leading_clusters`), else all of them."""
    # The search measures many candidate prefixes; with the default measure a prefix's length is
    # its cluster count, so the search skips re-segmenting. Every returned text is measured again.
    counted = measure is grapheme_len
    if (len(clusters) if counted else measure(text)) <= limit:
        return text
    ellipsis_size = measure(ellipsis)

    def longest(extra: int) -> int:
        """The longest prefix that fits, trimmed, with `extra` after it (the ellipsis, or 0)."""
        if counted:
            return _longest_counted_prefix(clusters, limit - extra)
        suffix = ellipsis if extra else ""
        return _longest_fitting_prefix(clusters, lambda kept: measure("".join(kept) + suffix) <= limit)

    # The text of the first `count` clusters: a slice when every cluster is one code point (most
    # Arabic and Latin text), else their join.
    joined = text if len(text) == len(clusters) else "".join(clusters)
    simple = len(joined) == len(clusters)

    def head(count: int) -> str:
        return joined[:count] if simple else "".join(clusters[:count])

    def kept(count: int) -> int:
        """How many of the first `count` clusters stay once tidied (`_kept_count`)."""
        return _kept_count(clusters[:count], head(count))

    if ellipsis_size > limit:
        end = longest(0)
        for count in range(end, 0, -1):
            tidy = head(kept(count))
            if measure(tidy) <= limit:
                return tidy
        return ""

    def fits(count: int, text: str) -> bool:
        # Counted in clusters, a kept prefix is as long as its clusters (a prefix that ends between
        # clusters segments into the same clusters) and the ellipsis adds its own: no segmenting.
        return count + ellipsis_size <= limit if counted else measure(text + ellipsis) <= limit

    end = longest(ellipsis_size)
    word_cuts = (
        count for count in range(end, 0, -1) if count == len(clusters) or clusters[count][0].isspace()
    )
    for counts in (word_cuts, range(end, 0, -1)):
        for count in counts:
            size = kept(count)
            if size and fits(size, tidy := head(size)):
                return tidy + ellipsis
    return ellipsis
