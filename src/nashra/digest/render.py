"""Composition -> email: Jinja2 (autoescaped) -> MJML -> HTML with mjml-python, plus the text part.

Both parts are rendered from the same composition, so when the size budget drops teasers from
the HTML the text part drops the same ones, and `article_ids` says exactly what readers got. A
digest that counts clicks has its teasers' URLs swapped for their click links first
(nashra.digest.clicks), so both parts and any operator's template carry them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from nashra.config import Settings
from nashra.config.digests import DigestSettings
from nashra.digest import templating
from nashra.digest.archive import archive_url
from nashra.digest.clicks import ClickLinks
from nashra.digest.compose import Composition
from nashra.digest.mjml_compat import compile_mjml
from nashra.digest.placeholders import SUBSCRIBER_EMAIL, UNSUBSCRIBE_URL
from nashra.digest.size import fit_to_budget
from nashra.digest.subject import render_preheader, render_subject
from nashra.text import format_date, rtl_paragraph

HTML_TEMPLATE = "digest.mjml.j2"
TEXT_TEMPLATE = "digest.txt.j2"

# The lines of a text part that `rtl_paragraph` may change, each with the line break before it (a
# pattern opening with a literal is searched for quickly): a line whose first letter is Arabic,
# after spaces and punctuation at most ("== اقتصاد ==", "«…»", most lines), is right-to-left
# already, and an empty one holds nothing.
_NEUTRAL_OPENERS = " =«»\"'([-–—•*#:.,"
_ARABIC_LETTERS = "\u0621-\u064a"
_LINE_NOT_OPENING_IN_ARABIC = re.compile(
    f"\n(?![{re.escape(_NEUTRAL_OPENERS)}]*[{_ARABIC_LETTERS}])[^\n{_ARABIC_LETTERS}][^\n]*"
)


def _rtl_line(found: re.Match[str]) -> str:
    return "\n" + rtl_paragraph(found.group()[1:])


def rtl_lines(text: str) -> str:
    """`rtl_paragraph` of every line of `text`, visiting only the lines it may change.

    The first line has no line break before it: it is done on its own, and the whole text is
    copied again only when it changes (a text part's first line is the site's name)."""
    rest = _LINE_NOT_OPENING_IN_ARABIC.sub(_rtl_line, text)
    end = rest.find("\n")
    first = rest if end < 0 else rest[:end]
    done = rtl_paragraph(first)
    return rest if done == first else done + rest[len(first) :]


# System fonts with Arabic glyphs on Windows, Apple and Android, ending with Outlook's safe ones.
# Unquoted (valid CSS for names made of identifiers): the stack is inlined on every text block and
# an autoescaped quote costs five bytes of the Gmail budget each time.
FONT_STACK = "Segoe UI, Geeza Pro, Noto Sans Arabic, Tahoma, Arial, sans-serif"


@dataclass(frozen=True)
class RenderedDigest:
    digest: str
    subject: str
    preheader: str
    html: str
    text: str
    article_ids: tuple[str, ...]
    archive_url: str


def font_stack(digest: DigestSettings) -> str:
    if digest.web_font_family:
        return f"{digest.web_font_family}, {FONT_STACK}"
    return FONT_STACK


def _where(settings: Settings, digest: DigestSettings, key: str) -> str:
    index = next((i for i, d in enumerate(settings.digests) if d.name == digest.name), None)
    if index is None:
        return f"digests.{digest.name}.{key}"
    return f"{settings.locate(('digests', index, key))}: digests[{index}].{key}"


def site_context(settings: Settings, digest: DigestSettings, now: datetime) -> dict[str, Any]:
    """What the templates can use that does not depend on which teasers the issue carries."""
    site = settings.site
    return {
        "site": {
            "name": site.name,
            "base_url": site.base_url,
            "description": site.description,
            "language": site.language,
        },
        "digest": {"name": digest.name},
        "date": format_date(now, locale=site.locale, tz=site.zone, format="full"),
        "now": now,
    }


def composition_context(composition: Composition) -> dict[str, Any]:
    teasers = composition.teasers
    return {
        "lead": composition.lead,
        "sections": composition.sections,
        "titles": [t.title for t in teasers],
        "count": len(teasers),
    }


class DigestRenderer:
    """Renders one digest's compositions; templates are loaded once per renderer."""

    def __init__(self, settings: Settings, digest: DigestSettings) -> None:
        self.settings = settings
        self.digest = digest
        html_override = settings.resolve(digest.html_template) if digest.html_template else None
        text_override = settings.resolve(digest.text_template) if digest.text_template else None
        self.html_template = templating.load(HTML_TEMPLATE, html_override, autoescape=True)
        self.text_template = templating.load(TEXT_TEMPLATE, text_override, autoescape=False)
        self.clicks = ClickLinks(settings, digest) if digest.count_clicks else None

    def context(
        self, site: dict[str, Any], composition: Composition, *, subject: str, preheader: str, archive: str
    ) -> dict[str, Any]:
        """What both body templates can use; `site` is `site_context` of the issue."""
        return self._context(
            site,
            composition_context(composition),
            composition.dropped,
            subject=subject,
            preheader=preheader,
            archive=archive,
        )

    def _context(
        self,
        site: dict[str, Any],
        composed: dict[str, Any],
        dropped: int,
        *,
        subject: str,
        preheader: str,
        archive: str,
    ) -> dict[str, Any]:
        digest = self.digest
        return {
            **site,
            **composed,
            "subject": subject,
            "preheader": preheader,
            "archive_url": archive,
            "unsubscribe_url": UNSUBSCRIBE_URL,
            "subscriber_email": SUBSCRIBER_EMAIL,
            "dropped": dropped,
            "more_url": self.settings.site.base_url if dropped else None,
            "footer_address": digest.footer_address,
            "footer_legal": digest.footer_legal,
            "font_stack": font_stack(digest),
            "web_font": {"family": digest.web_font_family, "url": digest.web_font_url}
            if digest.web_font_family
            else None,
        }

    def mjml(self, context: dict[str, Any]) -> str:
        return templating.render(self.html_template, context)

    def html(self, context: dict[str, Any]) -> str:
        where = self.html_template.filename or HTML_TEMPLATE
        return compile_mjml(self.mjml(context), where=where)

    def text(self, context: dict[str, Any]) -> str:
        """The text part; each line is a paragraph of its own to the bidi algorithm, so every line
        holding Arabic is made right-to-left whatever an (operator's) template put first on it."""
        return rtl_lines(templating.render(self.text_template, context))

    def render(self, composition: Composition, *, now: datetime) -> RenderedDigest:
        """Subject, preheader, HTML within the size budget, and the matching text part; with
        `count_clicks`, every story link goes through the click redirect (measured in the budget)."""
        settings, digest = self.settings, self.digest
        if self.clicks is not None:
            composition = self.clicks.tracked(composition)
        site = site_context(settings, digest, now)
        whole = composition_context(composition)
        headers = {**site, **whole}
        # Where each template is in the config is looked up only for an error: it reads the file again.
        subject = render_subject(digest.subject, headers, where=partial(_where, settings, digest, "subject"))
        preheader = render_preheader(
            digest.preheader, headers, where=partial(_where, settings, digest, "preheader")
        )

        # By the teasers kept: the text part reuses the context (and archive URL) the fitted HTML had.
        contexts: dict[tuple[str, ...], dict[str, Any]] = {}

        def html_of(candidate: Composition) -> str:
            ids = candidate.article_ids
            composed = whole if candidate is composition else composition_context(candidate)
            context = self._context(
                site,
                composed,
                candidate.dropped,
                subject=subject,
                preheader=preheader,
                archive=archive_url(settings, digest, ids, now),
            )
            contexts[ids] = context
            return self.html(context)

        fitted, html = fit_to_budget(composition, html_of, digest.size_budget)
        ids = fitted.article_ids
        context = contexts[ids]
        return RenderedDigest(
            digest=digest.name,
            subject=subject,
            preheader=preheader,
            html=html,
            text=self.text(context),
            article_ids=ids,
            archive_url=context["archive_url"],
        )


def render_digest(
    settings: Settings, digest: DigestSettings, composition: Composition, *, now: datetime
) -> RenderedDigest:
    return DigestRenderer(settings, digest).render(composition, now=now)
