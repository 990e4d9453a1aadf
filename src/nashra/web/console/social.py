"""Social channels in the console: per channel, what the next run would post (the exact text, its
length as the platform counts it, the limit, or why it is held), the post log, and an editor's
answers to a post that did not go out: retry, mark as posted, skip. Pausing is pauses.py's.

An answer is the operator's statement, never an outcome Nashra saw: "mark as posted" records the
post as posted with the address they give and no remote id, and the audit log keeps who said so
and why. A post of unknown outcome may already be on the platform, so sending it again needs the
operator to say they looked and it is not there.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

from starlette.responses import Response

from nashra.config.channels import ChannelSettings
from nashra.errors import DeliveryError
from nashra.runtime import Runtime
from nashra.social.cards import channel_context
from nashra.social.open_posts import OpenPost, open_posts
from nashra.social.post import PostResult, post_pending
from nashra.social.registry import build_channels, configured_channels
from nashra.store import audit
from nashra.store import posts as records
from nashra.store.articles import get_articles
from nashra.store.audit import AuditEntry
from nashra.store.pauses import Pause, Paused, paused
from nashra.store.posts import PostRecord, PostStatus
from nashra.store.users import Role
from nashra.web.console.channel_settings import origins
from nashra.web.console.context import ConsoleRequest
from nashra.web.console.registry import N_, console_route

PAGE_SIZE = 25


def post_target(record_id: int) -> str:
    """How the audit log names a post."""
    return f"post:{record_id}"


@dataclass(frozen=True, slots=True)
class ChannelSummary:
    config: ChannelSettings
    paused: Pause | None
    counts: dict[str, int]


@dataclass(frozen=True, slots=True)
class Planned:
    """One post the next run would make (or hold), and its record when it was tried before."""

    result: PostResult
    record: PostRecord | None


@dataclass(frozen=True, slots=True)
class ChannelView:
    summary: ChannelSummary
    planned: list[Planned]
    problems: list[str]
    open: list[OpenPost]
    log: list[PostRecord]
    total: int
    titles: dict[str, str]
    said: dict[str, AuditEntry]
    """The latest operator action on each post of the log, by `post_target`."""


def _channel(runtime: Runtime, name: str) -> ChannelSettings | None:
    return next((c for _, c in configured_channels(runtime.settings) if c.name == name), None)


def summaries(runtime: Runtime) -> list[ChannelSummary]:
    runtime.refresh_overrides()
    with runtime.store.connect() as conn:
        counts = records.count_by_status(conn)
        return [
            ChannelSummary(
                config,
                paused(conn, Paused.CHANNEL, config.name),
                {status.value: n for (channel, status), n in counts.items() if channel == config.name},
            )
            for _, config in configured_channels(runtime.settings)
        ]


def channel_view(runtime: Runtime, config: ChannelSettings, page_number: int) -> ChannelView:
    """Everything the channel's page shows; the planned posts are `nashra post --dry-run`'s."""
    runtime.refresh_overrides()  # spacing and quiet hours decide what is held
    now = datetime.now(UTC)
    run = post_pending(runtime, channel=config.name, dry_run=True) if config.enabled else None
    results = run.results if run else []
    with runtime.store.connect() as conn:
        known = records.records_for(conn, config.name, [r.article_id for r in results])
        waiting = open_posts(conn, now, channel=config.name)
        log, total = records.channel_page(
            conn, config.name, limit=PAGE_SIZE, offset=(page_number - 1) * PAGE_SIZE
        )
        titles = {a.id: a.title for a in get_articles(conn, list({r.article_id for r in log}))}
        said = audit.latest_for(conn, [post_target(r.id) for r in log])
        counts = records.count_by_status(conn)
        pause = paused(conn, Paused.CHANNEL, config.name)
    summary = ChannelSummary(
        config, pause, {status.value: n for (name, status), n in counts.items() if name == config.name}
    )
    return ChannelView(
        summary,
        [Planned(result, known.get(result.article_id)) for result in results],
        run.problems if run else [],
        waiting,
        log,
        total,
        titles,
        said,
    )


def _page_number(page: ConsoleRequest) -> int:
    text = page.request.query_params.get("page", "1")
    return max(int(text), 1) if text.isdigit() else 1


@console_route("/social", name="social", nav=N_("Social"))
async def social(page: ConsoleRequest) -> Response:
    channels = await page.run(summaries, page.console.runtime)
    return page.page("social.html", channels=channels)


@console_route("/social/{channel}", name="social_channel")
async def social_channel(page: ConsoleRequest) -> Response:
    runtime = page.console.runtime
    config = _channel(runtime, page.request.path_params["channel"])
    if config is None:
        return page.page("refused.html", status=404, reason="missing")
    number = _page_number(page)
    view = await page.run(channel_view, runtime, config, number)
    return page.page(
        "social_channel.html",
        view=view,
        page_number=number,
        pages=max((view.total + PAGE_SIZE - 1) // PAGE_SIZE, 1),
        can_act=page.user.role.allows(Role.EDITOR),
        can_configure=page.user.role.allows(Role.ADMIN),
        origins=origins(runtime, config.name),
        done=page.request.query_params.get("done", ""),
        detail=page.request.query_params.get("detail", ""),
    )


def _url(text: str) -> str | None:
    """The published post's address as the operator gave it: http(s) only (it becomes a link)."""
    text = text.strip()
    if not text:
        return None
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(text)
    return text


