"""Validation of an adapter's own keys (a `[[sources]]` or `[[channels]]` table beyond type and name).

Adapters declare a pydantic model; this turns its errors into the same one-line, file:line
messages the loader gives for the rest of the file.
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from nashra.config.locate import Loc, Locate


class AdapterOptions(BaseModel):
    """Base of every adapter's own keys (sources, channels, transports); unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    def needed_secrets(self) -> dict[str, str]:
        """Key -> the environment variable it names, for every secret this adapter will read.

        By convention a key ending in `_env` names one; an adapter that reads one only in some
        configurations (SMTP's password, only with a username) says so by overriding this.
        """
        return {
            key: value
            for key, value in self.model_dump().items()
            if key.endswith("_env") and isinstance(value, str) and value
        }


M = TypeVar("M", bound=BaseModel)


def validate_options(
    model: type[M], options: dict[str, Any], *, locate: Locate, loc: Loc, label: str
) -> tuple[M | None, list[str]]:
    """(validated options, []) or (None, one problem line per bad key)."""
    try:
        return model.model_validate(options), []
    except ValidationError as exc:
        problems = []
        for err in exc.errors(include_url=False):
            key = ".".join(str(p) for p in err["loc"])
            if err["type"] == "extra_forbidden":
                message = "unknown key"
            elif err["type"] == "missing":
                message = "required key is missing"
            else:
                message = err["msg"].removeprefix("Value error, ")
            problems.append(f"{locate((*loc, *err['loc']))}: {label}.{key}: {message}")
        return None, problems
