"""CSV import and export of subscribers.

Import is all or nothing by default: every line is checked before the database is touched, and one
bad line means nothing is imported and every bad line is reported by its line number and reason;
`skip_bad` imports the good rows instead. Importing the same file again changes nothing
(idempotent), and it never re-activates an address that unsubscribed or bounced. Columns (header
row required, any order, only `email` is required): email, name, status (pending|active; default
active), digests (names separated by ";"), consent_at (ISO 8601), consent_source. One subscriber
per line: a quoted field may not hold a line break, because that is how an unclosed quote silently
swallows the rows after it. Export writes the same columns plus lists, every cell spreadsheet-safe
(`csvcells`); import reads such cells back to the values exported.
"""

from __future__ import annotations

import codecs
import csv
import io
import sys
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

import charset_normalizer
import regex
from sqlalchemy import Connection

from nashra.errors import NashraError
from nashra.store import subscribers as db
from nashra.store.subscribers import SubscriberStatus
from nashra.subscribers.addresses import InvalidAddress, normalise_email
from nashra.subscribers.csvcells import neutralise, restore
from nashra.subscribers.manage import DEFAULT_LIST, add_subscriber

COLUMNS = ("email", "name", "status", "digests", "consent_at", "consent_source")
IMPORTABLE_STATUSES = (SubscriberStatus.ACTIVE, SubscriberStatus.PENDING)
# No column holds more than a name or a few digest names; a longer field is a broken file (or an
# attack on the reader), reported rather than stored.
LONGEST_FIELD = 1_000
# UTF-32 first: its little-endian BOM begins with UTF-16's.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# PostgreSQL refuses NUL in text, and no other control character belongs in a name or an address.
_CONTROL = regex.compile(r"[\p{Cc}--[\t]]", flags=regex.VERSION1)
_UNDECODABLE = "\ufffd"

ConnectionFactory = Callable[[], AbstractContextManager[Connection]]


class UnreadableCsv(NashraError):
    """The file as a whole cannot be imported (unknown encoding, no `email` header)."""


@dataclass
class ImportReport:
    encoding: str
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    kept: int = 0
    """Addresses left unsubscribed, bounced or complained (manage.STICKY): an import never revives one."""
    errors: list[tuple[int, str]] = field(default_factory=list)
    """(line number in the file, reason)."""


@dataclass(frozen=True, slots=True)
class _Row:
    address: str
    name: str
    status: SubscriberStatus
    digests: list[str]
    consent_at: datetime | None
    consent_source: str


def detect_encoding(data: bytes) -> str:
    """The codec to read `data` with: a BOM is certain; a file that is mostly valid UTF-8 is UTF-8
    (so a stray bad byte is reported at its line instead of turning the whole file into another
    code page); otherwise charset-normalizer judges (windows-1256 from older Arabic Excel)."""
    for bom, name in _BOMS:
        if data.startswith(bom):
            return name
    text = data.decode("utf-8", errors="replace")
    bad = text.count(_UNDECODABLE)
    non_ascii = len(text) - len(text.encode("ascii", errors="ignore"))
    if bad == 0 or non_ascii - bad > bad:
        return "utf-8"
    best = charset_normalizer.from_bytes(data).best()
    if best is None:
        raise UnreadableCsv("cannot tell the text encoding", hint="name it with --encoding")
    return codecs.lookup(best.encoding).name


@contextmanager
def _any_field_size() -> Iterator[None]:
    """Lift the csv module's 128 KiB field limit (process-wide, so restored after) so an over-long
    field is read whole and reported at its line instead of aborting the file."""
    previous = csv.field_size_limit(sys.maxsize)
    try:
        yield
    finally:
        csv.field_size_limit(previous)


def _records(text: str) -> list[tuple[int, int, list[str]]]:
    """(first line, last line, fields) of every non-blank record."""
    reader = csv.reader(io.StringIO(text, newline=""))
    records = []
    with _any_field_size():
        start = 1
        for fields in reader:
            if fields:
                records.append((start, reader.line_num, fields))
            start = reader.line_num + 1
    return records


