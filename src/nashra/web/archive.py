"""The public archive on `nashra serve`: an index of the issues that went out, each issue's web copy,
and an RSS feed of them; what the email's "read it in the browser" link points to.

    /digests/                      every configured digest's issues, newest first (?page=2, …)
    /digests/<digest>/             one digest's
    /digests/rss.xml, /digests/<digest>/rss.xml
    /digests/<digest>/<day>-<key>.html   an issue, at the path of the URL its mail carries

The issue's URL (digest.archive.archive_url) is on the site's base URL, which points here when the
app serves the site's /digests/ (or at the public/digests/ files the send step still writes). An
issue is found by that path whatever its digest's place in the config, so links in mail already
sent keep working after a digest is removed; the indexes list only the digests configured. The
copy served is the stored issue with no subscriber in it (digest.archive.public_copy), the same
bytes as the file: found in the database, it is there on every web process, whichever machine
sent it. Only issues "sending" or "sent" exist here (store.archive); anything else is a 404 page.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote, unquote

from babel import Locale
from babel.numbers import format_decimal
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from nashra.config import Settings
from nashra.digest.archive import FOLDER, archive_route, public_copy
from nashra.digest.archive_feed import RSS_FILE, RSS_MEDIA_TYPE, archive_rss
from nashra.runtime import Runtime
from nashra.store.archive import ArchivedIssue, archived_copies, archived_issues, count_archived
from nashra.text import format_date, parse_locale, slugify
from nashra.web.headers import EMAIL_POLICY
from nashra.web.pages import Pages

INDEX = "archive_index.html"
NOT_FOUND = "not_found.html"
PAGE_SIZE = 20
FEED_TITLE = "أرشيف النشرات"  # after the site's name, for the feed of every digest (one: its name)


@dataclass(frozen=True, slots=True)
class Listing:
    """What one index page (or feed) covers: every configured digest, or one of them."""

    digests: tuple[str, ...]
    path: str
    """Below the app's root, with its trailing slash: "/digests/" or "/digests/<slug>/"."""
    digest: str | None = None


@dataclass(frozen=True, slots=True)
class ListedIssue:
    """An issue as the index template shows it: text already in the site's locale."""

    subject: str
    href: str
    date: str
    day: str
    """ISO date, for <time datetime>."""
    stories: str
    stories_form: str
    """The locale's plural category of the number of stories (zero, one, two, few, many, other)."""
    digest: str
    digest_href: str


def _page_number(raw: str | None) -> int | None:
    """?page=N (1 when absent); None for anything that is not a page number."""
    if raw is None:
        return 1
    if not (raw.isascii() and raw.isdecimal()) or int(raw) < 1:
        return None
    return int(raw)


