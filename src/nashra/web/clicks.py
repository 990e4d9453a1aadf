"""The click redirect: `GET /c/<token>` and `GET /c/<token>/<reader>`, the story links of a digest
that counts clicks (nashra.digest.clicks).

A token Nashra signed leads, with a 302, to the URL its digest's issue recorded for the story (the
article's own for a link of a preview, before any issue carried it), and only ever to an http(s)
address. Each GET counts one click of that story in that issue; a HEAD, which link checkers send,
leads the same way and counts nothing. A reader part, when the digest's `clicks_per_subscriber` is
on, also records the subscriber, once per story (nashra.store.clicks). Counting follows the config
as it is now: a digest that no longer counts clicks, or is no longer configured, still leads its
old links to their stories and counts nothing; one that no longer records readers only counts.

Anything else — a tampered, cut or unsigned token, one signed for another purpose or with another
key, a reader part not made for this issue — gets the Arabic "invalid link" page with status 400,
and never a redirect; a link to a story Nashra no longer knows gets the 404 page. Every answer is
`Cache-Control: no-store`, so each click reaches the app; the story's site gets no Referer from
here (the app's `Referrer-Policy: same-origin`), so the token stays between reader and Nashra.
"""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from nashra.config import Settings
from nashra.digest.clicks import CLICK_PATH, ClickedLink, ClickError, ClickReader, ClickTokens
from nashra.runtime import Runtime
from nashra.store import clicks
from nashra.web.pages import Pages

BAD_LINK = "bad_link.html"
NOT_FOUND = "not_found.html"
HEADERS = {"Cache-Control": "no-store"}


class ClickRedirect:
    """The endpoint, with the key that checks tokens and which digests count clicks now."""

    def __init__(self, settings: Settings) -> None:
        self.tokens = ClickTokens.from_settings(settings)
        self.pages = Pages(settings, [BAD_LINK, NOT_FOUND])
        # Digest name -> whether it records readers, for each digest that counts clicks.
        self.counting = {d.name: d.clicks_per_subscriber for d in settings.digests if d.count_clicks}

    def routes(self) -> list[Route]:
        return [
            Route(CLICK_PATH + "{token}", self.follow, methods=["GET"], name="click"),
            Route(CLICK_PATH + "{token}/{reader}", self.follow, methods=["GET"], name="reader_click"),
        ]

    async def follow(self, request: Request) -> Response:
        runtime: Runtime = request.app.state.runtime
        reader = request.path_params.get("reader")
        try:
            link = self.tokens.read_link(request.path_params["token"])
            who = None if reader is None else self.tokens.read_reader(reader)
            url = await run_in_threadpool(self._follow, runtime, link, who, count=request.method == "GET")
        except ClickError:
            return self._page(BAD_LINK, 400, reason="invalid")
        if url is None:
            return self._page(NOT_FOUND, 404)
        return RedirectResponse(url, status_code=302, headers=HEADERS)

    def _follow(
        self, runtime: Runtime, link: ClickedLink, who: ClickReader | None, *, count: bool
    ) -> str | None:
        """The story's URL, counting the click; None when there is nowhere to go."""
        with runtime.store.begin() as conn:
            target = clicks.click_target(conn, link.digest, link.article_id)
            if target is None or urlsplit(target.url).scheme not in ("http", "https"):
                return None
            if who is not None and who.issue_id != target.issue_id:
                raise ClickError("a reader part made for another issue")
            readers = self.counting.get(link.digest)
            if count and readers is not None and target.issue_id is not None:
                clicks.count_click(conn, target.issue_id, link.article_id)
                if readers and who is not None:
                    clicks.record_reader(
                        conn, target.issue_id, link.article_id, who.subscriber_id, now=datetime.now(UTC)
                    )
        return target.url

    def _page(self, template: str, status: int, **values: object) -> HTMLResponse:
        return HTMLResponse(self.pages.render(template, **values), status_code=status, headers=HEADERS)


def click_routes(settings: Settings) -> list[Route]:
    """Routes for the web app (nashra.web.app's OPTIONAL_ROUTES)."""
    return ClickRedirect(settings).routes()
