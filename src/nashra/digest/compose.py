"""Which articles a digest carries, in which order: a pure function of articles, settings and history.

Nothing here reads the clock, the store or the network, so every rule (window, exclusions,
duplicates, lead, section order) is tested with plain records.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import lru_cache, partial
from itertools import chain
from operator import attrgetter
from typing import NamedTuple, cast
from urllib.parse import urlsplit, urlunsplit

from markupsafe import Markup

from nashra.config.digests import DigestSettings
from nashra.forms import forms_of, match_key
from nashra.model import StoredArticle
from nashra.store.digests import Exclusions
from nashra.text.memo import memoise_short

NO_EXCLUSIONS = Exclusions()
RTL_LANGUAGES = frozenset({"ar", "arc", "ckb", "dv", "fa", "he", "ku", "ps", "sd", "ug", "ur", "yi"})


class Teaser(NamedTuple):
    """One article as the templates show it: plain-text title and excerpt, image with alt text.

    `title_html`/`excerpt_html` are `title|bdi`/`excerpt|bdi`, and `title_isolated`/
    `excerpt_isolated` are `title|isolate`/`excerpt|isolate`, read from the article's forms.

    A named tuple, not a frozen dataclass: one is built for every teaser of every render and
    hashed as the key of its template block, and a tuple is built and hashed in C where a frozen
    dataclass sets and hashes its 15 fields one by one in Python (8 µs against 2 to build).
    """

    id: str
    title: str
    url: str
    section: str
    published_at: datetime
    excerpt: str
    image_url: str | None
    image_alt: str
    title_key: str
    title_html: Markup
    excerpt_html: Markup
    title_isolated: str
    excerpt_isolated: str
    lang: str
    direction: str
    """"rtl", or "ltr" for a story in a left-to-right language (`direction`)."""
    align: str
    """The text-align that goes with `direction`: "right", or "left"."""

    def __hash__(self) -> int:
        """The article's id alone: a teaser keys its template block, and a first render hashes
        new teasers, whose texts (title and excerpt, each three times) were never hashed. Equal
        teasers share an id; teasers of one article that differ (another version, teaser length
        or link) share a hash, and the key's equality, which compares every field, tells them apart."""
        return hash(self[0])


# The tuple built in C, fields in `Teaser`'s order: the named tuple's own `__new__` is a Python
# function taking 16 keywords, seven times slower, for every teaser of every render.
_new_teaser = cast(Callable[[tuple[object, ...]], Teaser], partial(tuple.__new__, Teaser))
_ID = attrgetter("id")
_BY_TIME = attrgetter("article.published_at", "id")
"""The order of publication (ties by id), read in C rather than by a lambda per article."""


@dataclass(frozen=True, slots=True)
class SectionGroup:
    name: str
    teasers: tuple[Teaser, ...]


@dataclass(frozen=True, slots=True)
class Composition:
    lead: Teaser | None
    sections: tuple[SectionGroup, ...]
    dropped: int = 0
    """Teasers left out to respect the size budget; the template then links to the site instead."""

    @property
    def teasers(self) -> tuple[Teaser, ...]:
        """Every item in reading order: the lead, then each section's teasers."""
        lead = (self.lead,) if self.lead else ()
        return lead + tuple(chain.from_iterable(group.teasers for group in self.sections))

    @property
    def article_ids(self) -> tuple[str, ...]:
        return tuple(map(_ID, self.teasers))

    def keep(self, count: int) -> Composition:
        """The same digest with only the first `count` section teasers (the lead always stays)."""
        total = self.section_teaser_count
        count = max(0, min(count, total))
        kept: list[SectionGroup] = []
        left = count
        for group in self.sections:
            if left <= 0:
                break
            kept.append(replace(group, teasers=group.teasers[:left]))
            left -= len(group.teasers)
        return replace(self, sections=tuple(kept), dropped=self.dropped + total - count)

    @property
    def section_teaser_count(self) -> int:
        return sum(len(g.teasers) for g in self.sections)


# URLs that the split and join below give back unchanged, the common case (ingest stores canonical
# URLs): lower-case http(s) scheme and host, a path of non-empty segments with no trailing slash,
# maybe a non-empty query, no fragment and no whitespace (which `strip` or `urlsplit` would drop).
_ALREADY_CANONICAL = re.compile(r"https?://[a-z0-9.\-]+(?::[0-9]+)?(?:/[^/?#\s]+)+(?:\?[^#\s]+)?")


def canonical_url(url: str) -> str:
    """Same page, same key: scheme and host case, fragments and trailing slashes do not matter.

    An URL already in that form is told by one match, cheaper than a memo's lookup (and the new
    articles of every issue are all new URLs); only the others are split and joined, memoised."""
    if _ALREADY_CANONICAL.fullmatch(url):
        return url
    return _split_canonical(url)


