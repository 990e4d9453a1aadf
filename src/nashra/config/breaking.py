"""`[breaking]`: which stories are urgent, and what happens to them (issue #17).

An urgent story skips every channel's spacing and quiet hours and goes out at once with `prefix`,
and, with `alert_list`, is mailed to that list as an alert of its own, within the ingest cycle
that saw it. The rules are matched as a newsroom marks urgency: a section («عاجل»), a keyword
among the tags, a word in the headline, or a source that carries nothing else (a breaking-news
feed). No rule, no urgent story.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

ALERT_DIGEST = "breaking"
"""The digest name alerts are sent under (nashra.digest.alert): no configured digest may take it."""


class BreakingSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    sections: list[str] = []
    tags: list[str] = []
    """Keywords (the article's tags, as the source gave them), e.g. ["عاجل"]."""
    title_words: list[str] = []
    """Words that mark a headline urgent where they stand as a word of it ("عاجل: …")."""
    sources: list[str] = []
    """Names of sources whose every story is urgent."""
    prefix: str = "عاجل | "
    """Put in front of an urgent story's title in posts and in the alert's subject."""
    max_age_minutes: Annotated[float, Field(gt=0)] = 120
    """An urgent story older than this (by its publication time) goes the normal way: a story
    tagged urgent yesterday and ingested late is no longer breaking news."""
    alert_list: str | None = None
    """Subscriber list that gets an alert mail per urgent story; none: no alert mail."""
    alert_html_template: Path | None = None
    alert_text_template: Path | None = None

    @property
    def enabled(self) -> bool:
        return bool(self.sections or self.tags or self.title_words or self.sources)