def _consent_at(value: str) -> datetime | None:
    if not value:
        return None
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def import_csv(
    conn_factory: ConnectionFactory,
    path: Path,
    *,
    list_name: str = DEFAULT_LIST,
    now: datetime,
    encoding: str | None = None,
    skip_bad: bool = False,
) -> ImportReport:
    """Import `path` in one transaction of `conn_factory()`; with errors and without `skip_bad`,
    the database is not touched (the report lists every bad line)."""
    data = path.read_bytes()
    try:
        codec = codecs.lookup(encoding).name if encoding else detect_encoding(data)
    except LookupError:
        raise UnreadableCsv(f"unknown encoding {encoding!r}", where=str(path)) from None
    except UnreadableCsv as exc:
        exc.where = str(path)
        raise
    text = data.decode(codec, errors="replace").removeprefix("\ufeff")
    report = ImportReport(encoding=codec)
    rows = _checked_rows(text, report, source=f"import:{path.name}", where=str(path))
    if report.errors and not skip_bad:
        return report
    with conn_factory() as conn:
        for row in rows:
            result = add_subscriber(
                conn,
                row.address,
                now=now,
                name=row.name,
                list_name=list_name,
                digests=row.digests,
                status=row.status,
                consent_source=row.consent_source,
                consent_at=row.consent_at,
            )
            if result.kept:
                report.kept += 1
            elif result.created:
                report.added += 1
            elif result.changed:
                report.updated += 1
            else:
                report.unchanged += 1
    return report


def _checked_rows(text: str, report: ImportReport, *, source: str, where: str) -> list[_Row]:
    """Every good row; every bad line goes to `report.errors`."""
    records = _records(text)
    if not records:
        raise UnreadableCsv("the file is empty", where=where)
    _, _, header = records[0]
    columns = [c.strip().lower() for c in header]
    if "email" not in columns:
        raise UnreadableCsv("the first line must be a header naming at least an `email` column", where=where)
    rows: list[_Row] = []
    seen: dict[str, int] = {}
    for first, last, fields in records[1:]:
        problem = _field_problem(first, last, fields, columns, report.encoding)
        if problem:
            report.errors.append((first, problem))
            continue
        row = _row(
            first, dict(zip(columns, (restore(f.strip()) for f in fields), strict=False)), seen, source
        )
        if isinstance(row, str):
            report.errors.append((first, row))
        else:
            rows.append(row)
    return rows


def _field_problem(first: int, last: int, fields: list[str], columns: list[str], encoding: str) -> str | None:
    """What makes this record unreadable as one subscriber line, whatever its values mean."""
    if last > first:
        return (
            f"a quoted field runs over lines {first}-{last}: an unclosed quote? "
            "(a field may not hold a line break)"
        )
    if any(f.strip() for f in fields[len(columns) :]):
        return f"{len(fields)} fields where the header names {len(columns)}: quote a field that holds a comma"
    for column, value in zip(columns, fields, strict=False):
        if _UNDECODABLE in value:
            return f"{column} holds bytes that are not valid {encoding} (pass --encoding if that is wrong)"
        if len(value) > LONGEST_FIELD:
            return f"{column} is {len(value)} characters long (at most {LONGEST_FIELD})"
        if control := _CONTROL.search(value):
            return f"{column} holds the control character U+{ord(control.group()):04X}"
    return None


def _row(line: int, row: dict[str, str], seen: dict[str, int], source: str) -> _Row | str:
    """The subscriber on this line, or why it cannot be imported."""
    try:
        address = normalise_email(row.get("email", ""))
    except InvalidAddress as exc:
        return str(exc)
    if address in seen:
        return f"{address} repeats line {seen[address]}"
    seen[address] = line
    status = (row.get("status") or SubscriberStatus.ACTIVE).lower()
    if status not in IMPORTABLE_STATUSES:
        return f"status {status!r} cannot be imported; use active or pending"
    try:
        consent_at = _consent_at(row.get("consent_at", ""))
    except ValueError:
        return f"consent_at {row.get('consent_at')!r} is not an ISO 8601 date-time"
    return _Row(
        address=address,
        name=row.get("name", ""),
        status=SubscriberStatus(status),
        digests=[d for d in (row.get("digests") or "").replace(",", ";").split(";") if d.strip()],
        consent_at=consent_at,
        consent_source=row.get("consent_source") or source,
    )


def export_csv(conn: Connection, handle: TextIO, *, list_name: str | None = None) -> int:
    """Write every subscriber (of a list) as CSV, streamed; returns the number of rows."""
    writer = csv.writer(handle)
    writer.writerow([*COLUMNS, "lists"])
    count = 0
    for sub in db.iter_subscribers(conn, list_name=list_name):
        cells = (
            sub.email,
            sub.name,
            sub.status,
            ";".join(sub.digests),
            sub.consent_at.isoformat() if sub.consent_at else "",
            sub.consent_source,
            ";".join(sub.lists),
        )
        writer.writerow([neutralise(cell) for cell in cells])
        count += 1
    return count
