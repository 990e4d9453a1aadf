"""Validation of an adapter's own keys (a `[[sources]]` or `[[channels]]` table beyond type and name).

Adapters declare a pydantic model; this turns its errors into the same one-line, file:line
messages the loader gives for the rest of the file.
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from nashra.config.settings import Settings

M = TypeVar("M", bound=BaseModel)


def validate_options(
    model: type[M], options: dict[str, Any], *, settings: Settings, loc: tuple[str | int, ...], label: str
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
            problems.append(f"{settings.locate((*loc, *err['loc']))}: {label}.{key}: {message}")
        return None, problems
