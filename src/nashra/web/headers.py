"""Security headers on every response of the web app (a pure ASGI middleware, so streamed and file
responses get them too): a Content-Security-Policy, no framing, no MIME sniffing, and no Referer
(with its tokens) leaving the site.

The pages need nothing inline: their one stylesheet is served by the app (style.css), so the policy
allows only that and form posts to the same origin. A route whose content needs more (the digest
preview, email HTML full of inline styles and remote images) sets its own policy, which is kept.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

PAGE_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
EMAIL_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline' https:; img-src https: http: data:; font-src https: data:; "
    "form-action 'none'; frame-ancestors 'none'; base-uri 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": PAGE_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    # Not no-referrer: with it, browsers send `Origin: null` on a form POST, which the subscribe
    # form's same-origin check must refuse.
    "Referrer-Policy": "same-origin",
}


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, send_with_headers)
