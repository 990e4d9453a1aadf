"""The demo digest in headless Chromium, as a phone (375 px) and a desktop client (640 px) show it.

Screenshots go to tests/artifacts/ for a person to look at.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib.resources import files
from pathlib import Path

import pytest
from digest_helpers import DEMO_NOW

from nashra.digest import find_digest, prepare_digest
from nashra.runtime import Runtime

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
MEDIA = Path(str(files("nashra") / "demo" / "media"))

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


# --- issue #10: Latin words, numbers and dates inside Arabic titles keep their visual order ------

MIXED_TITLES = {
    "oil": "سعر النفط يوم 9 May 2025",
    "brics": "BRICS تجتمع يوم 9 May 2025",
    "g20": "قمة G20 يوم 9 May 2025",
}

# Client rectangles of words found in the text of each title (across <bdi> and text nodes).
WORD_RECTS = """(words) => [...document.querySelectorAll('.teaser-title')].map(el => {
  const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
  const nodes = [];
  let text = '';
  while (walker.nextNode()) { nodes.push([walker.currentNode, text.length]); text += walker.currentNode.data; }
  const at = (index, end) => {
    for (const [node, start] of nodes) {
      const stop = start + node.data.length;
      if (end ? (index > start && index <= stop) : (index >= start && index < stop)) return [node, index - start];
    }
    return null;
  };
  const rects = {};
  for (const word of words) {
    const index = text.indexOf(word);
    if (index < 0) continue;
    const range = document.createRange();
    range.setStart(...at(index, false));
    range.setEnd(...at(index + word.length, true));
    const boxes = [...range.getClientRects()].filter(r => r.width > 0);
    rects[word] = {left: Math.min(...boxes.map(r => r.left)), right: Math.max(...boxes.map(r => r.right)),
                   top: boxes[0].top, lines: new Set(boxes.map(r => Math.round(r.top))).size};
  }
  return {text, rects};
})"""


def _mixed_digest(tmp_path: Path) -> tuple[str, str]:
    """A digest whose titles mix Arabic, Latin words and dates: its email HTML and its web-archive copy."""
    from digest_helpers import DIGEST_TOML, stored

    from nashra.config.loader import parse_settings
    from nashra.digest.archive import public_copy
    from nashra.digest.compose import compose
    from nashra.digest.render import render_digest

    settings = parse_settings(DIGEST_TOML, origin=str(tmp_path / "nashra.toml"), base_dir=tmp_path)
    digest = settings.digests[0]
    articles = [stored(guid, title=title, image=None) for guid, title in MIXED_TITLES.items()]
    composition = compose(articles, digest, now=DEMO_NOW)
    assert composition is not None
    rendered = render_digest(settings, digest, composition, now=DEMO_NOW)
    return rendered.html, public_copy(settings, rendered.html, digest)


@pytest.mark.browser
@pytest.mark.parametrize("width", [375, 640])
def test_latin_and_dates_inside_arabic_titles_keep_their_order(chromium, tmp_path: Path, width: int) -> None:  # type: ignore[no-untyped-def]
    email, archive = _mixed_digest(tmp_path)
    words = ["يوم", "9", "May", "2025", "BRICS", "تجتمع", "G20", "قمة"]
    for name, html in (("email", email), ("archive", archive)):
        page = chromium.new_page(viewport={"width": width, "height": 900})
        page.route("**/*", lambda route: route.abort())
        page.set_content(html, wait_until="load")
        titles = page.evaluate(WORD_RECTS, words)
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"digest-mixed-{name}-{width}px.png"), full_page=True)
        page.close()

        assert len(titles) == len(MIXED_TITLES)
        for title in titles:
            rects = title["rects"]
            shown = f"{name} at {width}px: {title['text']!r} {rects}"
            day, month, year, before = rects["9"], rects["May"], rects["2025"], rects["يوم"]
            assert len({round(r["top"]) for r in (day, month, year, before)}) == 1, f"wrapped: {shown}"
            # Inside the left-to-right run: 9, then May, then 2025, from left to right.
            assert day["right"] <= month["left"] + 0.5 and month["right"] <= year["left"] + 0.5, shown
            # In the right-to-left sentence the Arabic word before the date is to its right.
            assert before["left"] >= max(day["right"], month["right"], year["right"]) - 0.5, shown
            if "BRICS" in rects:  # a title that opens with Latin still starts at the right edge
                assert rects["BRICS"]["left"] >= rects["تجتمع"]["right"] - 0.5, shown
            if "G20" in rects:
                assert rects["G20"]["right"] <= rects["قمة"]["left"] + 0.5, shown
