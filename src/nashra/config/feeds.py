"""`[feeds]`: which feeds are built, how many items they hold, and whether they carry full content."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

_URI_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")


class FeedsSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    max_items: Annotated[int, Field(gt=0, le=1000)] = 50
    full_content: bool = True
    per_section: bool = True
    per_tag: bool = True
    hub_url: str | None = None
    summary_length: Annotated[int, Field(ge=40, le=2000)] = Field(
        default=300, description="teaser length in graphemes (user-perceived characters)"
    )
    guid_prefix: str = Field(
        default="urn:nashra:",
        description="item id = prefix + article id; set once and never change it, readers key on it",
    )
    cache_seconds: Annotated[int, Field(ge=0)] = Field(
        default=300, description="Cache-Control max-age when the web app serves feeds"
    )

    @field_validator("hub_url")
    @classmethod
    def _absolute_hub(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError(
                "must be an absolute http(s) URL of a WebSub hub, e.g. https://pubsubhubbub.appspot.com/"
            )
        return value

    @field_validator("guid_prefix")
    @classmethod
    def _uri_prefix(cls, value: str) -> str:
        if not _URI_SCHEME.match(value):
            raise ValueError(
                'must start with a URI scheme, e.g. "urn:nashra:" or "tag:news.example.org,2026:"'
            )
        return value