@memoise_short(maxsize=4096)
def _split_canonical(url: str) -> str:
    parts = urlsplit(url.strip())
    path = parts.path.rstrip("/") or "/"
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), path, parts.query, ""))


@lru_cache(maxsize=64)
def direction(lang: str) -> str:
    """A French story in an Arabic digest keeps its own direction; everything else reads RTL."""
    primary = lang.replace("_", "-").split("-")[0].lower()
    return "ltr" if primary and primary not in RTL_LANGUAGES else "rtl"


def teaser(stored: StoredArticle, length: int) -> Teaser:
    """One article as the templates show it, from its forms (a digest's teasers, an alert's story)."""
    article = stored.article
    forms = forms_of(stored, length)
    excerpt = forms.excerpt(length)
    title = forms.title
    image = article.image
    lang = article.language or "ar"
    flow = direction(lang)
    return _new_teaser(
        (
            stored.id,
            title.plain,
            article.url,
            article.section,
            article.published_at,
            excerpt.plain,
            image.url if image and image.url else None,
            forms.image_alt,
            forms.title_key,
            title.html,
            excerpt.html,
            title.isolated,
            excerpt.isolated,
            lang,
            flow,
            "left" if flow == "ltr" else "right",
        )
    )


def _in_window(stored: StoredArticle, since: datetime, sections: Sequence[str]) -> bool:
    if stored.first_seen_at <= since or stored.article.published_at <= since:
        return False
    return not sections or stored.article.section in sections


def dedupe(items: Iterable[StoredArticle], exclusions: Exclusions = NO_EXCLUSIONS) -> list[StoredArticle]:
    """Drop repeats by id, canonical URL or normalised title; the earliest published copy wins.

    Whatever an earlier issue carried counts as already seen, so a story re-posted under a new id
    after being mailed is not mailed again.
    """
    ids, urls, titles = (
        set(exclusions.ids),
        {canonical_url(u) for u in exclusions.urls},
        set(exclusions.title_keys),
    )
    kept: list[StoredArticle] = []
    for stored in sorted(items, key=_BY_TIME):
        url = canonical_url(stored.article.url)
        key = match_key(stored)
        if stored.id in ids or url in urls or (key and key in titles):
            continue
        kept.append(stored)
        ids.add(stored.id)
        urls.add(url)
        if key:
            titles.add(key)
    return kept


def _newest(items: Sequence[StoredArticle]) -> list[StoredArticle]:
    return sorted(items, key=_BY_TIME, reverse=True)


def pick_lead(items: Sequence[StoredArticle], digest: DigestSettings) -> StoredArticle | None:
    """The lead rule: newest (with an image, if asked); articles tagged `lead_tag` are preferred."""
    if digest.lead == "none" or not items:
        return None
    pool = _newest(items)
    if digest.lead_tag:
        tagged = [s for s in pool if digest.lead_tag in s.article.tags]
        pool = tagged or pool
    if digest.lead == "newest_with_image":
        with_image = [s for s in pool if s.article.image and s.article.image.url]
        pool = with_image or pool
    return pool[0]


def _section_order(newest_first: Sequence[StoredArticle], digest: DigestSettings) -> list[str]:
    """Configured order first; otherwise the section with the freshest story leads; unsectioned last."""
    present = list(dict.fromkeys(stored.article.section for stored in newest_first))
    configured = [s for s in digest.sections if s in present]
    rest = [s for s in present if s not in configured and s]
    return configured + rest + ([""] if "" in present else [])


def compose(
    articles: Iterable[StoredArticle],
    digest: DigestSettings,
    *,
    now: datetime,
    exclusions: Exclusions = NO_EXCLUSIONS,
) -> Composition | None:
    """The digest that would go out at `now`, or None when there is nothing new (it is not sent)."""
    since = now - timedelta(hours=digest.window_hours)
    eligible = dedupe((s for s in articles if _in_window(s, since, digest.sections)), exclusions)
    # `dedupe` keeps them oldest first by (time, id), keys that are all different: newest first
    # is that order reversed.
    chosen = eligible[::-1][: digest.max_items]
    if not chosen:
        return None
    lead = pick_lead(chosen, digest)
    rest = [s for s in chosen if lead is None or s.id != lead.id]  # newest first
    by_section: dict[str, list[StoredArticle]] = {}
    for stored in rest:
        by_section.setdefault(stored.article.section, []).append(stored)
    length = digest.teaser_length
    groups = tuple(
        SectionGroup(section, tuple(teaser(s, length) for s in by_section[section]))
        for section in _section_order(rest, digest)
    )
    return Composition(lead=teaser(lead, length) if lead else None, sections=groups)
