"""CSV import and export of subscribers.

Import is all or nothing by default: every line is checked before any subscriber is written, and
one bad line means nothing is imported and every bad line is reported by its line number and reason;
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
import re
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from itertools import islice
from pathlib import Path
from typing import TextIO, TypeVar

import charset_normalizer
from sqlalchemy import Connection

from nashra.errors import NashraError
from nashra.store import subscriber_import as staging
from nashra.store import subscribers as db
from nashra.store.subscribers import SubscriberStatus, widened_digests
from nashra.subscribers.addresses import InvalidAddress, normalise_email
from nashra.subscribers.csvcells import neutralise, restore
from nashra.subscribers.manage import DEFAULT_LIST, STICKY, new_consent_at, subscriber_changes

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
# PostgreSQL refuses NUL in text, and no other control character belongs in a name or an address:
# Unicode's Cc (U+0000-U+001F, U+007F-U+009F) but tab.
_CONTROL = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f]")
_IMPORTABLE = {status.value: status for status in IMPORTABLE_STATUSES}
_UNDECODABLE = "\ufffd"
CHUNK = 5_000
"""Rows staged, read back and written per round: large enough that statements are few, small
enough that memory stays flat whatever the file's size."""
_CHUNK_BYTES = 1 << 20
_SAMPLE_BYTES = 4 << 20

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


_T = TypeVar("_T")


def batched(items: Iterable[_T], size: int) -> Iterator[list[_T]]:
    """`itertools.batched` (Python 3.12) for 3.11."""
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


def detect_encoding(path: Path) -> str:
    """The codec to read `path` with: a BOM is certain; a file that is mostly valid UTF-8 is UTF-8
    (so a stray bad byte is reported at its line instead of turning the whole file into another
    code page); otherwise charset-normalizer judges (windows-1256 from older Arabic Excel), from
    the file's first few MiB so that a large file is never held in memory whole."""
    with path.open("rb") as handle:
        head = handle.read(_CHUNK_BYTES)
        for bom, name in _BOMS:
            if head.startswith(bom):
                return name
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        bad = non_ascii = 0
        block = head
        while True:
            text = decoder.decode(block, final=not block)
            bad += text.count(_UNDECODABLE)
            non_ascii += len(text) - len(text.encode("ascii", errors="ignore"))
            if not block:
                break
            block = handle.read(_CHUNK_BYTES)
        if bad == 0 or non_ascii - bad > bad:
            return "utf-8"
        handle.seek(0)
        sample = handle.read(_SAMPLE_BYTES)
    if len(sample) == _SAMPLE_BYTES:
        sample = sample[: sample.rfind(b"\n") + 1] or sample  # whole lines: no character cut in two
    best = charset_normalizer.from_bytes(sample).best()
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


def _records(handle: TextIO) -> Iterator[tuple[int, int, list[str]]]:
    """(first line, last line, fields) of every non-blank record, read as the file is."""
    reader = csv.reader(handle)
    with _any_field_size():
        start = 1
        for fields in reader:
            if fields:
                yield start, reader.line_num, fields
            start = reader.line_num + 1


def _consent_at(value: str) -> datetime | None:
    if not value:
        return None
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


class _NothingImported(Exception):
    """Raised inside the import's transaction to roll it back when a line was bad."""


def import_csv(
    conn_factory: ConnectionFactory,
    path: Path,
    *,
    list_name: str = DEFAULT_LIST,
    now: datetime,
    encoding: str | None = None,
    skip_bad: bool = False,
    chunk: int = CHUNK,
    before_commit: Callable[[Connection, ImportReport], None] | None = None,
) -> ImportReport:
    """Import `path` in one transaction of `conn_factory()`; with errors and without `skip_bad`,
    the transaction is rolled back before any subscriber table is written (the report lists every
    bad line). `before_commit` is handed the transaction and the report once rows are written, so a
    caller's record of the import (the console's audit row) commits with it or not at all.

    One streaming pass checks each line and stages it (`store.subscriber_import`), `chunk` rows at
    a time; the staged rows are then applied by the rules `add_subscriber` follows for one address,
    with a few statements per chunk instead of several per row.
    """
    try:
        codec = codecs.lookup(encoding).name if encoding else detect_encoding(path)
    except LookupError:
        raise UnreadableCsv(f"unknown encoding {encoding!r}", where=str(path)) from None
    except UnreadableCsv as exc:
        exc.where = str(path)
        raise
    report = ImportReport(encoding=codec)
    source = f"import:{path.name}"
    with (
        suppress(_NothingImported),
        conn_factory() as conn,
        path.open(encoding=codec, errors="replace", newline="") as handle,
    ):
        staging.create(conn)
        for batch in batched(_checked_rows(handle, report, source=source, where=str(path), now=now), chunk):
            staging.add(conn, batch)
        repeats = staging.drop_repeats(conn)
        if repeats:
            report.errors.extend(
                (line, f"{address} repeats line {first}") for line, address, first in repeats
            )
            report.errors.sort()
        if report.errors and not skip_bad:
            raise _NothingImported
        list_id = db.ensure_list(conn, list_name, now=now)
        for found in staging.existing(conn, list_id, chunk=chunk):
            _update(conn, found, list_id=list_id, now=now, report=report)
        report.added = staging.insert_new(conn, now=now)
        staging.subscribe_missing(conn, list_id, now=now, except_statuses=STICKY)
        staging.drop(conn)
        if before_commit is not None:
            before_commit(conn, report)
    return report


