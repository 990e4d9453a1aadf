"""`POST /inbound/mail` (with `[feedback.inbound]`): one raw message as the request body, for a mail
server that pipes the bounce address to a URL, or a service that forwards raw mail. It is received
exactly as a message read from the bounce mailbox is (nashra.feedback.inbound), so the same
message arriving both ways is acted on once.

Anyone on the internet could post here, so it answers only a request carrying the token of the
environment variable `token_env` — `Authorization: Bearer <token>`, or as the password of HTTP
basic auth (services that take only a URL: `https://nashra:<token>@host/inbound/mail`), compared
in constant time — and refuses all when the variable is unset. Bodies over `max_message_kb` are
refused before they are read whole. A message that acts on nobody is kept and answered 200 too: a
sender must not retry it. A 5xx (the database down) asks it to retry, which is safe.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import logging
import os
from datetime import UTC, datetime

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from nashra.config import Settings
from nashra.config.inbound import InboundSettings
from nashra.feedback.inbound import Received, receive
from nashra.feedback.signed import Signatures
from nashra.logs import event
from nashra.runtime import Runtime
from nashra.store.feedback import Outcome

log = logging.getLogger(__name__)

HEADERS = {"Cache-Control": "no-store"}
CHALLENGE = {"WWW-Authenticate": 'Bearer realm="nashra inbound", Basic realm="nashra inbound"', **HEADERS}
FORMS = ("multipart/form-data", "application/x-www-form-urlencoded")


def _presented(authorization: str) -> str | None:
    """The token a request presents: a bearer token, or the password of basic auth."""
    scheme, _, value = authorization.strip().partition(" ")
    if scheme.lower() == "bearer":
        return value.strip()
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None
        return decoded.partition(":")[2]
    return None


class InboundMail:
    def __init__(self, settings: Settings, config: InboundSettings) -> None:
        self.config = config
        self.limit = config.max_message_kb * 1024
        self.signatures = Signatures.from_settings(settings)

    def _answer(self, text: str, status: int, headers: dict[str, str] = HEADERS) -> Response:
        return PlainTextResponse(text, status_code=status, headers=headers)

    async def _body(self, request: Request) -> bytes | None:
        """The body, or None once it is longer than the limit (the rest is not read)."""
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.limit:
            return None
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
            if len(body) > self.limit:
                return None
        return bytes(body)

    async def post(self, request: Request) -> Response:
        secret = os.environ.get(self.config.token_env)
        if not secret:
            event(log, "inbound.refused", level=logging.ERROR, why=f"{self.config.token_env} is not set")
            return self._answer("inbound mail is not configured on this server", 503)
        presented = _presented(request.headers.get("authorization", ""))
        if presented is None or not hmac.compare_digest(presented.encode(), secret.encode()):
            return self._answer("a valid token is required", 401, CHALLENGE)
        if request.headers.get("content-type", "").split(";")[0].strip().lower() in FORMS:
            return self._answer("post the raw message (RFC 5322 bytes) as the body, not a form", 415)
        raw = await self._body(request)
        if raw is None:
            return self._answer(f"a message may be at most {self.config.max_message_kb} KB", 413)
        if not raw.strip():
            return self._answer("the body is empty: post one raw message", 400)
        runtime: Runtime = request.app.state.runtime
        outcome = await run_in_threadpool(self._receive, runtime, raw)
        event(log, "inbound.received", source="inbound", outcome=outcome, size=len(raw))
        return self._answer(str(outcome), 200)

    def _receive(self, runtime: Runtime, raw: bytes) -> Outcome | Received:
        with runtime.store.begin() as conn:
            return receive(
                conn,
                raw,
                source="inbound",
                signatures=self.signatures,
                soft_bounce_issues=runtime.settings.feedback.soft_bounce_issues,
                now=datetime.now(UTC),
            )


def inbound_routes(settings: Settings) -> list[BaseRoute]:
    """The endpoint, when `[feedback.inbound]` asks for it."""
    config = settings.feedback.inbound
    if config is None:
        return []
    return [Route("/inbound/mail", InboundMail(settings, config).post, methods=["POST"], name="inbound_mail")]
