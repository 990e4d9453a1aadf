"""Subscribe (double opt-in), confirm, unsubscribe (page + RFC 8058 one-click): the subscriber's side.

Links carry signed, expiring tokens (nashra.mail.tokens); a forged, altered or expired one gets a
clear Arabic page with status 400, never a 500. The subscribe page answers the same whatever the
address's state, so it cannot be used to find out who is subscribed. The pages' words and markup are
templates (templates/web/, see nashra.web.pages); this module decides which page, status and values.

Consent is only ever given by the person: a confirm link shows a page whose button POSTs (mail
scanners GET and HEAD every link), and a subscribe form filled in for an unsubscribed, complained or
bounced address mails a fresh link but changes nothing until that link is confirmed
(nashra.subscribers.manage.confirm_subscriber refuses links older than the status).

Nor is the form a way to mail strangers: it takes posts only from the site's own pages
(nashra.web.origin), limits requests per IP and per address (nashra.web.ratelimit), answers a
filled-in honeypot as if it had worked, offers only lists marked public, and sends an address at
most one confirmation mail per `web.confirm_resend_minutes`, a rule the database keeps for every
web process.
"""

from __future__ import annotations

import logging
import math
import uuid
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Literal

from sqlalchemy.exc import IntegrityError
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import Route

from nashra.config import Settings
from nashra.config.lists import public_lists
from nashra.errors import DeliveryError
from nashra.logs import event
from nashra.mail.tokens import CONFIRM, UNSUBSCRIBE, TokenClaims, TokenError, Tokens
from nashra.mail.transport import Envelope, send_one
from nashra.mail.transports import make_transport
from nashra.runtime import Runtime
from nashra.store import subscribers as db
from nashra.subscribers.addresses import InvalidAddress, normalise_email
from nashra.subscribers.manage import DEFAULT_LIST, STICKY, confirm_subscriber
from nashra.web.origin import SameOrigin
from nashra.web.pages import Pages
from nashra.web.ratelimit import RateLimits

log = logging.getLogger(__name__)

PAGES = (
    "subscribe.html",
    "check_mail.html",
    "mail_failed.html",
    "confirm.html",
    "confirmed.html",
    "bad_link.html",
    "unsubscribe.html",
    "unsubscribed.html",
    "confirm_email_subject.txt",
    "confirm_email.txt",
    "confirm_email.html",
    "refused_origin.html",
    "too_many.html",
    "style.css",
)
# Never cached: they answer one visitor's request (nashra.web.headers keeps their Referer on the site).
HEADERS = {"Cache-Control": "no-store"}
# A form field humans never see (style.css moves it off screen) and form-filling bots fill in.
HONEYPOT = "website"

# Why the subscribe form comes back with status 400; subscribe.html words each one. A list that is
# not public and one that does not exist get the same words, so the form tells nobody which exist.
FormProblem = Literal["", "invalid_email", "closed_list"]


def confirmation_message(settings: Settings, pages: Pages, email: str, link: str) -> bytes:
    """The double opt-in mail: one per request, so the standard library builds it; its words are
    the confirm_email* templates, which an operator can replace like the pages."""
    values = {"link": link, "hours": int(settings.mail.confirm_hours)}
    message = EmailMessage()
    message["From"] = settings.mail.from_address
    message["To"] = email
    message["Subject"] = pages.render("confirm_email_subject.txt", **values).strip()
    message["Date"] = format_datetime(datetime.now(UTC))
    message["Message-ID"] = make_msgid(domain=settings.mail.sender_domain)
    if settings.mail.reply_to:
        message["Reply-To"] = settings.mail.reply_to
    message.set_content(pages.render("confirm_email.txt", **values), charset="utf-8")
    message.add_alternative(
        pages.render("confirm_email.html", **values).strip(), subtype="html", charset="utf-8"
    )
    return message.as_bytes(policy=message.policy.clone(linesep="\r\n"))


