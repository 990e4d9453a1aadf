"""Subscribe (double opt-in), confirm, unsubscribe (page + RFC 8058 one-click): the subscriber's side.

Links carry signed, expiring tokens (nashra.mail.tokens); a forged, altered or expired one gets a
clear Arabic page with status 400, never a 500. The subscribe page answers the same whatever the
address's state, so it cannot be used to find out who is subscribed.
"""

from __future__ import annotations

import html
import logging
import uuid
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import Route

from nashra.config import Settings
from nashra.errors import DeliveryError
from nashra.logs import event
from nashra.mail.tokens import CONFIRM, UNSUBSCRIBE, TokenError, Tokens
from nashra.mail.transport import Envelope, send_one
from nashra.mail.transports import make_transport
from nashra.runtime import Runtime
from nashra.store import subscribers as db
from nashra.subscribers.addresses import InvalidAddress, normalise_email
from nashra.subscribers.manage import DEFAULT_LIST

log = logging.getLogger(__name__)

_STYLE = (
    "body{font-family:Tahoma,Arial,sans-serif;max-width:34rem;margin:3rem auto;padding:0 1rem;"
    "line-height:1.7;color:#1b1b1b}button,input{font:inherit;padding:.5rem .8rem}"
    "input{width:100%;box-sizing:border-box;margin:.2rem 0 .8rem}.err{color:#a40000}"
)


def page(title: str, body: str, *, status: int = 200) -> HTMLResponse:
    """A minimal right-to-left Arabic page; `body` is already-escaped HTML."""
    return HTMLResponse(
        f'<!doctype html><html lang="ar" dir="rtl"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width,initial-scale=1"><title>{html.escape(title)}</title>'
        f"<style>{_STYLE}</style></head><body><h1>{html.escape(title)}</h1>{body}</body></html>",
        status_code=status,
        headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"},
    )


def bad_link(error: TokenError) -> HTMLResponse:
    if error.reason == "expired":
        return page(
            "انتهت صلاحية الرابط",
            "<p>انتهت صلاحية هذا الرابط. اطلب رابطًا جديدًا بالاشتراك مرة أخرى، "
            "أو استعمل رابط إلغاء الاشتراك في آخر رسالة وصلتك.</p>",
            status=400,
        )
    return page(
        "رابط غير صالح",
        '<p class="err">هذا الرابط غير صالح أو تغيّر أثناء النسخ. انسخ الرابط كاملًا من الرسالة كما هو.</p>',
        status=400,
    )


def confirmation_message(settings: Settings, email: str, link: str) -> bytes:
    """The double opt-in mail: one per request, so the standard library builds it."""
    message = EmailMessage()
    message["From"] = settings.mail.from_address
    message["To"] = email
    message["Subject"] = f"أكّد اشتراكك في {settings.site.name}"
    message["Date"] = format_datetime(datetime.now(UTC))
    message["Message-ID"] = make_msgid(domain=settings.mail.sender_domain)
    if settings.mail.reply_to:
        message["Reply-To"] = settings.mail.reply_to
    hours = int(settings.mail.confirm_hours)
    message.set_content(
        f"مرحبًا،\n\nطلب أحدهم اشتراك هذا العنوان في {settings.site.name}.\n"
        f"لتأكيد الاشتراك افتح هذا الرابط خلال {hours} ساعة:\n\n{link}\n\n"
        "إن لم تطلب ذلك فتجاهل هذه الرسالة ولن يصلك شيء.\n",
        charset="utf-8",
    )
    message.add_alternative(
        f'<html lang="ar" dir="rtl"><body style="direction:rtl;font-family:Tahoma,Arial,sans-serif">'
        f"<p>مرحبًا،</p><p>طلب أحدهم اشتراك هذا العنوان في {html.escape(settings.site.name)}.</p>"
        f'<p><a href="{html.escape(link)}">أكّد اشتراكك</a> (الرابط صالح {hours} ساعة)</p>'
        "<p>إن لم تطلب ذلك فتجاهل هذه الرسالة ولن يصلك شيء.</p></body></html>",
        subtype="html",
        charset="utf-8",
    )
    return message.as_bytes(policy=message.policy.clone(linesep="\r\n"))


