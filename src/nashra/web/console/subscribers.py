"""Subscribers, for admins: search, one subscriber's lists, status and deliveries, and the operator's
actions — add, unsubscribe, reactivate, CSV import, export — through the functions
`nashra subscribers` uses (nashra.subscribers.manage, .csvio), so the consent rules are one: an
admin's add vouches for the person (recorded as `console:<admin>`) but never revives an address that
unsubscribed, bounced or complained; only a reactivation with a reason does. Every action is
audited in its own transaction, with the subscriber as `subscriber:<address>`."""

from __future__ import annotations

import csv
import io
import re
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Connection
from starlette.datastructures import UploadFile
from starlette.responses import Response, StreamingResponse

from nashra.store import subscriber_search as lookup
from nashra.store.subscribers import (
    StatusChange,
    SubscriberRow,
    SubscriberStatus,
    count_by_status,
    get_subscriber,
    status_history,
)
from nashra.store.users import Role
from nashra.subscribers.addresses import InvalidAddress
from nashra.subscribers.csvio import ImportReport, UnreadableCsv, export_rows, import_csv
from nashra.subscribers.manage import (
    DEFAULT_LIST,
    NotSuppressed,
    add_subscriber,
    reactivate_subscriber,
    remove_subscriber,
)
from nashra.web.console.context import ConsoleRequest
from nashra.web.console.registry import N_, console_route

MAX_UPLOAD = 32 << 20
"""The largest CSV upload (about 800,000 addresses); `nashra subscribers import` takes any size."""
SHOWN_BAD_LINES = 500
"""Bad lines listed on the report page; the rest are counted."""
PAGE_SIZES = range(1, 201)
_LIST_NAME = re.compile(r"\S(?:.{0,98}\S)?")


def _target(email: str) -> str:
    return f"subscriber:{email}"


def _list_field(value: str) -> str | None:
    """A list name as the CLI takes it (1-100 characters, no edge spaces), or None."""
    value = value.strip()
    return value if _LIST_NAME.fullmatch(value) else None


def _status(value: str) -> SubscriberStatus | None:
    try:
        return SubscriberStatus(value)
    except ValueError:
        return None


# -- search --------------------------------------------------------------------------------------


@console_route("/subscribers", name="subscribers", role=Role.ADMIN, nav=N_("Subscribers"))
async def search_page(page: ConsoleRequest) -> Response:
    return await _search(page)


async def _search(page: ConsoleRequest, *, status: int = 200, **values: object) -> Response:
    """The search page; a refused action shows it again with `problem` (and its `detail`)."""
    values = {"problem": "", "detail": "", "kept": "", "kept_id": 0} | values
    query = page.request.query_params
    text = query.get("q", "").strip()
    match = "contains" if query.get("match") == "contains" else "prefix"
    list_name = _list_field(query.get("list", ""))
    wanted = _status(query.get("status", ""))
    size = int(query["size"]) if query.get("size", "").isdigit() and int(query["size"]) in PAGE_SIZES else 50
    after = query.get("after") or None

    def read() -> tuple[lookup.Page, dict[str, int], list[str]]:
        with page.console.runtime.store.connect() as conn:
            found = lookup.search(
                conn,
                prefix=text if match == "prefix" else "",
                contains=text if match == "contains" else "",
                list_name=list_name,
                status=wanted,
                after=after,
                size=size,
            )
            return found, count_by_status(conn, list_name=list_name), lookup.list_names(conn)

    found, counts, names = await page.run(read)
    filters = {"q": text, "match": match, "list": list_name or "", "status": wanted or "", "size": str(size)}
    defaults = {("match", "prefix"), ("size", "50")}
    kept = {key: value for key, value in filters.items() if value and (key, value) not in defaults}
    return page.page(
        "subscribers.html",
        status=status,
        found=found,
        counts=counts,
        total=sum(counts.values()),
        statuses=list(SubscriberStatus),
        lists=names,
        filters=filters,
        next_query={**kept, "after": found.after} if found.after else None,
        first_query=kept,
        paged=after is not None,
        default_list=DEFAULT_LIST,
        max_upload_mib=MAX_UPLOAD >> 20,
        **values,
    )


# -- export (before /subscribers/{id}, which would take its path) ---------------------------------


