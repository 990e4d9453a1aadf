"""`[[channels]]`: a social channel; `type` picks the adapter, which validates its own keys."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class ChannelSettings(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)

    type: str
    name: str
    enabled: bool = True

    @property
    def options(self) -> dict[str, object]:
        return dict(self.model_extra or {})
