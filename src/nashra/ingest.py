"""Ingest: read every source, store what is new or changed, remember each source's state.

One failing source never stops the others: its error is recorded against it (shown by `status`,
credentials in its URL redacted) and it is simply tried again next round; the shared client's
deadline and size caps (`httpclient`) make sure a failing source fails rather than hangs. Each
source is committed on its own, so a crash keeps everything read before it.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import UTC, datetime

from nashra.config import Settings
from nashra.errors import SourceError
from nashra.forms import teaser_lengths
from nashra.logs import event
from nashra.model import Article, StageReport
from nashra.runtime import Runtime
from nashra.sources import Source, SourceContext, build_sources
from nashra.sources.registry import configured_sources
from nashra.store.articles import upsert_articles
from nashra.store.sources import SourceState, load_state, save_state
from nashra.text.urls import canonical_url, redact_credentials, to_uri

log = logging.getLogger(__name__)


def _record_failure(
    runtime: Runtime, source: Source, state: SourceState, message: str, now: datetime
) -> None:
    with runtime.store.begin() as conn:
        save_state(
            conn,
            replace(
                state,
                last_attempt_at=now,
                last_error=message,
                consecutive_failures=state.consecutive_failures + 1,
            ),
        )


def _with_canonical_urls(article: Article) -> Article:
    """Every URL stored as a URI, the article's own one canonical: each output then links it whole,
    and a copy reached through tracking parameters meets the store's duplicate check by URL."""
    image = article.image and replace(article.image, url=to_uri(article.image.url))
    return replace(article, url=canonical_url(article.url), image=image)


def _canonical_articles(articles: list[Article], source: str, problems: list[str]) -> list[Article]:
    kept = []
    for article in articles:
        try:
            kept.append(_with_canonical_urls(article))
        except ValueError as exc:
            problems.append(f"{source}: {article.url!r} skipped: not a usable URL: {exc}")
    return kept


def source_names(settings: Settings) -> list[str]:
    """The enabled sources, each of which a queue worker can ingest on its own."""
    return [config.name for _, config in configured_sources(settings)]


def ingest(runtime: Runtime, only: str | None = None) -> StageReport:
    """Read every enabled source (or just the one named `only`) and store what is new or changed."""
    report = StageReport("ingest")
    report.outputs.append(f"database: {runtime.store.engine.url.render_as_string(hide_password=True)}")
    sources = [
        built
        for built in build_sources(runtime.settings, SourceContext(runtime.settings, runtime.http))
        if only is None or built.name == only
    ]
    if only is not None and not sources:
        report.problems.append(f"source {only}: not configured (any more); nothing read")
    lengths = teaser_lengths(runtime.settings)
    for source in sources:
        now = datetime.now(UTC)
        with runtime.store.connect() as conn:
            state = load_state(conn, source.name, source.kind)
        try:
            fetched = source.fetch(state)
        except SourceError as exc:
            # A key written into the source's URL must reach neither the log nor the store.
            message = redact_credentials(exc.message)
            report.add("sources_failed")
            report.problems.append(redact_credentials(str(exc)))
            event(log, "ingest.source_failed", level=logging.WARNING, source=source.name, error=message)
            _record_failure(runtime, source, state, message, now)
            continue
        fetched.articles = _canonical_articles(fetched.articles, source.name, fetched.problems)
        for problem in map(redact_credentials, fetched.problems):
            report.problems.append(problem)
            event(log, "ingest.item_skipped", level=logging.WARNING, source=source.name, problem=problem)
        with runtime.store.begin() as conn:
            result = upsert_articles(conn, fetched.articles, now=now, teaser_lengths=lengths)
            if runtime.on_new_articles is not None and (result.new or result.updated):
                runtime.on_new_articles(conn)  # jobs that exist exactly when the articles do
            save_state(
                conn,
                replace(
                    state,
                    etag=fetched.etag,
                    last_modified=fetched.last_modified,
                    cursor=fetched.cursor,
                    last_attempt_at=now,
                    last_success_at=now,
                    last_error=None,
                    consecutive_failures=0,
                ),
            )
        for article, holder in result.duplicates:
            event(
                log,
                "ingest.duplicate",
                source=source.name,
                guid=article.guid,
                url=article.url,
                same_as=holder,
            )
        report.add("sources_ok")
        report.add("new", len(result.new))
        report.add("updated", len(result.updated))
        report.add("unchanged", result.unchanged)
        report.add("duplicates", len(result.duplicates))
        report.add("skipped", len(fetched.problems))
        event(
            log,
            "ingest.source_done",
            source=source.name,
            not_modified=fetched.not_modified,
            new=len(result.new),
            updated=len(result.updated),
            unchanged=result.unchanged,
            duplicates=len(result.duplicates),
            skipped=len(fetched.problems),
        )
    return report
