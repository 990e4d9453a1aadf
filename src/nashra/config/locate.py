"""Map a validation error's key path back to a line of the TOML text.

tomllib does not keep positions, so this scans the text: good enough to point an operator at the
right line for tables, arrays of tables and keys, which is what validation errors name.
"""

from __future__ import annotations

import re
from collections.abc import Callable

_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")


def _key_line(lines: list[str], start: int, end: int, key: str) -> int | None:
    pattern = re.compile(rf"^\s*[\"']?{re.escape(key)}[\"']?\s*=")
    for number in range(start, end):
        if pattern.match(lines[number]):
            return number
    return None


def _table_span(lines: list[str], table: str, index: int | None) -> tuple[int, int] | None:
    """The [start, end) line span of `[table]`, or of the index-th `[[table]]`."""
    seen = -1
    start: int | None = None
    for number, line in enumerate(lines):
        match = _HEADER.match(line)
        if not match:
            continue
        if start is not None:
            return start, number
        if match.group(2) != table:
            continue
        seen += 1
        if index is None or seen == index:
            start = number
    return (start, len(lines)) if start is not None else None


def line_of(text: str, loc: tuple[str | int, ...]) -> int | None:
    """1-based line of the key at `loc` (e.g. ("sources", 1, "url")), or of its table, or None."""
    lines = text.splitlines()
    if not loc:
        return None
    head, rest = str(loc[0]), loc[1:]
    index = rest[0] if rest and isinstance(rest[0], int) else None
    if index is not None:
        rest = rest[1:]
    # A sub-table written under its own header (`[mail.smtp]`) is looked for before its parent.
    while index is None and rest and isinstance(rest[0], str):
        nested = f"{head}.{rest[0]}"
        if _table_span(lines, nested, None) is None:
            break
        head, rest = nested, rest[1:]
    span = _table_span(lines, head, index)
    if span is None:
        found = _key_line(lines, 0, len(lines), head)
        return None if found is None else found + 1
    start, end = span
    if rest and isinstance(rest[0], str):
        found = _key_line(lines, start + 1, end, rest[0])
        if found is not None:
            return found + 1
    return start + 1


Loc = tuple[str | int, ...]
Locate = Callable[[Loc], str]


def where(origin: str | None, text: str, loc: Loc) -> str:
    """`file:line` for a key path in `text` read from `origin` (None: the built-in defaults)."""
    place = origin or "built-in defaults"
    line = line_of(text, loc) if text else None
    return f"{place}:{line}" if line else place
