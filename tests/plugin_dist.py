"""Install a third-party plugin distribution for one test: modules plus a dist-info on sys.path.

This is exactly what `pip install acme-plugin` leaves in site-packages (METADATA and an
entry_points.txt), so `importlib.metadata.entry_points()` finds it the way it finds a real one.
"""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import pytest


@contextmanager
def installed(
    site: Path,
    monkeypatch: pytest.MonkeyPatch,
    *,
    name: str,
    modules: Mapping[str, str],
    entry_points: Mapping[str, Mapping[str, str]],
) -> Iterator[Path]:
    """`modules` (module name -> source) and `entry_points` (group -> {kind: "module:Class"}) under `site`."""
    dist_info = site / f"{name.replace('-', '_')}-1.0.dist-info"
    dist_info.mkdir(parents=True)
    for module, source in modules.items():
        (site / f"{module}.py").write_text(textwrap.dedent(source), encoding="utf-8")
    (dist_info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n", encoding="utf-8"
    )
    (dist_info / "entry_points.txt").write_text(
        "".join(
            f"[{group}]\n" + "".join(f"{kind} = {target}\n" for kind, target in kinds.items())
            for group, kinds in entry_points.items()
        ),
        encoding="utf-8",
    )
    monkeypatch.syspath_prepend(str(site))
    try:
        yield site
    finally:
        for module in modules:
            sys.modules.pop(module, None)
