"""Spreadsheet-safe CSV cells (OWASP "CSV injection"), reversible so an export re-imports as is.

A spreadsheet runs a cell that starts with `=`, `+`, `-`, `@`, tab or CR as a formula (a
subscriber named `=HYPERLINK(…)` becomes a link that leaks the sheet). Export prefixes such a
cell with one `'`, which spreadsheets show as text.

To stay reversible the prefix also goes on a cell that is already quotes then a formula start
(`'=x` is written `''=x`), and import removes exactly one `'` from a cell of that shape
(quotes, then a formula start). Every other cell, a lone leading `'` included, is read as
written, so the two functions are inverse for every string.
"""

from __future__ import annotations

import re

_FORMULA = re.compile(r"'*[=+\-@\t\r]")
"""Cells that get one more `'` on the way out: any quotes, then a character that starts a formula."""


def neutralise(cell: str) -> str:
    """The cell as written to an exported file."""
    return f"'{cell}" if _FORMULA.match(cell) else cell


def restore(cell: str) -> str:
    """The value of a cell read from a file `neutralise` wrote (the inverse of `neutralise`)."""
    return cell[1:] if cell.startswith("'") and _FORMULA.match(cell, 1) else cell