class Subscriptions:
    """The endpoints, bound to one Runtime (its store) and the configured transport."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.settings = runtime.settings
        self.tokens = Tokens.from_settings(runtime.settings)
        self.lists = sorted({name for d in self._digests() for name in d.recipients} | {DEFAULT_LIST})

    def _digests(self):  # type: ignore[no-untyped-def]
        from nashra.digest import configured_digests

        return configured_digests(self.settings)

    def routes(self) -> list[Route]:
        return [
            Route("/subscribe", self.subscribe_form, methods=["GET"], name="subscribe_form"),
            Route("/subscribe", self.subscribe, methods=["POST"], name="subscribe"),
            Route("/confirm/{token}", self.confirm, methods=["GET"], name="confirm"),
            Route("/unsubscribe/{token}", self.unsubscribe_page, methods=["GET"], name="unsubscribe_page"),
            Route("/unsubscribe/{token}", self.unsubscribe, methods=["POST"], name="unsubscribe"),
        ]

    # -- subscribe ----------------------------------------------------------------------------

    def _form(self, *, error: str = "", email: str = "", name: str = "") -> str:
        problem = f'<p class="err">{html.escape(error)}</p>' if error else ""
        return (
            f"{problem}<p>اكتب بريدك لتصلك {html.escape(self.settings.site.name)}. سنرسل إليك رسالة "
            "لتأكيد الاشتراك.</p>"
            '<form method="post" action="/subscribe">'
            f'<label>البريد الإلكتروني<input type="email" name="email" dir="ltr" required value="{html.escape(email)}"></label>'
            f'<label>الاسم (اختياري)<input type="text" name="name" dir="auto" value="{html.escape(name)}"></label>'
            '<button type="submit">اشترك</button></form>'
        )

    async def subscribe_form(self, request: Request) -> Response:
        return page(f"الاشتراك في {self.settings.site.name}", self._form())

    async def subscribe(self, request: Request) -> Response:
        form = await request.form()
        raw_email, name = str(form.get("email", "")), str(form.get("name", ""))[:200]
        list_name = str(form.get("list") or DEFAULT_LIST)
        title = f"الاشتراك في {self.settings.site.name}"
        if list_name not in self.lists:
            return page(
                title, self._form(error="هذه القائمة غير موجودة.", email=raw_email, name=name), status=400
            )
        try:
            email = normalise_email(raw_email)
        except InvalidAddress:
            return page(
                title,
                self._form(error="عنوان البريد غير صحيح، تحقق منه.", email=raw_email, name=name),
                status=400,
            )
        try:
            await run_in_threadpool(self._request_confirmation, email, name, list_name)
        except DeliveryError as exc:
            event(log, "subscribe.mail_failed", level=logging.ERROR, error=str(exc))
            return page(
                "تعذّر إرسال رسالة التأكيد",
                "<p>لم نتمكن من إرسال رسالة التأكيد الآن. حاول مرة أخرى بعد قليل.</p>",
                status=503,
            )
        return page(
            "تحقق من بريدك",
            f"<p>إن كان العنوان <bdi>{html.escape(email)}</bdi> صحيحًا فستصله رسالة فيها "
            "رابط لتأكيد الاشتراك. لن يصلك شيء قبل التأكيد.</p>",
        )

    def _request_confirmation(self, email: str, name: str, list_name: str) -> None:
        now = datetime.now(UTC)
        with self.runtime.store.begin() as conn:
            existing = db.find_subscriber(conn, email)
            if existing is not None and existing.status == "active":
                db.subscribe(conn, existing.id, db.ensure_list(conn, list_name, now=now), (), now=now)
                return
            if existing is None:
                subscriber_id = db.insert_subscriber(
                    conn,
                    email=email,
                    name=name.strip(),
                    status="pending",
                    consent_at=None,
                    consent_source="web",
                    now=now,
                )
            else:
                subscriber_id = existing.id
                db.update_subscriber(
                    conn,
                    subscriber_id,
                    now=now,
                    status="pending",
                    consent_source="web",
                    **({"name": name.strip()} if name.strip() else {}),
                )
            db.subscribe(conn, subscriber_id, db.ensure_list(conn, list_name, now=now), (), now=now)
        link = f"{self.settings.web.base_url}/confirm/{self.tokens.make(CONFIRM, subscriber_id, email)}"
        outcome = send_one(
            make_transport(self.settings),
            Envelope(self.settings.mail.envelope_from, email, f"confirm-{uuid.uuid4().hex}"),
            confirmation_message(self.settings, email, link),
        )
        event(log, "subscribe.requested", subscriber=subscriber_id, mail=outcome.kind)

    # -- confirm --------------------------------------------------------------------------------

    async def confirm(self, request: Request) -> Response:
        try:
            claims = self.tokens.read(CONFIRM, request.path_params["token"])
        except TokenError as exc:
            return bad_link(exc)
        result = await run_in_threadpool(self._confirm, claims)
        if result is None:
            return bad_link(TokenError("invalid"))
        return page("تم تأكيد اشتراكك", "<p>شكرًا لك! ستصلك النشرة القادمة على بريدك.</p>")

    def _confirm(self, claims) -> bool | None:  # type: ignore[no-untyped-def]
        now = datetime.now(UTC)
        with self.runtime.store.begin() as conn:
            found = db.get_subscriber(conn, claims.subscriber_id)
            if found is None or not claims.matches(found.email):
                return None
            if found.status == "active":
                return False
            db.update_subscriber(
                conn,
                found.id,
                now=now,
                status="active",
                consent_at=now,
                consent_source="web",
                status_reason=None,
            )
        event(log, "subscribe.confirmed", subscriber=claims.subscriber_id)
        return True

    # -- unsubscribe ----------------------------------------------------------------------------

    async def unsubscribe_page(self, request: Request) -> Response:
        token = request.path_params["token"]
        try:
            self.tokens.read(UNSUBSCRIBE, token)
        except TokenError as exc:
            return bad_link(exc)
        return page(
            "إلغاء الاشتراك",
            f"<p>هل تريد إيقاف وصول {html.escape(self.settings.site.name)} إلى بريدك؟</p>"
            f'<form method="post" action="/unsubscribe/{html.escape(token)}">'
            '<button type="submit">نعم، ألغِ اشتراكي</button></form>',
        )

    async def unsubscribe(self, request: Request) -> Response:
        """Both the page's button and RFC 8058 one-click (a POST with List-Unsubscribe=One-Click,
        sent by the mail client without showing anything) end here."""
        form = await request.form()
        one_click = form.get("List-Unsubscribe") == "One-Click"
        try:
            claims = self.tokens.read(UNSUBSCRIBE, request.path_params["token"])
        except TokenError as exc:
            return PlainTextResponse(f"token {exc.reason}", status_code=400) if one_click else bad_link(exc)
        known = await run_in_threadpool(self._unsubscribe, claims, "one-click" if one_click else "page")
        if known is None:
            if one_click:
                return PlainTextResponse("token invalid", status_code=400)
            return bad_link(TokenError("invalid"))
        if one_click:
            return PlainTextResponse("unsubscribed")
        return page(
            "تم إلغاء اشتراكك",
            "<p>لن تصلك رسائل أخرى منّا. إن غيّرت رأيك يمكنك الاشتراك من جديد في أي وقت.</p>",
        )

    def _unsubscribe(self, claims, how: str) -> bool | None:  # type: ignore[no-untyped-def]
        with self.runtime.store.begin() as conn:
            found = db.get_subscriber(conn, claims.subscriber_id)
            if found is None or not claims.matches(found.email):
                return None
            changed = db.set_status(
                conn, found.id, "unsubscribed", now=datetime.now(UTC), reason=f"web {how}"
            )
        event(log, "unsubscribed", subscriber=claims.subscriber_id, how=how, changed=changed)
        return changed
