"""POST /webhooks/<service>: the email services' event webhooks, for the services enabled in
`[feedback.webhooks.<service>]` (nashra.feedback.services checks each post and reads its events;
nashra.feedback.rules acts on them).

Answers, for the services' retry logic as much as for people: 404 for a service that is not
enabled; 401 or 403 when the post's password or signature fails; 400 when it is stale or
malformed; 413 over MAX_BODY; 503 when it could not be checked (SNS's certificate out of reach),
so the service tries again; 200 when taken, including a post whose events were all received
before: it changes nothing, and any other answer would have the service send it again. Every
refusal is logged (service, why, client) with nothing of the post in it. A post's reports are
acted on in one transaction: all of them, or none and the service retries.

The services' secrets are read when the app is built, so `nashra serve` stops at once, saying
which environment variable is missing, instead of refusing every event later.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from nashra.feedback.report import Report
from nashra.feedback.rules import apply
from nashra.feedback.services import Posted, Refused, Service
from nashra.feedback.services.mailgun import Mailgun
from nashra.feedback.services.marks import Marks
from nashra.feedback.services.postmark import Postmark
from nashra.feedback.services.sendgrid import SendGrid
from nashra.feedback.services.ses import Ses
from nashra.logs import event
from nashra.runtime import Runtime
from nashra.store.feedback import Outcome

log = logging.getLogger(__name__)

MAX_BODY = 1 << 20
"""Bytes: SendGrid batches events into posts of a few hundred KB; an SNS message is at most 256 KB."""
_CHALLENGE = {"WWW-Authenticate": 'Basic realm="nashra webhooks"'}


def enabled_services(runtime: Runtime) -> list[Service]:
    hooks = runtime.settings.feedback.webhooks
    if not any(options.enabled for options in (hooks.mailgun, hooks.postmark, hooks.sendgrid, hooks.ses)):
        return []
    marks = Marks.from_settings(runtime.settings)
    services: list[Service] = []
    if hooks.mailgun.enabled:
        services.append(Mailgun(hooks.mailgun, marks))
    if hooks.postmark.enabled:
        services.append(Postmark(hooks.postmark))
    if hooks.sendgrid.enabled:
        services.append(SendGrid(hooks.sendgrid, marks))
    if hooks.ses.enabled:
        services.append(Ses(hooks.ses, marks, runtime.http))
    return services


async def _body(request: Request) -> bytes | None:
    """The request's body, or None when it is (or says it is) larger than MAX_BODY."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY:
        return None
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            return None
    return bytes(body)


class Webhooks:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.services = {service.name: service for service in enabled_services(runtime)}

    def routes(self) -> list[Route]:
        if not self.services:
            return []
        return [Route("/webhooks/{service}", self.receive, methods=["POST"], name="webhook")]

    async def receive(self, request: Request) -> Response:
        name = request.path_params["service"]
        service = self.services.get(name)
        if service is None:
            return PlainTextResponse("not found", status_code=404)
        client = request.client.host if request.client else ""
        body = await _body(request)
        if body is None:
            event(log, "webhook.refused", level=logging.WARNING, service=name, why="too large", client=client)
            return PlainTextResponse("too large", status_code=413)
        now = datetime.now(UTC)
        try:
            reports = await run_in_threadpool(service.receive, Posted(body, request.headers), now)
        except Refused as refused:
            event(log, "webhook.refused", level=logging.WARNING, service=name, why=refused.why, client=client)
            headers = _CHALLENGE if refused.status == 401 else None
            return PlainTextResponse(refused.why, status_code=refused.status, headers=headers)
        outcomes = await run_in_threadpool(self._act, reports, now) if reports else []
        event(
            log,
            "webhook.received",
            service=name,
            reports=len(reports),
            duplicates=outcomes.count(Outcome.DUPLICATE),
        )
        return PlainTextResponse("ok")

    def _act(self, reports: list[Report], now: datetime) -> list[Outcome]:
        limit = self.runtime.settings.feedback.soft_bounce_issues
        with self.runtime.store.begin() as conn:
            return [apply(conn, report, soft_bounce_issues=limit, now=now) for report in reports]
