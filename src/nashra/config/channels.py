"""`[[channels]]`: a social channel; `type` picks the adapter, which validates its own keys.

The keys every channel shares (filters, pacing, template) are checked here; anything else in the
table is the adapter's (`options`) and is validated by its own pydantic model, so a third-party
adapter gets the same line-numbered errors as the built-in ones.
"""

from __future__ import annotations

from datetime import time
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator


def parse_quiet_hours(value: str) -> tuple[time, time]:
    """ "23:00-07:00" -> (23:00, 07:00); a window may wrap past midnight."""
    try:
        start_text, end_text = (part.strip() for part in value.split("-"))
        start, end = time.fromisoformat(start_text), time.fromisoformat(end_text)
    except ValueError:
        raise ValueError(
            f'{value!r} is not a window like "23:00-07:00" (HH:MM-HH:MM, site time zone)'
        ) from None
    if start == end:
        raise ValueError(f"{value!r} is empty: start and end are the same time")
    return start, end


class ChannelSettings(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)

    type: str
    name: Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.\-]+$")]
    enabled: bool = True
    template: str | None = Field(
        default=None, description="Jinja2 template path (relative to the config file); default: built-in"
    )
    sections: list[str] = Field(default=[], description="only articles of these sections; empty: all")
    tags: list[str] = Field(default=[], description="only articles with one of these keywords; empty: all")
    quiet_hours: str | None = Field(default=None, description='"23:00-07:00" in the site time zone')
    min_spacing_minutes: Annotated[float, Field(ge=0)] = 0
    every_minutes: Annotated[float, Field(gt=0)] = 5
    attach_image: bool = True
    repost_on_edit: bool = False
    max_age_hours: Annotated[float, Field(gt=0)] = 48
    max_hashtags: Annotated[int, Field(ge=0)] = 3
    max_attempts: Annotated[int, Field(ge=1, le=50)] = Field(
        default=8, description="tries of a post, one per run at most, before it is recorded failed"
    )
    max_wait_seconds: Annotated[float, Field(ge=0)] = Field(
        default=900, description="longest wait between two tries (the backoff doubles from 60 s up to it)"
    )
    auth_pause_minutes: Annotated[float, Field(ge=0)] = 60

    @field_validator("quiet_hours")
    @classmethod
    def _window(cls, value: str | None) -> str | None:
        if value is not None:
            parse_quiet_hours(value)
        return value

    @property
    def quiet_window(self) -> tuple[time, time] | None:
        return parse_quiet_hours(self.quiet_hours) if self.quiet_hours else None

    @property
    def options(self) -> dict[str, object]:
        return dict(self.model_extra or {})
