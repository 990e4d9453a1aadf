"""CSV import and export of subscribers.

Import keeps every good row and reports every bad one by its line number in the file and the
reason; importing the same file again changes nothing (idempotent), and it never re-activates an
address that unsubscribed or bounced. Columns (header row required, any order, only `email` is
required): email, name, status (pending|active; default active), digests (names separated by
";"), consent_at (ISO 8601), consent_source. Export writes the same columns plus lists.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from sqlalchemy import Connection

from nashra.store import subscribers as db
from nashra.store.subscribers import SubscriberStatus
from nashra.subscribers.addresses import InvalidAddress, normalise_email
from nashra.subscribers.manage import DEFAULT_LIST, add_subscriber

COLUMNS = ("email", "name", "status", "digests", "consent_at", "consent_source")
IMPORTABLE_STATUSES = (SubscriberStatus.ACTIVE, SubscriberStatus.PENDING)
_BATCH = 500


@dataclass
class ImportReport:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    kept: int = 0
    """Addresses left unsubscribed, bounced or complained (manage.STICKY): an import never revives one."""
    errors: list[tuple[int, str]] = field(default_factory=list)
    """(line number in the file, reason)."""


def _records(handle: TextIO) -> Iterator[tuple[int, dict[str, str]]]:
    """(first line of the record, row) pairs; quoted fields may span lines."""
    reader = csv.DictReader(handle)
    fields = [f.strip().lower() for f in (reader.fieldnames or [])]
    if "email" not in fields:
        raise InvalidAddress("the first line must be a header naming at least an `email` column")
    reader.fieldnames = fields
    start = reader.line_num + 1
    for row in reader:
        yield start, {k: (v or "").strip() for k, v in row.items() if isinstance(k, str)}
        start = reader.line_num + 1


def _consent_at(value: str) -> datetime | None:
    if not value:
        return None
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def import_csv(conn_factory, path: Path, *, list_name: str = DEFAULT_LIST, now: datetime) -> ImportReport:  # type: ignore[no-untyped-def]
    """Import `path`; `conn_factory()` opens a transaction (committed every few hundred rows)."""
    report = ImportReport()
    seen: dict[str, int] = {}
    source = f"import:{path.name}"
    with path.open(encoding="utf-8-sig", newline="") as handle:
        records = _records(handle)
        while True:
            batch = [r for _, r in zip(range(_BATCH), records, strict=False)]
            if not batch:
                break
            with conn_factory() as conn:
                for line, row in batch:
                    _import_row(conn, line, row, report, seen, list_name=list_name, source=source, now=now)
    return report


def _import_row(
    conn: Connection,
    line: int,
    row: dict[str, str],
    report: ImportReport,
    seen: dict[str, int],
    *,
    list_name: str,
    source: str,
    now: datetime,
) -> None:
    try:
        address = normalise_email(row.get("email", ""))
    except InvalidAddress as exc:
        report.errors.append((line, str(exc)))
        return
    if address in seen:
        report.errors.append((line, f"{address} repeats line {seen[address]}"))
        return
    seen[address] = line
    status = (row.get("status") or SubscriberStatus.ACTIVE).lower()
    if status not in IMPORTABLE_STATUSES:
        report.errors.append((line, f"status {status!r} cannot be imported; use active or pending"))
        return
    try:
        consent_at = _consent_at(row.get("consent_at", ""))
    except ValueError:
        report.errors.append((line, f"consent_at {row.get('consent_at')!r} is not an ISO 8601 date-time"))
        return
    digests = [d for d in (row.get("digests") or "").replace(",", ";").split(";") if d.strip()]
    result = add_subscriber(
        conn,
        address,
        now=now,
        name=row.get("name", ""),
        list_name=list_name,
        digests=digests,
        status=SubscriberStatus(status),
        consent_source=row.get("consent_source") or source,
        consent_at=consent_at,
    )
    if result.kept:
        report.kept += 1
    elif result.created:
        report.added += 1
    elif result.changed:
        report.updated += 1
    else:
        report.unchanged += 1


def export_csv(conn: Connection, handle: TextIO, *, list_name: str | None = None) -> int:
    """Write every subscriber (of a list) as CSV, streamed; returns the number of rows."""
    writer = csv.writer(handle)
    writer.writerow([*COLUMNS, "lists"])
    count = 0
    for sub in db.iter_subscribers(conn, list_name=list_name):
        writer.writerow(
            [
                sub.email,
                sub.name,
                sub.status,
                ";".join(sub.digests),
                sub.consent_at.isoformat() if sub.consent_at else "",
                sub.consent_source,
                ";".join(sub.lists),
            ]
        )
        count += 1
    return count
