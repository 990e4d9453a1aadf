"""`[[digests]]`: each digest is a named email with its own schedule, selection and subject.

Templates in string keys (subject, preheader) are Jinja2 and are parsed here, so a typo is a config
error with the file's line at load time rather than a failed send at 7 a.m.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import jinja2
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from nashra.config.cron import parse_cron

LeadRule = Literal["newest_with_image", "newest", "none"]


def _check_template(value: str) -> str:
    try:
        jinja2.Environment().parse(value)
    except jinja2.TemplateSyntaxError as exc:
        raise ValueError(f"template syntax error on line {exc.lineno}: {exc.message}") from None
    return value


class DigestSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Annotated[str, Field(min_length=1, max_length=100)]
    enabled: bool = Field(default=True, description="false: never scheduled or sent (kept in the config)")
    schedule: str = Field(
        default="0 7 * * *",
        description="standard 5-field cron expression (0 = Sunday) in the site's time zone",
    )
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
    count_clicks: bool = Field(
        default=False,
        description="story links go through a signed redirect at web.public_url that counts clicks "
        "per issue and story, in aggregate",
    )
    clicks_per_subscriber: bool = Field(
        default=False,
        description="with count_clicks: also record which subscriber followed which story, once each "
        "(personal data, erased with the subscriber)",
    )
    unknown: Literal["skip", "resend"] = Field(
        default="skip",
        description='messages whose fate a crash left unknown: "skip" (never twice) or "resend" (never lost)',
    )

    @field_validator("schedule")
    @classmethod
    def _cron(cls, value: str) -> str:
        try:
            parse_cron(value)
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

    @model_validator(mode="after")
    def _clicks_pair(self) -> DigestSettings:
        if self.clicks_per_subscriber and not self.count_clicks:
            raise ValueError("clicks_per_subscriber needs count_clicks = true")
        return self

    @property
    def window_hours(self) -> int:
        """How far back a candidate may have been published or first seen."""
        return self.max_age_hours if self.window == "since_last" else int(self.window)
