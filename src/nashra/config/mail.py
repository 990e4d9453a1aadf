"""`[mail]` (how digests leave) and `[web]` (where subscribers land)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict


class MailSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    transport: Literal["file", "smtp"] = "file"
    from_address: str = "نشرة <newsletter@nashra.example>"


class WebSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    host: str = "127.0.0.1"
    port: int = 8080
