"""Render time of a 20-teaser digest against MJML compilation alone of the same markup, and its size.

    .venv/bin/python bench/digest_render.py [--runs N]

Full render = compose (window, dedupe, lead, sections, teasers) + Jinja2 -> MJML + mjml-python ->
HTML + the text part + subject/preheader. Baseline = `mjml2html` alone on the exact MJML markup
the full render produced, timed in the same process and run. Medians of N runs each.
The 20 articles are the bundled demo articles read twice under different ids and titles.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from importlib.resources import files
from pathlib import Path

from mjml import mjml2html

from nashra.config import Settings, SourceSettings
from nashra.digest.compose import compose
from nashra.digest.render import DigestRenderer, render_digest
from nashra.digest.size import GMAIL_CLIP_BYTES, html_bytes
from nashra.model import StoredArticle
from nashra.sources.base import SourceContext
from nashra.sources.folder import FolderOptions, FolderSource
from nashra.store.sources import SourceState

NOW = datetime(2026, 11, 30, 6, 0, tzinfo=UTC)
SECTIONS = ["سياسة", "اقتصاد", "ثقافة", "رياضة", "مجتمع", "دولي"]


def twenty_articles(settings: Settings) -> list[StoredArticle]:
    demo = Path(str(files("nashra") / "demo"))
    source = FolderSource(
        SourceSettings(type="folder", name="demo", path=str(demo)),
        FolderOptions(path=demo),
        SourceContext(settings, None),
    )  # type: ignore[arg-type]
    articles = [a for a in source.fetch(SourceState("demo", "folder")).articles if "repost" not in a.guid]
    out: list[StoredArticle] = []
    for round_ in range(2):
        for index, article in enumerate(articles):
            copy = replace(
                article,
                guid=f"{article.guid}-{round_}",
                url=f"{article.url}-{round_}",
                title=f"{article.title} ({round_ + 1})",
                section=SECTIONS[(index + round_) % len(SECTIONS)],
                published_at=NOW - timedelta(hours=2 + index + 10 * round_),
            )
            seen = NOW - timedelta(hours=1)
            out.append(StoredArticle(id=copy.id, article=copy, first_seen_at=seen, last_changed_at=seen))
    return out[:20]


def median_ms(fn, runs: int) -> float:  # type: ignore[no-untyped-def]
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()

    settings = Settings.model_validate({"digests": [{"name": "bench", "max_items": 20}]})
    digest = settings.digests[0]
    articles = twenty_articles(settings)

    def full() -> None:
        composition = compose(articles, digest, now=NOW)
        assert composition is not None
        render_digest(settings, digest, composition, now=NOW)

    composition = compose(articles, digest, now=NOW)
    assert composition is not None and len(composition.teasers) == 20
    rendered = render_digest(settings, digest, composition, now=NOW)
    renderer = DigestRenderer(settings, digest)
    context = renderer.context(
        composition, NOW, subject=rendered.subject, preheader=rendered.preheader, archive=rendered.archive_url
    )
    markup = renderer.mjml(context)

    def mjml_only() -> None:
        mjml2html(markup, disable_comments=True, fonts={})

    full()  # warm-up: template compilation and imports are not part of a render
    mjml_only()
    # Interleaved, so every measurement sees the same machine load (the host is shared).
    steps = {
        "full": full,
        "mjml": mjml_only,
        "compose": lambda: compose(articles, digest, now=NOW),
        "jinja": lambda: renderer.mjml(context),
        "text": lambda: renderer.text(context),
    }
    samples: dict[str, list[float]] = {name: [] for name in steps}
    for _ in range(args.runs):
        for name, step in steps.items():
            samples[name].append(median_ms(step, 1))
    full_median, mjml_median, compose_ms, jinja_ms, text_ms = (statistics.median(samples[n]) for n in steps)
    size = html_bytes(rendered.html)
    print(f"python {sys.version.split()[0]}, {args.runs} runs each, medians")
    print(
        f"teasers in the digest:                  {len(rendered.article_ids)} of {len(composition.teasers)} "
        f"(budget {digest.size_budget:,} bytes)"
    )
    print(f"full render (compose+Jinja2+MJML+text): {full_median:8.2f} ms")
    print(f"baseline: mjml2html alone, same markup: {mjml_median:8.2f} ms")
    print(f"ratio full / MJML alone:                {full_median / mjml_median:8.2f}x")
    print(f"  of which compose (teasers: truncate): {compose_ms:8.2f} ms")
    print(f"  of which Jinja2 -> MJML markup:       {jinja_ms:8.2f} ms")
    print(f"  of which text part (Jinja2):          {text_ms:8.2f} ms")
    print(
        f"HTML size:                              {size:,} bytes "
        f"({size / GMAIL_CLIP_BYTES:.0%} of Gmail's ~{GMAIL_CLIP_BYTES:,}-byte clip)"
    )
    print(
        f"MJML markup size:                       {len(markup.encode()):,} bytes; "
        f"text part {len(rendered.text.encode()):,} bytes"
    )


if __name__ == "__main__":
    main()
