"""`[[digests]]`: each digest is a named email with its own schedule, selection and subject.

Templates in string keys (subject, preheader) are Jinja2 and are parsed here, so a typo is a config
error with the file's line at load time rather than a failed send at 7 a.m.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import jinja2
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

LeadRule = Literal["newest_with_image", "newest", "none"]

_DAY_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")


def _cron_weekdays(field: str) -> str:
    """Standard cron weekdays (0 or 7 = Sunday) as names, which APScheduler 3 reads unambiguously.

    APScheduler 3's `from_crontab` keeps numbers as they are but counts from Monday = 0, so
    "1-5" would mean Tuesday to Saturday there.
    """
    if field == "*" or not any(c.isdigit() for c in field):
        return field
    if any(c.isalpha() for c in field):
        raise ValueError(f"day of week {field!r}: use numbers (0-7) or names (mon-sun), not both")
    days: set[int] = set()
    for part in field.split(","):
        body, slash, step_text = part.partition("/")
        step = int(step_text) if slash else 1
        if body == "*":
            start, end = 0, 6
        elif "-" in body:
            first, last = body.split("-", 1)
            start, end = int(first), int(last)
        else:
            start = int(body)
            end = 7 if slash else start
        if not (0 <= start <= end <= 7) or step < 1:
            raise ValueError(f"day of week {field!r} is not a valid cron field")
        days.update(day % 7 for day in range(start, end + 1, step))
    return ",".join(_DAY_NAMES[day] for day in sorted(days))


def apscheduler_crontab(expression: str) -> str:
    """A standard 5-field cron expression rewritten so APScheduler 3 fires on the same days."""
    fields = expression.split()
    if len(fields) != 5:
        raise ValueError(f"expected 5 fields (minute hour day month weekday), got {len(fields)}")
    try:
        fields[4] = _cron_weekdays(fields[4])
    except ValueError as exc:
        raise ValueError(str(exc).replace("invalid literal for int() with base 10", "not a number")) from None
    return " ".join(fields)


def _check_template(value: str) -> str:
    try:
        jinja2.Environment().parse(value)
    except jinja2.TemplateSyntaxError as exc:
        raise ValueError(f"template syntax error on line {exc.lineno}: {exc.message}") from None
    return value


class DigestSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Annotated[str, Field(min_length=1, max_length=100)]
    schedule: str = Field(default="0 7 * * *", description="cron expression in the site's time zone")
    window: Literal["since_last"] | Annotated[int, Field(gt=0)] = Field(
        default="since_last",
        description='"since_last": everything not in an earlier issue; or a number of hours',
    )
    max_age_hours: Annotated[int, Field(gt=0)] = Field(
        default=168,
        description="with since_last: never older than this (a new install must not mail the archive)",
    )
    sections: list[str] = []
    max_items: Annotated[int, Field(gt=0, le=100)] = 20
    lead: LeadRule = "newest_with_image"
    lead_tag: str | None = None
    subject: str = "{{ site.name }} — {{ date }}"
    preheader: str = "{{ titles | join(' • ') }}"
    teaser_length: Annotated[int, Field(ge=40, le=1000)] = 220
    recipients: list[str] = ["default"]
    html_template: Path | None = None
    text_template: Path | None = None
    web_font_family: str | None = None
    web_font_url: str | None = None
    footer_address: str = ""
    footer_legal: str = ""
    manage_url: str | None = None
    size_budget: Annotated[int, Field(ge=10_000, le=102_000)] = 95_000

    @field_validator("schedule")
    @classmethod
    def _cron(cls, value: str) -> str:
        from apscheduler.triggers.cron import CronTrigger

        try:
            CronTrigger.from_crontab(apscheduler_crontab(value))
        except ValueError as exc:
            raise ValueError(f'not a 5-field cron expression ({exc}); e.g. "0 7 * * *"') from None
        return value

    @field_validator("subject", "preheader")
    @classmethod
    def _template(cls, value: str) -> str:
        return _check_template(value)

    @field_validator("web_font_url", "manage_url")
    @classmethod
    def _absolute(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("must be an absolute http(s) URL")
        return value

    @model_validator(mode="after")
    def _font_pair(self) -> DigestSettings:
        if (self.web_font_family is None) != (self.web_font_url is None):
            raise ValueError("web_font_family and web_font_url go together: set both or neither")
        return self

    @property
    def window_hours(self) -> int:
        """How far back a candidate may have been published or first seen."""
        return self.max_age_hours if self.window == "since_last" else int(self.window)
