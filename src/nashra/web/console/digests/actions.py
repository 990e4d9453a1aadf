"""What an editor does to a digest from its page: send a test copy to one address, send now, skip
the next issue (pause and resume are nashra.web.console.pauses). Each is audited; each page
says only what was seen: a test copy the server accepted or refused, a send that was started
(its issue page shows how it goes), an issue recorded as skipped.

Send now runs the digest's job as the schedule would: in this process, on a thread of its own, in
the inline mode (`nashra serve` next to `nashra run`); queued for the workers in the distributed
mode. Either way the digest's sender lock keeps it the only sender: a send already under way
makes this one stop at once as "busy".
"""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime

from sqlalchemy import Connection
from starlette.responses import Response

from nashra.config.digests import DigestSettings
from nashra.digest import configured_digests
from nashra.digest.skip import Skip, skip_next
from nashra.errors import NashraError
from nashra.jobs import Unit
from nashra.logs import event
from nashra.mail.batches import STAGE
from nashra.mail.send import SendStatus, SendSummary, send_test
from nashra.mail.stage import digests_stage
from nashra.runtime import Runtime
from nashra.store.pauses import Paused, paused
from nashra.store.users import Role
from nashra.subscribers.addresses import InvalidAddress, normalise_email
from nashra.web.console.context import ConsoleRequest
from nashra.web.console.digests.pages import digest_path, render_digest
from nashra.web.console.registry import console_route

log = logging.getLogger(__name__)


def _digest(page: ConsoleRequest) -> DigestSettings | None:
    name = page.request.path_params["name"]
    settings = page.console.runtime.settings
    return next((d for d in configured_digests(settings) if d.name == name), None)


@console_route("/digests/{name}/test", name="digest_test", role=Role.EDITOR, methods=("POST",))
async def test_copy(page: ConsoleRequest) -> Response:
    """The next issue to one address, through the configured transport; no delivery recorded."""
    digest = _digest(page)
    if digest is None:
        return page.page("refused.html", status=404, reason="missing")
    try:
        address = normalise_email(page.field("to"))
    except InvalidAddress as exc:
        return await render_digest(page, digest.name, status=400, notice="bad-address", detail=str(exc))
    runtime = page.console.runtime

    def send() -> SendSummary:
        try:
            summary = send_test(runtime, digest, address)
        except NashraError as exc:  # a transport that cannot be built: nothing left here
            summary = SendSummary(digest=digest.name, status=SendStatus.TEST, total=1, failed=1)
            summary.errors.append(str(exc))
        outcome = (
            "nothing-new"
            if summary.status is SendStatus.NOTHING_NEW
            else "sent"
            if summary.sent
            else "refused"
        )
        with runtime.store.begin() as conn:
            page.audit(
                conn, "digest.test_send", digest.name, to=address, outcome=outcome, errors=summary.errors
            )
        return summary

    summary = await page.run(send)
    if summary.status is SendStatus.NOTHING_NEW:
        return await render_digest(page, digest.name, notice="nothing-new")
    if not summary.sent:
        return await render_digest(
            page, digest.name, status=502, notice="test-refused", detail="; ".join(summary.errors)
        )
    return page.redirect(digest_path(digest.name), done="test-sent", to=address)


def _send_in_background(runtime: Runtime, name: str, by: str) -> None:
    report = digests_stage(runtime, name)
    event(log, "console.send_now", digest=name, by=by, problems=report.problems, **report.counts)


@console_route("/digests/{name}/send", name="digest_send", role=Role.EDITOR, methods=("POST",))
async def send_now(page: ConsoleRequest) -> Response:
    digest = _digest(page)
    if digest is None:
        return page.page("refused.html", status=404, reason="missing")
    runtime = page.console.runtime
    queued = runtime.settings.queue.backend == "procrastinate"

    def start() -> bool:
        with runtime.store.begin() as conn:
            if not digest.enabled or paused(conn, Paused.DIGEST, digest.name) is not None:
                return False
            page.audit(conn, "digest.send_now", digest.name, mode="queued" if queued else "inline")
            if queued:
                from nashra.queue.task import defer_units  # procrastinate: only in that mode

                defer_units(conn, [Unit(STAGE, digest.name)])
        return True

    if not await page.run(start):
        return await render_digest(page, digest.name, status=409, notice="on-hold")
    if not queued:
        threading.Thread(
            target=_send_in_background,
            args=(runtime, digest.name, page.user.email),
            name=f"send-now-{digest.name}",
            daemon=True,
        ).start()
    return page.redirect(digest_path(digest.name), done="sending")


@console_route("/digests/{name}/skip", name="digest_skip", role=Role.EDITOR, methods=("POST",))
async def skip(page: ConsoleRequest) -> Response:
    """The next issue recorded as skipped (nashra.digest.skip): its articles never go out."""
    digest = _digest(page)
    if digest is None:
        return page.page("refused.html", status=404, reason="missing")
    runtime = page.console.runtime

    def run() -> Skip:
        def audited(conn: Connection, issue_id: int) -> None:
            page.audit(conn, "digest.skip", digest.name, issue=issue_id)

        return skip_next(runtime, digest, now=datetime.now(UTC), recorded=audited).outcome

    outcome = await page.run(run)
    if outcome is not Skip.SKIPPED:
        return await render_digest(page, digest.name, status=409, notice=f"skip-{outcome}")
    return page.redirect(digest_path(digest.name), done="skipped")
