"""Whether a story is urgent (`[breaking]`, nashra.config.breaking): one rule for the posts, which
skip spacing and quiet hours, and for the alert mail."""

from __future__ import annotations

from datetime import datetime, timedelta

from nashra.config.breaking import BreakingSettings
from nashra.model import Article
from nashra.text import normalize_for_match


def is_urgent(article: Article, rules: BreakingSettings) -> bool:
    """Matched by section, tag, source, or a word of the headline. Tags and headline words are
    compared as `normalize_for_match` keys, so «عاجل» matches «عَاجِل» and «#عاجل»."""
    if not rules.enabled:
        return False
    if article.source in rules.sources or (article.section and article.section in rules.sections):
        return True
    wanted = {normalize_for_match(t) for t in rules.tags}
    if wanted & {normalize_for_match(t) for t in article.tags}:
        return True
    title = f" {normalize_for_match(article.title)} "
    return any(_as_word(word) in title for word in rules.title_words)


def _as_word(word: str) -> str:
    key = normalize_for_match(word)
    return f" {key} " if key else "\0"


def is_breaking(article: Article, rules: BreakingSettings, now: datetime) -> bool:
    """Urgent and still fresh: what jumps the queue now."""
    fresh = now - article.published_at <= timedelta(minutes=rules.max_age_minutes)
    return fresh and is_urgent(article, rules)


def prefix_for(article: Article, rules: BreakingSettings) -> str:
    """The prefix an urgent story's title carries (in posts and the alert subject), else ""."""
    return rules.prefix if is_urgent(article, rules) else ""