def _update(
    conn: Connection, rows: list[staging.Existing], *, list_id: int, now: datetime, report: ImportReport
) -> None:
    """What `add_subscriber` does to each stored address in `rows`, in a few statements for them
    all; a missing subscription is left to `staging.subscribe_missing`, which adds it for every
    address not in a STICKY status."""
    changes: list[tuple[int, dict[str, object]]] = []
    widen: list[tuple[int, str]] = []
    for found in rows:
        row = found.row
        if found.status in STICKY:
            report.kept += 1
            continue
        changed = subscriber_changes(
            found.name,
            found.status,
            name=row.name,
            status=row.status,
            consent_at=row.consent_at,
            consent_source=row.consent_source,
            now=now,
        )
        if changed:
            changes.append((found.subscriber_id, changed))
        stored = widened_digests(found.digests, row.digests)
        if stored is not None and found.digests is not None:
            widen.append((found.subscriber_id, stored))
        if changed or stored is not None:
            report.updated += 1
        else:
            report.unchanged += 1
    staging.update_subscribers(conn, changes, now=now)
    staging.widen_subscriptions(conn, list_id, widen)


def _checked_rows(
    handle: TextIO, report: ImportReport, *, source: str, where: str, now: datetime
) -> Iterator[staging.StagedRow]:
    """Every line with an address, to be staged (a bad one marked `bad`, kept so that a later line
    repeating its address is reported as a repeat, as it always was); every bad line goes to
    `report.errors`, except repeats, which staging finds."""
    records = _records(handle)
    first_record = next(records, None)
    if first_record is None:
        raise UnreadableCsv("the file is empty", where=where)
    _, _, header = first_record
    columns = [c.strip().lower() for c in header]
    if columns:
        columns[0] = columns[0].removeprefix("\ufeff").strip()
    if "email" not in columns:
        raise UnreadableCsv("the first line must be a header naming at least an `email` column", where=where)
    for first, last, fields in records:
        problem = _field_problem(first, last, fields, columns, report.encoding)
        if problem:
            report.errors.append((first, problem))
            continue
        row = dict(zip(columns, (restore(f.strip()) for f in fields), strict=False))
        try:
            address = normalise_email(row.get("email", ""))
        except InvalidAddress as exc:
            report.errors.append((first, str(exc)))
            continue
        checked = _row(first, address, row, source, now)
        if isinstance(checked, str):
            report.errors.append((first, checked))
            yield staging.StagedRow(first, address, True, "", SubscriberStatus.ACTIVE, "", None, "")
        else:
            yield checked


def _field_problem(first: int, last: int, fields: list[str], columns: list[str], encoding: str) -> str | None:
    """What makes this record unreadable as one subscriber line, whatever its values mean."""
    if last > first:
        return (
            f"a quoted field runs over lines {first}-{last}: an unclosed quote? "
            "(a field may not hold a line break)"
        )
    if any(f.strip() for f in fields[len(columns) :]):
        return f"{len(fields)} fields where the header names {len(columns)}: quote a field that holds a comma"
    joined = "".join(fields)
    if _UNDECODABLE not in joined and not _CONTROL.search(joined) and len(joined) <= LONGEST_FIELD:
        return None  # the common line, checked at once
    for column, value in zip(columns, fields, strict=False):
        if _UNDECODABLE in value:
            return f"{column} holds bytes that are not valid {encoding} (pass --encoding if that is wrong)"
        if len(value) > LONGEST_FIELD:
            return f"{column} is {len(value)} characters long (at most {LONGEST_FIELD})"
        if control := _CONTROL.search(value):
            return f"{column} holds the control character U+{ord(control.group()):04X}"
    return None


def _row(line: int, address: str, row: dict[str, str], source: str, now: datetime) -> staging.StagedRow | str:
    """What this line asks for `address`, or why it cannot be imported."""
    named = (row.get("status") or SubscriberStatus.ACTIVE).lower()
    status = _IMPORTABLE.get(named)
    if status is None:
        return f"status {named!r} cannot be imported; use active or pending"
    try:
        consent_at = _consent_at(row.get("consent_at", ""))
    except ValueError:
        return f"consent_at {row.get('consent_at')!r} is not an ISO 8601 date-time"
    return staging.StagedRow(
        line=line,
        email=address,
        bad=False,
        name=row.get("name", "").strip(),
        status=status,
        digests=_digests(row.get("digests") or ""),
        consent_at=new_consent_at(status, consent_at, now=now),
        consent_source=row.get("consent_source") or source,
    )


@lru_cache(maxsize=1024)
def _digests(cell: str) -> str:
    """A digests cell as stored; a file repeats a handful of values, so each is encoded once."""
    return db.encode_digests(cell.replace(",", ";").split(";"))


def export_rows(conn: Connection, *, list_name: str | None = None) -> Iterator[list[str]]:
    """The export's rows, header first, every cell spreadsheet-safe, read as they are written (the
    CLI writes them to a file, the console streams them to a browser)."""
    yield [*COLUMNS, "lists"]
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
        yield [neutralise(cell) for cell in cells]


def export_csv(conn: Connection, handle: TextIO, *, list_name: str | None = None) -> int:
    """Write every subscriber (of a list) as CSV, streamed; returns the number of rows."""
    writer = csv.writer(handle)
    count = -1  # the header is not a subscriber
    for row in export_rows(conn, list_name=list_name):
        writer.writerow(row)
        count += 1
    return count
