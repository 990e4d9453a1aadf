"""The hand-written package list in pyproject.toml must name every package, or the wheel loses code."""

from __future__ import annotations

import tomllib
from pathlib import Path

from setuptools import find_packages

ROOT = Path(__file__).parents[2]


def test_every_package_is_listed() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    listed = set(config["packages"])
    found = set(find_packages(str(ROOT / "src")))
    mapped = set(config["package-dir"]) - {""}
    assert found - listed == set(), "add these to [tool.setuptools] packages"
    assert listed - found - mapped == set(), "listed but not found"
