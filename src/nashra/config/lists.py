"""`[[lists]]`: what the subscribe form may offer.

A list exists as soon as a digest's `recipients` (or an import, or `nashra subscribers add`) names
it; this table only says which ones strangers may join from the web form. Only `default` is public
without a table, so a fresh install's form works and a staff list never becomes joinable by accident.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

DEFAULT_LIST = "default"  # the list a digest mails unless its `recipients` say otherwise


class ListSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Annotated[str, Field(min_length=1, max_length=100)]
    public: bool = False
    """Whether the subscribe form may add people to this list (a hidden `list` field, or
    /subscribe?list=NAME)."""


def public_lists(lists: list[ListSettings]) -> frozenset[str]:
    """The lists the form may use: those marked public, and `default` unless a table says otherwise."""
    declared = {item.name for item in lists}
    implicit = set() if DEFAULT_LIST in declared else {DEFAULT_LIST}
    return frozenset({item.name for item in lists if item.public} | implicit)
