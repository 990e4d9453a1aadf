"""Find, parse and validate the config file, turning every problem into one readable line."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from nashra.config.locate import Locate, line_of, where
from nashra.config.queue import backend_problem
from nashra.config.settings import Settings
from nashra.errors import ConfigError

CONFIG_ENV = "NASHRA_CONFIG"
DEFAULT_NAME = "nashra.toml"

Check = Callable[[Mapping[str, Any], Locate], list[str]]
"""More validation of the parsed file, given a way to name lines: problem lines, or none.

Tables whose keys are not known here (an adapter's, found through entry points by a layer above
config) are checked this way, at load time and together with the rest of the file."""


def find_config_file(explicit: Path | None = None) -> Path | None:
    """--config wins, then $NASHRA_CONFIG, then ./nashra.toml; None means built-in defaults."""
    if explicit is not None:
        if not explicit.is_file():
            raise ConfigError([f"config file {explicit} does not exist"])
        return explicit
    from_env = os.environ.get(CONFIG_ENV)
    if from_env:
        path = Path(from_env)
        if not path.is_file():
            raise ConfigError([f"config file {path} (from ${CONFIG_ENV}) does not exist"])
        return path
    local = Path.cwd() / DEFAULT_NAME
    return local if local.is_file() else None


def _format_loc(loc: tuple[str | int, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _problems(error: ValidationError, text: str, origin: str) -> list[str]:
    problems = []
    for item in error.errors(include_url=False):
        loc = tuple(p for p in item["loc"] if not (isinstance(p, str) and p.startswith("function-")))
        line = line_of(text, loc)
        where = f"{origin}:{line}" if line else origin
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "extra_forbidden":
            message = "unknown key (check the spelling; see config/nashra.example.toml)"
        elif item["type"] == "missing":
            message = "required key is missing"
        problems.append(f"{where}: {_format_loc(loc)}: {message}")
    return problems


def parse_settings(text: str, *, origin: str, base_dir: Path, checks: Sequence[Check] = ()) -> Settings:
    """Validate TOML text, then run `checks` on it; raises ConfigError listing every problem."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([f"{origin}: not valid TOML: {exc}"]) from None
    problems: list[str] = []
    try:
        settings = Settings.model_validate(raw)
    except ValidationError as exc:
        problems = _problems(exc, text, origin)
    locate = partial(where, origin, text)
    for check in checks:
        problems.extend(check(raw, locate))
    if problems:
        raise ConfigError(problems)
    settings._base_dir = base_dir
    settings._origin = origin
    settings._text = text
    queue_problem = backend_problem(settings.queue, settings.database_url)
    if queue_problem:
        raise ConfigError([f"{settings.locate(('queue', 'backend'))}: {queue_problem}"])
    return settings


def load_settings(path: Path | None = None, *, checks: Sequence[Check] = ()) -> Settings:
    """Settings from `path` (or the usual places), or the built-in defaults when there is no file."""
    found = find_config_file(path)
    if found is None:
        return Settings()
    try:
        text = found.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([f"{found}: cannot read: {exc}"]) from None
    return parse_settings(text, origin=str(found), base_dir=found.resolve().parent, checks=checks)
