"""The demo digest in headless Chromium, as a phone (375 px) and a desktop client (640 px) show it.

Screenshots go to tests/artifacts/ for a person to look at.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from importlib.resources import files
from pathlib import Path

import pytest
from digest_helpers import DEMO_NOW

from nashra.digest import find_digest, prepare_digest
from nashra.runtime import Runtime

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
MEDIA = Path(str(files("nashra") / "demo" / "media"))
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]

MEASURE = """() => {
  const dir = el => getComputedStyle(el).direction;
  const root = document.documentElement;
  return {
    body: dir(document.body),
    html: dir(root),
    teasers: [...document.querySelectorAll('.teaser-title, .teaser-excerpt')].map(dir),
    titles: document.querySelectorAll('.teaser-title').length,
    scrollWidth: Math.max(root.scrollWidth, document.body.scrollWidth),
    clientWidth: root.clientWidth,
    images: [...document.images].map(i => ({alt: i.getAttribute('alt'), loaded: i.complete && i.naturalWidth > 0,
                                              right: i.getBoundingClientRect().right, width: i.getBoundingClientRect().width})),
  };
}"""


@pytest.fixture(scope="module")
def chromium():  # type: ignore[no-untyped-def]
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail(
                f"{CHROMIUM} is missing, and CI must run the browser tests (apt-get install chromium)"
            )
        pytest.skip(f"{CHROMIUM} is missing (install Debian's chromium, e.g. `make system-deps`)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield browser
        browser.close()


def _serve_media(route) -> None:  # type: ignore[no-untyped-def]
    name = route.request.url.rsplit("/", 1)[-1]
    path = MEDIA / name
    if "/media/" in route.request.url and path.is_file():
        route.fulfill(status=200, content_type="image/png", body=path.read_bytes())
    else:
        route.abort()


@pytest.mark.sqlite_only
@pytest.mark.browser
def test_demo_digest_reads_right_to_left_on_phone_and_desktop(
    chromium,
    demo_runtime: Callable[[str], Runtime],
    database_url: str,  # type: ignore[no-untyped-def]
) -> None:
    runtime = demo_runtime("")
    rendered = prepare_digest(runtime, find_digest(runtime.settings, "daily"), now=DEMO_NOW)
    assert rendered is not None
    ARTIFACTS.mkdir(exist_ok=True)
    backend = database_url.split(":", 1)[0]
    (ARTIFACTS / f"digest-{backend}.html").write_text(rendered.html, encoding="utf-8")

    for width in (375, 640):
        page = chromium.new_page(viewport={"width": width, "height": 900})
        page.route("**/*", _serve_media)
        page.set_content(rendered.html, wait_until="load")
        facts = page.evaluate(MEASURE)
        page.screenshot(path=str(ARTIFACTS / f"digest-{width}px-{backend}.png"), full_page=True)
        page.close()

        assert facts["html"] == "rtl" and facts["body"] == "rtl"
        # Every teaser, the lead included, has a title block; most have an excerpt too.
        assert facts["titles"] == len(rendered.article_ids) == 10
        assert facts["teasers"] and set(facts["teasers"]) == {"rtl"}, facts["teasers"]
        assert facts["scrollWidth"] <= facts["clientWidth"], f"horizontal scroll at {width}px: {facts}"
        assert facts["images"], "the demo digest has images"
        for image in facts["images"]:
            assert image["alt"], f"image without alt text at {width}px"
            assert image["loaded"], f"image did not load at {width}px: {image}"
            assert image["right"] <= width + 0.5
