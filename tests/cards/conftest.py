"""Fixtures for the share-card tests: settings from TOML, articles from a title, and tesseract."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from cardkit import article_with

from nashra.config import Settings
from nashra.config.loader import parse_settings
from nashra.model import StoredArticle


@pytest.fixture
def settings_from(tmp_path: Path) -> Callable[[str], Settings]:
    """Settings from TOML text, as if read from tmp_path/nashra.toml (data under tmp_path/data)."""

    def make(toml: str = "") -> Settings:
        (tmp_path / "nashra.toml").write_text(toml, encoding="utf-8")
        return parse_settings(toml, origin=str(tmp_path / "nashra.toml"), base_dir=tmp_path)

    return make


@pytest.fixture
def article() -> Callable[..., StoredArticle]:
    return article_with


@pytest.fixture(scope="session")
def tesseract() -> str:
    """The tesseract command, with its Arabic data. Missing, it fails under CI (which must run the
    OCR tests) and is skipped elsewhere with how to install it."""
    command = shutil.which("tesseract")
    languages = (
        subprocess.run([command, "--list-langs"], capture_output=True, text=True, check=False).stdout.split()
        if command
        else []
    )
    if "ara" not in languages:
        missing = "tesseract with Arabic data is missing"
        if os.environ.get("CI"):
            pytest.fail(
                f"{missing}, and CI must run the OCR tests (apt-get install tesseract-ocr tesseract-ocr-ara)"
            )
        pytest.skip(
            f"{missing} (install Debian's tesseract-ocr and tesseract-ocr-ara, e.g. `make system-deps`)"
        )
    assert command is not None
    return command