class PublicArchive:
    """The endpoints, with the settings they read; the store is the app's Runtime."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.pages = Pages(settings, [INDEX, NOT_FOUND])
        self.root = settings.web.path_prefix
        self.locale: Locale = parse_locale(settings.site.locale)
        self.by_slug = {slugify(d.name): d.name for d in settings.digests}
        self.everything = Listing(tuple(self.by_slug.values()), f"/{FOLDER}/")
        # The archive changes once an issue goes out: a cache may keep it as long as a feed.
        self.cache = {"Cache-Control": f"public, max-age={settings.feeds.cache_seconds}"}

    def routes(self) -> list[Route]:
        base = f"/{FOLDER}"
        return [
            Route(base, self.index, methods=["GET"], name="archive"),
            Route(f"{base}/", self.index, methods=["GET"]),
            Route(f"{base}/{RSS_FILE}", self.feed, methods=["GET"], name="archive_feed"),
            Route(f"{base}/{{slug}}", self.index, methods=["GET"]),
            Route(f"{base}/{{slug}}/", self.index, methods=["GET"], name="digest_archive"),
            Route(f"{base}/{{slug}}/{RSS_FILE}", self.feed, methods=["GET"], name="digest_archive_feed"),
            Route(f"{base}/{{slug}}/{{file}}.html", self.issue, methods=["GET"], name="archived_issue"),
        ]

    def _listing(self, request: Request) -> Listing | None:
        slug: str | None = request.path_params.get("slug")
        if slug is None:
            return self.everything
        name = self.by_slug.get(slug)
        return None if name is None else Listing((name,), f"/{FOLDER}/{quote(slug)}/", name)

    def _runtime(self, request: Request) -> Runtime:
        runtime: Runtime = request.app.state.runtime
        return runtime

    def _listed(self, issue: ArchivedIssue) -> ListedIssue:
        site = self.settings.site
        slug = slugify(issue.digest)
        return ListedIssue(
            subject=issue.subject,
            href=self.root + archive_route(issue.archive_url),
            date=format_date(issue.created_at, locale=site.locale, tz=site.zone),
            day=issue.created_at.astimezone(site.zone).date().isoformat(),
            stories=format_decimal(issue.stories, locale=self.locale),
            stories_form=self.locale.plural_form(issue.stories),
            digest=issue.digest,
            digest_href=f"{self.root}/{FOLDER}/{quote(slug)}/",
        )

    async def index(self, request: Request) -> Response:
        listing = self._listing(request)
        page = _page_number(request.query_params.get("page"))
        if listing is None or page is None:
            return self.not_found(request)

        def read() -> tuple[int, list[ArchivedIssue]]:
            with self._runtime(request).store.connect() as conn:
                total = count_archived(conn, listing.digests)
                offset = (page - 1) * PAGE_SIZE
                return total, archived_issues(conn, listing.digests, offset=offset, limit=PAGE_SIZE)

        total, issues = await run_in_threadpool(read)
        pages = max(1, -(-total // PAGE_SIZE))
        if page > pages:
            return self.not_found(request)
        here = self.root + listing.path
        body = self.pages.render(
            INDEX,
            digest=listing.digest,
            issues=[self._listed(issue) for issue in issues],
            feed=here + RSS_FILE,
            page=format_decimal(page, locale=self.locale),
            pages=format_decimal(pages, locale=self.locale),
            newer=None if page == 1 else here if page == 2 else f"{here}?page={page - 1}",
            older=f"{here}?page={page + 1}" if page < pages else None,
        )
        return HTMLResponse(body, headers=self.cache)

    async def feed(self, request: Request) -> Response:
        listing = self._listing(request)
        if listing is None:
            return self.not_found(request)

        def read() -> list[ArchivedIssue]:
            with self._runtime(request).store.connect() as conn:
                return archived_issues(conn, listing.digests, limit=self.settings.feeds.max_items)

        issues = await run_in_threadpool(read)
        public = self.settings.web.base_url + listing.path
        title = f"{self.settings.site.name} — {listing.digest or FEED_TITLE}"
        document = archive_rss(
            self.settings, issues, title=title, home_url=public, self_url=public + RSS_FILE
        )
        return Response(document, media_type=f"{RSS_MEDIA_TYPE}; charset=utf-8", headers=self.cache)

    async def issue(self, request: Request) -> Response:
        file_name = f"{request.path_params['file']}.html"
        wanted = f"/{FOLDER}/{request.path_params['slug']}/{file_name}"

        def read() -> Response | None:
            with self._runtime(request).store.connect() as conn:
                found = archived_copies(conn, file_name)
            copy = next((c for c in found if unquote(archive_route(c.archive_url)) == wanted), None)
            if copy is None:
                return None
            digest = next((d for d in self.settings.digests if d.name == copy.digest), None)
            return HTMLResponse(
                public_copy(self.settings, copy.html, digest),
                # The email's own HTML: inline styles and remote images, which the pages' policy forbids.
                headers={**self.cache, "Content-Security-Policy": EMAIL_POLICY},
            )

        return await run_in_threadpool(read) or self.not_found(request)

    def not_found(self, _request: Request) -> Response:
        return HTMLResponse(self.pages.render(NOT_FOUND), status_code=404)


def archive_routes(settings: Settings) -> list[Route]:
    """Routes for the web app (nashra.web.app's OPTIONAL_ROUTES)."""
    return PublicArchive(settings).routes()