class Subscriptions:
    """The endpoints, bound to one Runtime (its store) and the configured transport."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.settings = runtime.settings
        self.tokens = Tokens.from_settings(runtime.settings)
        self.public_lists = public_lists(self.settings.lists)
        self.same_origin = SameOrigin(self.settings)
        web = self.settings.web
        self.limits = RateLimits(ip=web.subscribe_per_ip, address=web.subscribe_per_address)
        self.resend = timedelta(minutes=web.confirm_resend_minutes)
        self.pages = Pages(runtime.settings, PAGES)
        self.style = self.pages.render("style.css")
        # Built at start, so a transport whose confirmation mails could not work stops `nashra serve`.
        self.transport = make_transport(runtime.settings)

    def routes(self) -> list[Route]:
        return [
            Route("/subscribe", self.subscribe_form, methods=["GET"], name="subscribe_form"),
            Route("/subscribe", self.subscribe, methods=["POST"], name="subscribe"),
            Route("/style.css", self.stylesheet, methods=["GET"], name="stylesheet"),
            Route("/confirm/{token}", self.confirm_page, methods=["GET"], name="confirm_page"),
            Route("/confirm/{token}", self.confirm, methods=["POST"], name="confirm"),
            Route("/unsubscribe/{token}", self.unsubscribe_page, methods=["GET"], name="unsubscribe_page"),
            Route("/unsubscribe/{token}", self.unsubscribe, methods=["POST"], name="unsubscribe"),
        ]

    def page(self, template: str, /, *, status: int = 200, **values: object) -> HTMLResponse:
        return HTMLResponse(self.pages.render(template, **values), status_code=status, headers=HEADERS)

    def bad_link(self, error: TokenError) -> HTMLResponse:
        return self.page("bad_link.html", status=400, reason=error.reason)

    # -- subscribe ----------------------------------------------------------------------------

    def form(
        self, problem: FormProblem = "", *, email: str = "", name: str = "", list_name: str = DEFAULT_LIST
    ) -> HTMLResponse:
        status = 400 if problem else 200
        shown_list = "" if list_name == DEFAULT_LIST else list_name  # the hidden field, when needed
        return self.page(
            "subscribe.html", status=status, problem=problem, email=email, name=name, list=shown_list
        )

    async def subscribe_form(self, request: Request) -> Response:
        list_name = request.query_params.get("list") or DEFAULT_LIST
        if list_name not in self.public_lists:
            return self.form("closed_list")
        return self.form(list_name=list_name)

    async def stylesheet(self, request: Request) -> Response:
        return Response(self.style, media_type="text/css", headers={"Cache-Control": "public, max-age=3600"})

    def too_many(self, wait: int) -> HTMLResponse:
        response = self.page("too_many.html", status=429, minutes=math.ceil(wait / 60))
        response.headers["Retry-After"] = str(wait)
        return response

    async def subscribe(self, request: Request) -> Response:
        """Cheapest refusals first: another site's page, then too many requests from one IP, a bot
        (the honeypot), a list the form may not offer, a bad address, one address asked too often;
        and at most one mail per address per window, decided by the database."""
        if not self.same_origin.allows(request.headers):
            event(log, "subscribe.refused", why="origin")
            return self.page("refused_origin.html", status=403)
        wait = self.limits.hit("ip", request.client.host if request.client else "")
        if wait is not None:
            event(log, "subscribe.refused", why="ip-limit")
            return self.too_many(wait)
        form = await request.form()
        raw_email, name = str(form.get("email", "")), str(form.get("name", ""))[:200]
        if form.get(HONEYPOT):
            event(log, "subscribe.refused", why="honeypot")
            return self.page("check_mail.html", email=raw_email.strip())  # a bot learns nothing
        list_name = str(form.get("list") or DEFAULT_LIST)
        if list_name not in self.public_lists:
            return self.form("closed_list", email=raw_email, name=name)
        try:
            email = normalise_email(raw_email)
        except InvalidAddress:
            return self.form("invalid_email", email=raw_email, name=name, list_name=list_name)
        wait = self.limits.hit("address", email)
        if wait is not None:
            event(log, "subscribe.refused", why="address-limit")
            return self.too_many(wait)
        try:
            await run_in_threadpool(self._request_confirmation, email, name, list_name)
        except DeliveryError as exc:
            event(log, "subscribe.mail_failed", level=logging.ERROR, error=str(exc))
            return self.page("mail_failed.html", status=503)
        return self.page("check_mail.html", email=email)

    def _request_confirmation(self, email: str, name: str, list_name: str) -> None:
        try:
            claim = self._record_request(email, name, list_name)
        except IntegrityError:  # another web process added the address between our read and insert
            claim = self._record_request(email, name, list_name)
        if claim is None:
            return
        subscriber_id, claimed_at = claim
        link = f"{self.settings.web.base_url}/confirm/{self.tokens.make(CONFIRM, subscriber_id, email)}"
        try:
            outcome = send_one(
                self.transport,
                Envelope(self.settings.mail.envelope_from, email, f"confirm-{uuid.uuid4().hex}"),
                confirmation_message(self.settings, self.pages, email, link),
            )
        except DeliveryError:
            with self.runtime.store.begin() as conn:
                db.release_confirmation_mail(conn, subscriber_id, claimed_at=claimed_at)
            raise
        event(log, "subscribe.requested", subscriber=subscriber_id, mail=outcome.kind)

    def _record_request(self, email: str, name: str, list_name: str) -> tuple[int, datetime] | None:
        """Records the request; (subscriber, when) if a confirmation mail is to go out now, None when
        nothing is to be sent (already active, or a mail went out within `confirm_resend_minutes`)."""
        now = datetime.now(UTC)
        with self.runtime.store.begin() as conn:
            existing = db.find_subscriber(conn, email)
            if existing is not None and existing.status == db.SubscriberStatus.ACTIVE:
                db.subscribe(conn, existing.id, db.ensure_list(conn, list_name, now=now), (), now=now)
                return None
            if existing is not None and existing.status in STICKY:
                # Anyone can type an address: only the link, confirmed, may change this one.
                subscriber_id = existing.id
            else:
                if existing is None:
                    subscriber_id = db.insert_subscriber(
                        conn,
                        email=email,
                        name=name.strip(),
                        status=db.SubscriberStatus.PENDING,
                        consent_at=None,
                        consent_source="web",
                        now=now,
                    )
                else:
                    subscriber_id = existing.id
                    if name.strip():
                        db.update_subscriber(conn, subscriber_id, now=now, name=name.strip())
                db.subscribe(conn, subscriber_id, db.ensure_list(conn, list_name, now=now), (), now=now)
            if not db.claim_confirmation_mail(conn, subscriber_id, now=now, every=self.resend):
                event(log, "subscribe.mail_recent", subscriber=subscriber_id)
                return None
        return subscriber_id, now

    # -- confirm --------------------------------------------------------------------------------

    async def confirm_page(self, request: Request) -> Response:
        """Asks first: GET (and HEAD, which Starlette answers with it) only shows the button."""
        token = request.path_params["token"]
        try:
            claims = self.tokens.read(CONFIRM, token)
        except TokenError as exc:
            return self.bad_link(exc)
        if not await run_in_threadpool(self._known, claims):
            return self.bad_link(TokenError("invalid"))
        return self.page("confirm.html", token=token)

    def _known(self, claims: TokenClaims) -> bool:
        """Read only: the link's subscriber still exists at the address it was made for."""
        with self.runtime.store.connect() as conn:
            found = db.get_subscriber(conn, claims.subscriber_id)
        return found is not None and claims.matches(found.email)

    async def confirm(self, request: Request) -> Response:
        try:
            claims = self.tokens.read(CONFIRM, request.path_params["token"])
        except TokenError as exc:
            return self.bad_link(exc)
        result = await run_in_threadpool(self._confirm, claims)
        if result is None:
            return self.bad_link(TokenError("invalid"))
        return self.page("confirmed.html")

    def _confirm(self, claims: TokenClaims) -> bool | None:
        now = datetime.now(UTC)
        with self.runtime.store.begin() as conn:
            found = db.get_subscriber(conn, claims.subscriber_id)
            if found is None or not claims.matches(found.email):
                return None
            done = confirm_subscriber(conn, found, requested_at=claims.issued_at, now=now, source="web")
        if done:
            event(log, "subscribe.confirmed", subscriber=claims.subscriber_id)
        return done

    # -- unsubscribe ----------------------------------------------------------------------------

    async def unsubscribe_page(self, request: Request) -> Response:
        token = request.path_params["token"]
        try:
            self.tokens.read(UNSUBSCRIBE, token)
        except TokenError as exc:
            return self.bad_link(exc)
        return self.page("unsubscribe.html", token=token)

    async def unsubscribe(self, request: Request) -> Response:
        """Both the page's button and RFC 8058 one-click (a POST with List-Unsubscribe=One-Click,
        sent by the mail client without showing anything) end here."""
        form = await request.form()
        one_click = form.get("List-Unsubscribe") == "One-Click"
        try:
            claims = self.tokens.read(UNSUBSCRIBE, request.path_params["token"])
        except TokenError as exc:
            return (
                PlainTextResponse(f"token {exc.reason}", status_code=400) if one_click else self.bad_link(exc)
            )
        known = await run_in_threadpool(self._unsubscribe, claims, "one-click" if one_click else "page")
        if known is None:
            if one_click:
                return PlainTextResponse("token invalid", status_code=400)
            return self.bad_link(TokenError("invalid"))
        if one_click:
            return PlainTextResponse("unsubscribed")
        return self.page("unsubscribed.html")

    def _unsubscribe(self, claims: TokenClaims, how: str) -> bool | None:
        with self.runtime.store.begin() as conn:
            found = db.get_subscriber(conn, claims.subscriber_id)
            if found is None or not claims.matches(found.email):
                return None
            changed = db.set_status(
                conn, found.id, db.SubscriberStatus.UNSUBSCRIBED, now=datetime.now(UTC), reason=f"web {how}"
            )
        event(log, "unsubscribed", subscriber=claims.subscriber_id, how=how, changed=changed)
        return changed
