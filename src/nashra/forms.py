"""An article's prepared forms: cleaned, keyed, cut and isolated once per article version.

Every digest, preview and post that carries a story would otherwise clean its headline, key it
for duplicates, cut its excerpt and isolate both for bidi again. Ingest computes these forms when
it stores a new or changed article (`store.articles.upsert_articles`) and stores them beside it,
tagged with the article's content hash and `FORMS_VERSION`; the outputs read them. An article
without current forms (a row from before them, a teaser length added since, an article not from
the store) gets them on first use, once per article version (`forms_of`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import lru_cache, partial
from typing import Any, cast

from markupsafe import Markup

from nashra.config import Settings
from nashra.config.digests import DigestSettings
from nashra.model import Article, ArticleForms, DisplayText, StoredArticle
from nashra.text import clean_text, isolate_ltr_runs, isolate_ltr_runs_html, normalize_for_match
from nashra.text.excerpt import teaser_excerpt
from nashra.text.html import excerpt_source
from nashra.text.markup import as_markup, escape_text

FORMS_VERSION = 2
"""Bump when what `prepare_forms` computes, or how it is stored, changes: every stored form is then
stale (2: a text with no Latin run stored once, a title key equal to the match key left out)."""
DEFAULT_TEASER_LENGTH: int = DigestSettings.model_fields["teaser_length"].default


def teaser_lengths(settings: Settings) -> tuple[int, ...]:
    """The teaser lengths the configured digests cut excerpts to (the default digest's without any)."""
    return tuple(sorted({d.teaser_length for d in settings.digests} or {DEFAULT_TEASER_LENGTH}))


def display_text(text: str) -> DisplayText:
    return DisplayText(text, isolate_ltr_runs_html(text), isolate_ltr_runs(text))


def prepare_forms(article: Article, teaser_lengths: Iterable[int]) -> ArticleForms:
    title = clean_text(article.title)
    summary = excerpt_source(article.lead, article.body_html)
    image = article.image
    return ArticleForms(
        title=display_text(title),
        match_key=normalize_for_match(article.title),
        title_key=normalize_for_match(title),
        summary=summary,
        # An image without alt text is read out as its file name; the headline is a fair description.
        image_alt=clean_text(image.alt) if image and image.alt.strip() else title,
        excerpts=tuple((n, display_text(teaser_excerpt(summary, n))) for n in sorted(set(teaser_lengths))),
    )


def forms_of(stored: StoredArticle, teaser_length: int) -> ArticleForms:
    """The article's stored forms when they hold this teaser length, else fresh ones."""
    forms = stored.forms
    if forms is not None and forms.has_excerpt(teaser_length):
        return forms
    return fresh_forms(stored.article, teaser_length)


@lru_cache(maxsize=512)
def fresh_forms(article: Article, teaser_length: int) -> ArticleForms:
    """Forms computed on first use, kept by the article's exact content: a preview, the issue sent
    after it and the next day's digest then share one computation."""
    return prepare_forms(article, (teaser_length,))


def match_key(stored: StoredArticle) -> str:
    """The headline's duplicate key, from the stored forms when there are some."""
    return stored.forms.match_key if stored.forms is not None else normalize_for_match(stored.article.title)


def _key(content_hash: str) -> str:
    return f"{FORMS_VERSION}:{content_hash}"


def _texts(text: DisplayText) -> str | list[str]:
    """Most Arabic texts hold no Latin run: their HTML is the escaped text and their isolated form
    the text itself, so the text alone is stored; the three forms only when they differ."""
    if text.isolated == text.plain and text.html == escape_text(text.plain):
        return text.plain
    return [text.plain, str(text.html), text.isolated]


# A NamedTuple's own `__new__` is a Python function; `tuple.__new__` of the class is the same
# tuple built in C: for the forms of every article of every render.
_new_display_text = cast(
    Callable[[tuple[str, Markup, str]], DisplayText], partial(tuple.__new__, DisplayText)
)
_new_forms = cast(
    Callable[[tuple[DisplayText, str, str, str, str, tuple[tuple[int, DisplayText], ...]]], ArticleForms],
    partial(tuple.__new__, ArticleForms),
)


def _display_text(texts: str | list[str]) -> DisplayText:
    if type(texts) is str:
        return _new_display_text((texts, as_markup(escape_text(texts)), texts))
    return _new_display_text((texts[0], as_markup(texts[1]), texts[2]))


def forms_to_json(forms: ArticleForms, content_hash: str) -> dict[str, Any]:
    """The stored form of `forms` for the article version with `content_hash`."""
    data = {
        "key": _key(content_hash),
        "title": _texts(forms.title),
        "match_key": forms.match_key,
        "summary": forms.summary,
        "image_alt": forms.image_alt,
        "excerpts": {str(n): _texts(text) for n, text in forms.excerpts},
    }
    if forms.title_key != forms.match_key:  # only when cleaning the title changed what its key keeps
        data["title_key"] = forms.title_key
    return data


def forms_from_json(data: dict[str, Any] | None, content_hash: str) -> ArticleForms | None:
    """The stored forms, or None when there are none or they belong to another version (of the
    article or of this module)."""
    if not data or data.get("key") != _key(content_hash):
        return None
    # Read for every article of every render: built in C, no generator, and no comprehension (a
    # function of its own) for the one teaser length most configurations have.
    match_key = data["match_key"]
    excerpts = data["excerpts"]
    if len(excerpts) == 1:
        ((length, texts),) = excerpts.items()
        cut: tuple[tuple[int, DisplayText], ...] = ((int(length), _display_text(texts)),)
    else:
        cut = tuple([(int(n), _display_text(texts)) for n, texts in excerpts.items()])
    return _new_forms(
        (
            _display_text(data["title"]),
            match_key,
            data.get("title_key", match_key),
            data["summary"],
            data["image_alt"],
            cut,
        )
    )


def stale(data: dict[str, Any] | None, content_hash: str, lengths: Iterable[int]) -> bool:
    """Whether stored forms need computing again: none, another version, or a teaser length missing."""
    if not data or data.get("key") != _key(content_hash):
        return True
    return not {str(n) for n in lengths} <= set(data["excerpts"])
