"""Secrets are named in the file and read from the environment, so a config file can be shared."""

from __future__ import annotations

import os

from nashra.errors import ConfigError


def read_secret(variable: str, *, purpose: str) -> str:
    """Return the value of environment variable `variable`, or fail saying which one is missing."""
    value = os.environ.get(variable)
    if not value:
        raise ConfigError([f"environment variable {variable} is not set (needed for {purpose})"])
    return value
