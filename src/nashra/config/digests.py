"""`[[digests]]`: each digest is a named email with its own schedule, selection and subject."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field


class DigestSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    schedule: str = Field(default="0 7 * * *", description="cron expression in the site's time zone")
    sections: list[str] = []
    max_items: Annotated[int, Field(gt=0, le=100)] = 20
    subject: str = "{{ site.name }} — {{ date }}"
