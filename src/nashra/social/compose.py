"""Post text for one article on one channel: template, hashtags, and shortening to the limit.

Pure functions of the article, the template and the channel's own `measure`, so `nashra post
--dry-run` shows exactly what would be sent. Shortening order, as editors do it by hand: cut the
summary at a word (and always a grapheme) boundary, then drop hashtags from the end, then the
summary altogether, then the title; the link is never cut and always sits alone on the last line
(or is left out, for a platform that carries it beside the text: a Facebook link post).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

import jinja2

from nashra.config import Settings
from nashra.config.channels import ChannelSettings
from nashra.errors import DeliveryError, TemplateError
from nashra.model import StoredArticle
from nashra.text import clean_text, grapheme_len, hashtags, isolate_ltr_runs, rtl_paragraph, truncate
from nashra.text.html import excerpt_source

Measure = Callable[[str], int]

ELLIPSIS = "…"
MIN_SUMMARY_GRAPHEMES = 40
"""A summary cut shorter than this (while hashtags remain) reads as a stub: drop a hashtag instead."""

_BLANK_RUNS = re.compile(r"\n{3,}")
_environment = jinja2.Environment(
    autoescape=False,  # plain text; adapters that send markup (Telegram) escape the result
    undefined=jinja2.StrictUndefined,
    keep_trailing_newline=False,
    trim_blocks=True,
    lstrip_blocks=True,
)


class PostTooLong(DeliveryError):
    """Even the link alone does not fit the channel's limit."""


@dataclass(frozen=True, slots=True)
class ChannelTemplate:
    template: jinja2.Template
    origin: str

    def render(self, **values: object) -> str:
        try:
            return self.template.render(**values)
        except jinja2.TemplateError as exc:
            raise TemplateError(f"cannot render: {exc}", where=self.origin) from None


@dataclass(frozen=True, slots=True)
class Composed:
    """The plain post text, with the parts kept so callers (facets, tests) need not re-parse."""

    text: str
    title: str
    summary: str
    hashtags: tuple[str, ...]


def load_template(settings: Settings, config: ChannelSettings) -> ChannelTemplate:
    """The channel's `template` file, else the packaged `social/<type>.j2`, else `social/default.j2`."""
    if config.template:
        path = settings.resolve(Path(config.template))
        origin = str(path)
        try:
            source = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            where = settings.locate(("channels",))
            raise TemplateError(
                f"channel {config.name}: cannot read template {path}: {exc}", where=where
            ) from None
    else:
        folder = files("nashra.templates") / "social"
        candidate = folder / f"{config.type}.j2"
        chosen = candidate if candidate.is_file() else folder / "default.j2"
        origin = f"nashra.templates/social/{chosen.name}"
        source = chosen.read_text(encoding="utf-8")
    try:
        return ChannelTemplate(_environment.from_string(source), origin)
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateError(exc.message or "syntax error", where=f"{origin}:{exc.lineno}") from None


def summary_of(article: StoredArticle) -> str:
    """The editor's lead, else the story's first real paragraph, else a short body's own text
    (from the article's stored forms when it has them)."""
    if article.forms is not None:
        return article.forms.summary
    return excerpt_source(article.article.lead, article.article.body_html)


def _tidy(body: str) -> str:
    lines = [line.rstrip() for line in body.strip().splitlines()]
    return _BLANK_RUNS.sub("\n\n", "\n".join(lines)).strip()


def compose(
    article: StoredArticle,
    *,
    template: ChannelTemplate,
    measure: Measure,
    limit: int,
    max_hashtags: int,
    site_name: str = "",
    prefix: str = "",
    with_link: bool = True,
) -> Composed:
    """The longest faithful post for `article` whose `measure` is within `limit`.

    Without `with_link` the article's link is not written into the text: the platform is given it
    separately (a Facebook link post's `link`) or the channel chose to leave it out.

    Latin names, numbers and URLs inside Arabic title and summary are isolated (only where the
    bidi algorithm needs it); hashtags and the link are left bare, since an isolate inside them
    would break the tag or the link. A post holding Arabic is right-to-left as a whole even when
    it opens with Latin (platforms take the direction from the first strong letter): the
    finished text gets an RLM in front when it needs one, counted like any other character.
    `prefix` (breaking news: "عاجل | ") opens the title and is kept when the title is shortened.
    """
    item = article.article
    forms = article.forms
    title = prefix + (forms.title.isolated if forms is not None else isolate_ltr_runs(clean_text(item.title)))
    summary = isolate_ltr_runs(summary_of(article))
    tags = tuple(hashtags(item.tags, limit=max_hashtags))
    url = item.url if with_link else ""

    def build(summary_text: str, kept: tuple[str, ...], title_text: str = title) -> str:
        body = _tidy(
            template.render(
                title=title_text,
                summary=summary_text,
                hashtags=" ".join(kept),
                tags=list(kept),
                section=item.section,
                author=item.author,
                site_name=site_name,
            )
        )
        if not body:
            return url
        return rtl_paragraph(f"{body}\n{url}" if url else body)

    def fits(text: str) -> bool:
        return measure(text) <= limit

    def measured(kept: tuple[str, ...]) -> Callable[[str], int]:
        """The length of the post a summary makes with these hashtags (what truncation must fit)."""
        return lambda summary_text: measure(build(summary_text, kept))

    for count in range(len(tags), -1, -1):
        kept = tags[:count]
        full = build(summary, kept)
        if fits(full):
            return Composed(full, title, summary, kept)
        if not summary:
            continue
        short = truncate(summary, limit, measure=measured(kept), ellipsis=ELLIPSIS)
        body = short.removesuffix(ELLIPSIS)
        minimum = 1 if count == 0 else min(MIN_SUMMARY_GRAPHEMES, grapheme_len(summary))
        if body.strip() and grapheme_len(body) >= minimum and fits(build(short, kept)):
            return Composed(build(short, kept), title, short, kept)

    bare = build("", ())
    if fits(bare):
        return Composed(bare, title, "", ())
    short_title = truncate(title, limit, measure=lambda t: measure(build("", (), t)), ellipsis=ELLIPSIS)
    text = build("", (), short_title)
    if short_title.removesuffix(ELLIPSIS).strip() and fits(text):
        return Composed(text, short_title, "", ())
    if url and fits(url):
        return Composed(url, "", "", ())
    what = f"the link alone measures {measure(url)}" if url else "not even a shortened title fits"
    raise PostTooLong(f"{what}, over the limit of {limit}", where=item.url)
