"""The public archive in headless Chromium, on a desktop (1280 px) and a phone (390 px): right to left,
and no horizontal scroll on the phone. Screenshots go to the test's tmp dir for a person to look at."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from importlib.resources import files
from pathlib import Path

import httpx
import pytest
import time_machine
from archive_kit import at, listed_issues, store_issue

from mail.mailkit import populate
from nashra.ingest import ingest
from nashra.mail.send import send_digest
from nashra.runtime import Runtime

MEDIA = Path(str(files("nashra") / "demo" / "media"))
# No path prefix here: the browser talks to the app itself, with no proxy to strip one.
TOML = """
[site]
name = "نشرة الواحة"
base_url = "https://oasis.example"
locale = "ar_DZ"

[web]
public_url = "https://oasis.example"

[[digests]]
name = "daily"

[[digests]]
name = "weekly"
"""
SUBJECTS = [
    "قمة G20 يوم 9 May 2025 في الجزائر العاصمة",
    "BRICS تجتمع في جوهانسبرغ: ما الذي ينتظره الاقتصاد الجزائري؟",
    "حصاد الزيتون في تيزي وزو يبلغ 120 ألف طن هذا الموسم",
]
MEASURE = """() => {
  const root = document.documentElement;
  return {
    dir: root.getAttribute('dir'),
    direction: getComputedStyle(document.body).direction,
    scrollWidth: Math.max(root.scrollWidth, document.body.scrollWidth),
    clientWidth: root.clientWidth,
    // In the index, each subject starts at the right edge of the text column (its end is ragged).
    subjectGaps: [...document.querySelectorAll('.subject > bdi')].map(b =>
      document.body.getBoundingClientRect().right - parseFloat(getComputedStyle(document.body).paddingRight)
      - b.getBoundingClientRect().right),
  };
}"""


@pytest.fixture
def archive_site(make_site: Callable[[str], tuple[Runtime, httpx.Client]]) -> tuple[str, str]:
    """The live app's address, and the path of a real issue (demo articles, sent through the file
    transport) among a few more listed in the index."""
    runtime, client = make_site(TOML)
    now = at(2026, 11, 30)
    with time_machine.travel(now - timedelta(hours=1), tick=False):
        ingest(runtime)
    populate(runtime, ["reader@example.com"])
    assert send_digest(runtime, runtime.settings.digests[0], now=now).sent == 1
    for n, subject in enumerate(SUBJECTS):
        store_issue(
            runtime, "weekly" if n % 2 else "daily", at(2026, 11, 20 + n), subject=subject, stories=n + 1
        )
    [real, *_] = listed_issues(client.get("/digests/").text)
    return str(client.base_url).rstrip("/"), real.href


def _route(base: str):  # type: ignore[no-untyped-def]
    """The app answers itself; the demo's images come from the package; nothing else leaves."""

    def handle(route) -> None:  # type: ignore[no-untyped-def]
        url = route.request.url
        image = MEDIA / url.rsplit("/", 1)[-1]
        if url.startswith(base):
            route.continue_()
        elif "/media/" in url and image.is_file():
            route.fulfill(status=200, content_type="image/png", body=image.read_bytes())
        else:
            route.abort()

    return handle


@pytest.mark.sqlite_only
@pytest.mark.browser
def test_archive_index_and_issue_read_right_to_left_with_no_horizontal_scroll(
    chromium, archive_site: tuple[str, str], tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    base, issue = archive_site
    for name, path in (("index", "/digests/"), ("issue", issue)):
        for width in (1280, 390):
            page = chromium.new_page(viewport={"width": width, "height": 900})
            page.route("**/*", _route(base))
            response = page.goto(base + path, wait_until="load")
            assert response is not None and response.status == 200, (name, path)
            facts = page.evaluate(MEASURE)
            page.screenshot(path=str(tmp_path / f"archive-{name}-{width}px.png"), full_page=True)
            page.close()

            shown = f"{name} at {width}px: {facts}"
            assert facts["dir"] == "rtl" and facts["direction"] == "rtl", shown
            assert all(abs(gap) < 1 for gap in facts["subjectGaps"]), shown
            if name == "index":
                assert len(facts["subjectGaps"]) == 1 + len(SUBJECTS), shown
            if width == 390:
                assert facts["scrollWidth"] <= facts["clientWidth"], f"horizontal scroll: {shown}"
    assert sorted(p.name for p in tmp_path.glob("archive-*.png")) == [
        "archive-index-1280px.png",
        "archive-index-390px.png",
        "archive-issue-1280px.png",
        "archive-issue-390px.png",
    ]
