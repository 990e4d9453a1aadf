"""`[feeds]`: which feeds are built, how many items they hold, and whether they carry full content."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field


class FeedsSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    max_items: Annotated[int, Field(gt=0, le=1000)] = 50
    full_content: bool = True
    per_section: bool = True
    per_tag: bool = True
    hub_url: str | None = None