async def _answer(page: ConsoleRequest, action: str) -> Response:
    """Retry, mark as posted or skip one recorded post of the channel, with the operator's reason."""
    runtime = page.console.runtime
    name = page.request.path_params["channel"]
    config = _channel(runtime, name)
    post_id = page.request.path_params["post"]
    if config is None or not post_id.isdigit():
        return page.page("refused.html", status=404, reason="missing")
    back = f"/social/{name}"
    try:
        url = _url(page.field("url")) if action == "mark_posted" else None
    except ValueError:
        return page.redirect(back, done="bad_url")
    checked = page.field("checked") == "yes"
    reason = page.field("reason").strip()

    def answer() -> str:
        now = datetime.now(UTC)
        with runtime.store.begin() as conn:
            record = records.get_record(conn, int(post_id))
            if record is None or record.channel != name:
                return "missing"
            if action == "retry":
                if record.status is PostStatus.UNKNOWN and not checked:
                    return "unchecked"
                changed = records.resolve(conn, record.id, posted=False, now=now)
            elif action == "mark_posted":
                changed = records.mark_posted(conn, record.id, now=now, url=url)
            else:
                changed = records.skip(conn, record.id, now=now)
            if not changed:
                return "stale"  # another operator or a run moved it first
            page.audit(
                conn,
                f"post.{action}",
                post_target(record.id),
                channel=name,
                article=record.article_id,
                was=record.status.value,
                reason=reason,
                **({"url": url} if action == "mark_posted" else {}),
                **({"checked_platform": checked} if action == "retry" else {}),
            )
            return action

    return page.redirect(back, done=await page.run(answer))


@console_route("/social/{channel}/posts/{post}/retry", name="post_retry", role=Role.EDITOR, methods=("POST",))
async def retry(page: ConsoleRequest) -> Response:
    return await _answer(page, "retry")


@console_route(
    "/social/{channel}/posts/{post}/posted", name="post_mark_posted", role=Role.EDITOR, methods=("POST",)
)
async def mark_posted(page: ConsoleRequest) -> Response:
    return await _answer(page, "mark_posted")


@console_route("/social/{channel}/posts/{post}/skip", name="post_skip", role=Role.EDITOR, methods=("POST",))
async def skip(page: ConsoleRequest) -> Response:
    return await _answer(page, "skip")


@console_route(
    "/social/{channel}/articles/{article}/skip", name="post_skip_new", role=Role.EDITOR, methods=("POST",)
)
async def skip_new(page: ConsoleRequest) -> Response:
    """Skip a post never tried: its record is made "skipped", with the text it would have had."""
    runtime = page.console.runtime
    name = page.request.path_params["channel"]
    config = _channel(runtime, name)
    article_id = page.request.path_params["article"]
    if config is None or not config.enabled:
        return page.page("refused.html", status=404, reason="missing")
    reason = page.field("reason").strip()

    def skip_it() -> str:
        now = datetime.now(UTC)
        (adapter,) = build_channels(
            runtime.settings, channel_context(runtime.settings, runtime.http), only=name
        )
        with runtime.store.begin() as conn:
            found = get_articles(conn, [article_id])
            if not found:
                return "missing"
            article = found[0]
            try:
                text = adapter.render(article).text
            except DeliveryError:  # it could not even be composed; skipping it is all the more fine
                text = ""
            record_id = records.claim_new(
                conn,
                article_id=article.id,
                channel=name,
                channel_type=adapter.kind,
                version=article.version,
                text=text,
                now=now,
                status=PostStatus.SKIPPED,
            )
            if record_id is None:
                return "stale"  # a run claimed it meanwhile: answer its record instead
            page.audit(
                conn, "post.skip", post_target(record_id), channel=name, article=article.id, reason=reason
            )
            return "skip"

    return page.redirect(f"/social/{name}", done=await page.run(skip_it))
