"""Breaking-news alert mail: one urgent story, mailed to `[breaking] alert_list` the moment it is
ingested (issue #17).

An alert is sent as an issue of a digest of its own, named ALERT_DIGEST, through the digests' own
machinery (nashra.mail.send): the same once-only delivery rows, crash recovery, unknown outcomes,
sender lock, pause (`nashra digest pause breaking`), archive copy and List-Unsubscribe. What
differs is what an issue holds: the oldest fresh urgent story that no earlier alert carried (by
id, link or headline, as digests deduplicate), rendered with its own small templates.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from nashra.breaking import is_breaking
from nashra.config import Settings
from nashra.config.breaking import ALERT_DIGEST
from nashra.config.digests import DigestSettings
from nashra.digest import templating
from nashra.digest.archive import archive_url
from nashra.digest.compose import dedupe, teaser
from nashra.digest.mjml_compat import compile_mjml
from nashra.digest.placeholders import SUBSCRIBER_EMAIL, UNSUBSCRIBE_URL
from nashra.digest.render import RenderedDigest, font_stack, rtl_lines, site_context
from nashra.digest.subject import preheader_text
from nashra.model import StoredArticle
from nashra.runtime import Runtime
from nashra.store.articles import list_articles
from nashra.store.digests import load_exclusions
from nashra.text import clean_text, isolate_ltr_runs

HTML_TEMPLATE = "alert.mjml.j2"
TEXT_TEMPLATE = "alert.txt.j2"


def alert_digest(settings: Settings) -> DigestSettings | None:
    """The alert's digest settings, or None when no alert is configured (the config refuses a
    digest of the same name)."""
    rules = settings.breaking
    if rules.alert_list is None or not rules.enabled:
        return None
    return DigestSettings(
        name=ALERT_DIGEST,
        recipients=[rules.alert_list],
        max_items=1,
        html_template=settings.resolve(rules.alert_html_template) if rules.alert_html_template else None,
        text_template=settings.resolve(rules.alert_text_template) if rules.alert_text_template else None,
    )


def next_alert(runtime: Runtime, digest: DigestSettings, now: datetime) -> StoredArticle | None:
    """The oldest fresh urgent story no earlier alert carried."""
    rules = runtime.settings.breaking
    since = now - timedelta(minutes=rules.max_age_minutes)
    with runtime.store.connect() as conn:
        candidates = list_articles(conn, seen_since=since)
        exclusions = load_exclusions(conn, digest.name)
    urgent = (s for s in candidates if is_breaking(s.article, rules, now))
    kept = dedupe(urgent, exclusions)
    return kept[0] if kept else None


def prepare_alert(runtime: Runtime, digest: DigestSettings, *, now: datetime) -> RenderedDigest | None:
    """The alert that would go out now (`send_digest`'s `prepare`), or None: nothing urgent."""
    story = next_alert(runtime, digest, now)
    return None if story is None else render_alert(runtime.settings, digest, story, now=now)


def render_alert(
    settings: Settings, digest: DigestSettings, story: StoredArticle, *, now: datetime
) -> RenderedDigest:
    item = teaser(story, digest.teaser_length)
    subject = isolate_ltr_runs(clean_text(settings.breaking.prefix + item.title))
    archive = archive_url(settings, digest, (story.id,), now)
    context = {
        **site_context(settings, digest, now),
        "story": item,
        "prefix": settings.breaking.prefix,
        "subject": subject,
        "preheader": preheader_text(item.excerpt or item.title),
        "archive_url": archive,
        "unsubscribe_url": UNSUBSCRIBE_URL,
        "subscriber_email": SUBSCRIBER_EMAIL,
        "font_stack": font_stack(digest),
    }
    html_template = templating.load(HTML_TEMPLATE, digest.html_template, autoescape=True)
    text_template = templating.load(TEXT_TEMPLATE, digest.text_template, autoescape=False)
    html = compile_mjml(
        templating.render(html_template, context), where=html_template.filename or HTML_TEMPLATE
    )
    return RenderedDigest(
        digest=digest.name,
        subject=subject,
        preheader=context["preheader"],
        html=html,
        text=rtl_lines(templating.render(text_template, context)),
        article_ids=(story.id,),
        archive_url=archive,
    )