@console_route("/subscribers/export", name="subscribers_export", role=Role.ADMIN)
async def export(page: ConsoleRequest) -> Response:
    """The CSV of `nashra subscribers export`, streamed from keyset-paged reads."""
    list_name = _list_field(page.request.query_params.get("list", ""))

    def record() -> None:
        with page.console.runtime.store.begin() as conn:
            page.audit(conn, "subscribers.export", f"list:{list_name or '*'}")

    await page.run(record)

    def chunks() -> Iterator[str]:
        buffer = io.StringIO(newline="")
        writer = csv.writer(buffer)
        with page.console.runtime.store.connect() as conn:
            for number, row in enumerate(export_rows(conn, list_name=list_name), 1):
                writer.writerow(row)
                if number % 1000 == 0:
                    yield buffer.getvalue()
                    buffer.seek(0)
                    buffer.truncate()
        yield buffer.getvalue()

    name = f"subscribers-{list_name or 'all'}.csv"
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", name)
    return StreamingResponse(
        chunks(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{safe}"', "Cache-Control": "no-store"},
    )


# -- add and import ------------------------------------------------------------------------------


@console_route("/subscribers/add", name="subscriber_add", role=Role.ADMIN, methods=("POST",))
async def add(page: ConsoleRequest) -> Response:
    email, name, list_name = page.field("email"), page.field("name"), _list_field(page.field("list"))
    if list_name is None:
        return await _search(page, status=400, problem="list")

    def run() -> tuple[int, str | None]:
        with page.console.runtime.store.begin() as conn:
            result = add_subscriber(
                conn,
                email,
                now=datetime.now(UTC),
                name=name,
                list_name=list_name,
                consent_source=f"console:{page.user.email}",
            )
            outcome = (
                f"kept {result.kept}"
                if result.kept
                else "added"
                if result.created
                else "updated"
                if result.changed
                else "unchanged"
            )
            page.audit(conn, "subscriber.add", _target(result.email), list=list_name, outcome=outcome)
            return result.subscriber_id, result.kept

    try:
        subscriber_id, kept = await page.run(run)
    except InvalidAddress as exc:
        return await _search(page, status=400, problem="address", detail=str(exc))
    if kept is not None:
        return await _search(page, status=409, problem="kept", kept=kept, kept_id=subscriber_id)
    return page.redirect(f"/subscribers/{subscriber_id}", done="added")


@dataclass(frozen=True, slots=True)
class _Imported:
    file: str
    list_name: str
    imported: bool
    report: ImportReport


def _file_name(upload: UploadFile) -> str:
    """The uploaded file's own name, made safe to be a file here; it becomes the consent source
    (`import:<name>`), as the CLI's does."""
    name = Path(upload.filename or "upload.csv").name
    return re.sub(r"[^\w.-]", "_", name)[-100:].lstrip(".") or "upload.csv"


def _counts(report: ImportReport) -> dict[str, int]:
    fields = asdict(report)
    return {key: fields[key] for key in ("added", "updated", "unchanged", "kept")} | {
        "bad_lines": len(report.errors)
    }


@console_route(
    "/subscribers/import",
    name="subscribers_import",
    role=Role.ADMIN,
    methods=("POST",),
    max_body=MAX_UPLOAD,
)
async def import_upload(page: ConsoleRequest) -> Response:
    """`nashra subscribers import` on an uploaded file: the upload is already spooled to disk by the
    form parser (never held whole in memory); it is copied to a named file because the importer
    reads a path, in one streaming pass."""
    upload = page.form.get("file") if page.form is not None else None
    list_name = _list_field(page.field("list"))
    if not isinstance(upload, UploadFile) or not upload.filename:
        return await _search(page, status=400, problem="file")
    if list_name is None:
        return await _search(page, status=400, problem="list")
    skip_bad = page.field("skip_bad") == "1"
    name = _file_name(upload)

    def run() -> _Imported:
        def record(conn: Connection, report: ImportReport) -> None:
            page.audit(
                conn, "subscribers.import", f"list:{list_name}", file=name, imported=True, **_counts(report)
            )

        with tempfile.TemporaryDirectory(prefix="nashra-import-") as folder:
            path = Path(folder) / name
            with path.open("wb") as copy:
                shutil.copyfileobj(upload.file, copy, 1 << 20)
            report = import_csv(
                page.console.runtime.store.begin,
                path,
                list_name=list_name,
                now=datetime.now(UTC),
                skip_bad=skip_bad,
                before_commit=record,
            )
        imported = not (report.errors and not skip_bad)
        if not imported:  # rolled back: the attempt is recorded on its own
            with page.console.runtime.store.begin() as conn:
                page.audit(
                    conn,
                    "subscribers.import",
                    f"list:{list_name}",
                    file=name,
                    imported=False,
                    bad_lines=len(report.errors),
                )
        return _Imported(name, list_name, imported, report)

    try:
        done = await page.run(run)
    except UnreadableCsv as exc:
        return await _search(page, status=400, problem="unreadable", detail=str(exc))
    return page.page(
        "subscribers_import.html",
        status=200 if done.imported else 400,
        done=done,
        counts=_counts(done.report),
        bad=done.report.errors[:SHOWN_BAD_LINES],
        more_bad=max(0, len(done.report.errors) - SHOWN_BAD_LINES),
        skip_bad=skip_bad,
    )


# -- one subscriber ------------------------------------------------------------------------------


async def _subscriber(page: ConsoleRequest) -> SubscriberRow | None:
    raw = page.request.path_params["subscriber_id"]
    if not raw.isdigit():
        return None

    def read() -> SubscriberRow | None:
        with page.console.runtime.store.connect() as conn:
            return get_subscriber(conn, int(raw))

    return await page.run(read)


@console_route("/subscribers/{subscriber_id}", name="subscriber", role=Role.ADMIN)
async def subscriber_page(page: ConsoleRequest) -> Response:
    found = await _subscriber(page)
    if found is None:
        return page.page("refused.html", status=404, reason="missing")
    return await _detail(page, found)


async def _detail(
    page: ConsoleRequest, found: SubscriberRow, *, status: int = 200, problem: str = "", detail: str = ""
) -> Response:
    before_text = page.request.query_params.get("before", "")
    before = int(before_text) if before_text.isdigit() else None

    def read() -> tuple[
        list[lookup.Subscription], list[lookup.Received], int | None, list[object], list[StatusChange]
    ]:
        with page.console.runtime.store.connect() as conn:
            received, older = lookup.deliveries_of(conn, found.id, before=before)
            return (
                lookup.subscriptions_of(conn, found.id),
                received,
                older,
                list(lookup.actions_on(conn, [_target(found.email)])),
                status_history(conn, found.id),
            )

    subscriptions, received, older, actions, changes = await page.run(read)
    return page.page(
        "subscriber.html",
        status=status,
        sub=found,
        subscriptions=subscriptions,
        received=received,
        older=older,
        actions=actions,
        changes=changes,
        sticky=found.status
        in (SubscriberStatus.UNSUBSCRIBED, SubscriberStatus.BOUNCED, SubscriberStatus.COMPLAINED),
        problem=problem,
        detail=detail,
        done=page.request.query_params.get("done", ""),
    )


async def _with_reason(page: ConsoleRequest) -> tuple[SubscriberRow, str] | Response:
    """The subscriber an action is for and the reason the operator gave, or the page refusing it
    (no such subscriber; no reason: a status change is never made without one)."""
    found = await _subscriber(page)
    if found is None:
        return page.page("refused.html", status=404, reason="missing")
    reason = page.field("reason").strip()
    if not reason:
        return await _detail(page, found, status=400, problem="reason")
    return found, reason


@console_route(
    "/subscribers/{subscriber_id}/unsubscribe",
    name="subscriber_unsubscribe",
    role=Role.ADMIN,
    methods=("POST",),
)
async def unsubscribe(page: ConsoleRequest) -> Response:
    asked = await _with_reason(page)
    if isinstance(asked, Response):
        return asked
    found, reason = asked

    def run() -> bool:
        with page.console.runtime.store.begin() as conn:
            changed = remove_subscriber(conn, found.email, now=datetime.now(UTC), reason=reason)
            page.audit(
                conn,
                "subscriber.unsubscribe",
                _target(found.email),
                reason=reason,
                was=found.status.value,
                changed=changed,
            )
            return changed

    changed = await page.run(run)
    return page.redirect(f"/subscribers/{found.id}", done="unsubscribed" if changed else "unchanged")


@console_route(
    "/subscribers/{subscriber_id}/reactivate",
    name="subscriber_reactivate",
    role=Role.ADMIN,
    methods=("POST",),
)
async def reactivate(page: ConsoleRequest) -> Response:
    asked = await _with_reason(page)
    if isinstance(asked, Response):
        return asked
    found, reason = asked

    def run() -> None:
        with page.console.runtime.store.begin() as conn:
            was = reactivate_subscriber(conn, found.email, reason=reason, now=datetime.now(UTC))
            page.audit(conn, "subscriber.reactivate", _target(found.email), reason=reason, was=was.value)

    try:
        await page.run(run)
    except NotSuppressed as exc:
        return await _detail(page, found, status=400, problem="not_suppressed", detail=str(exc))
    return page.redirect(f"/subscribers/{found.id}", done="reactivated")
