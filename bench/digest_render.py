"""Compose + render of a 20-teaser digest against `mjml2html` alone on the same MJML markup.

    .venv/bin/python bench/digest_render.py [--rounds N]

Measured = compose (window, dedupe, lead, sections, teasers) + subject and preheader + Jinja2 ->
MJML + mjml-python -> HTML (within the size budget) + the text part: `render_digest(compose(...))`.
Baseline = `mjml2html` alone on the exact MJML markup that render produced. Each round runs every
step once, interleaved, so all of them see the same load on this shared machine; figures are
medians over the rounds. Times are CPU time of the process (see `timed`).

Three measured cases. Before each cold one every in-memory cache Nashra keeps (`CACHED`: memoised
text functions, forms computed on first use, rendered teaser blocks, memoised dates, slugs and
attribute values) is cleared. Compiled templates, parsed locales and date patterns are kept in all
three: each is once per process (the config is checked at start), not per render.
- "cold, stored forms": a first render of new articles, as they come out of the store after
  ingest. The timed step starts from each article's forms as the column holds them (JSON text)
  and decodes them and builds the StoredArticles as `store.articles` does, then composes and
  renders: no text work is left but what depends on the issue (subject, preheader, templates).
- "cold, no forms": a first render of rows stored before forms existed (or of articles not from
  the store): every form is computed on first use, inside the timed step.
- "warm": the same StoredArticles again with every cache kept (the issue sent after its preview,
  another digest carrying the same stories): teaser blocks come from the fragment cache.
"where the time goes" times each step of a render alone, cold and warm, in the same rounds;
"the rest" is a whole render less those steps: the calls between them (renderer, fitting to the
budget, the result record) and what a step costs more inside a render than run alone.

The 20 articles are the 10 bundled demo articles read twice under new ids, titles and sections;
the second copy has no lead, so its excerpt comes from the body's first paragraph (as for feeds
that send only content:encoded). The per-article figures time each text step on those 20.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from importlib.resources import files
from pathlib import Path

from mjml import mjml2html

from nashra.config import Settings, SourceSettings
from nashra.digest.archive import archive_url
from nashra.digest.compose import compose
from nashra.digest.mjml_compat import compile_mjml
from nashra.digest.render import DigestRenderer, composition_context, render_digest, site_context
from nashra.digest.size import GMAIL_CLIP_BYTES, html_bytes
from nashra.digest.subject import render_preheader, render_subject
from nashra.forms import forms_from_json, forms_to_json, prepare_forms
from nashra.model import StoredArticle
from nashra.sources.base import SourceContext
from nashra.sources.folder import FolderOptions, FolderSource
from nashra.store.database import dumps_json, loads_json
from nashra.store.sources import SourceState
from nashra.text import clean_text, html_to_text, normalize_for_match, truncate
from nashra.text.html import excerpt_source

NOW = datetime(2026, 11, 30, 6, 0, tzinfo=UTC)
Step = tuple[Callable[[], object], Callable[[], object]]
"""(untimed preparation, timed step)"""
SECTIONS = ["سياسة", "اقتصاد", "ثقافة", "رياضة", "مجتمع", "دولي"]
# In-memory caches (memoised text functions, fresh forms, rendered template blocks), by module and
# name, each with a `cache_clear`; absent ones (older code) are skipped.
CACHED = [
    ("nashra.text.clean", "normalize_for_match"),
    ("nashra.text.bidi", "_ltr_run_spans"),
    ("nashra.text.html", "excerpt_source"),
    ("nashra.forms", "fresh_forms"),
    ("nashra.digest.fragments", "FRAGMENTS"),
    ("nashra.digest.subject", "preheader_text"),
    ("nashra.digest.compose", "_split_canonical"),
    ("nashra.digest.compose", "direction"),
    ("nashra.text.slug", "slugify"),
    ("nashra.text.dates", "_format_day"),
    ("nashra.digest.mjml_compat", "_attr_of_text"),
]


def clear_text_caches() -> None:
    for module, name in CACHED:
        function = getattr(sys.modules.get(module), name, None)
        getattr(function, "cache_clear", lambda: None)()


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
                lead=article.lead if round_ == 0 else "",
                section=SECTIONS[(index + round_) % len(SECTIONS)],
                published_at=NOW - timedelta(hours=2 + index + 10 * round_),
            )
            seen = NOW - timedelta(hours=1)
            out.append(StoredArticle(id=copy.id, article=copy, first_seen_at=seen, last_changed_at=seen))
    return out[:20]


def timed(fn: Callable[[], object]) -> float:
    """CPU time of this process in ms: on a shared, loaded machine wall time mostly measures the
    other tenants (a 50 ms step is preempted far more often than a 2 ms one); every step here is
    CPU-bound in this process, mjml-python's Rust included."""
    start = time.process_time()
    fn()
    return (time.process_time() - start) * 1000


def per_article_us(
    step: Callable[[StoredArticle], object], articles: list[StoredArticle], rounds: int
) -> float:
    """Median over rounds of one pass over the articles, caches cleared first, in µs per article."""
    samples = []
    for _ in range(rounds):
        clear_text_caches()
        samples.append(timed(lambda: [step(a) for a in articles]) * 1000 / len(articles))
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()

    settings = Settings.model_validate({"digests": [{"name": "bench", "max_items": 20}]})
    digest = settings.digests[0]
    bare = twenty_articles(settings)
    # The forms column as ingest wrote it (the store's own serializer): JSON text, keyed by each
    # article's content hash.
    hashes = [a.article.content_hash for a in bare]
    stored_forms = [
        dumps_json(forms_to_json(prepare_forms(a.article, [digest.teaser_length]), h))
        for a, h in zip(bare, hashes, strict=True)
    ]

    def from_store() -> list[StoredArticle]:
        """As `store.articles` builds them from rows (the other columns are already Python values)."""
        return [
            StoredArticle(
                a.id,
                a.article,
                a.first_seen_at,
                a.last_changed_at,
                forms=forms_from_json(loads_json(text), h),
            )
            for a, text, h in zip(bare, stored_forms, hashes, strict=True)
        ]

    articles = from_store()

    def render(items: list[StoredArticle]) -> None:
        composition = compose(items, digest, now=NOW)
        assert composition is not None
        render_digest(settings, digest, composition, now=NOW)

    def full() -> None:
        render(articles)

    composition = compose(articles, digest, now=NOW)
    assert composition is not None and len(composition.teasers) == 20
    rendered = render_digest(settings, digest, composition, now=NOW)
    assert len(rendered.article_ids) == 20, "the size budget dropped teasers: not the same markup"
    renderer = DigestRenderer(settings, digest)
    context = renderer.context(
        site_context(settings, digest, NOW),
        composition,
        subject=rendered.subject,
        preheader=rendered.preheader,
        archive=rendered.archive_url,
    )
    markup = renderer.mjml(context)

    def mjml_only() -> None:
        mjml2html(markup, disable_comments=True, fonts={})

    def cold(step: Callable[[], object]) -> Step:
        """Run with every cache cleared first (the clearing itself is not timed)."""
        return clear_text_caches, step

    def warm(step: Callable[[], object]) -> Step:
        return (lambda: None), step

    full()  # warm-up: template compilation and imports are not part of a render
    mjml_only()
    render(bare)
    headers = {**site_context(settings, digest, NOW), **composition_context(composition)}

    def subject_and_preheader() -> None:
        render_subject(digest.subject, headers, where="subject")
        render_preheader(digest.preheader, headers, where="preheader")

    def contexts() -> None:
        """What a render builds around the templates: its contexts and the archive URL."""
        site = site_context(settings, digest, NOW)
        archive = archive_url(settings, digest, composition.article_ids, NOW)
        renderer.context(
            site, composition, subject=rendered.subject, preheader=rendered.preheader, archive=archive
        )

    # Each round runs these in this order; a warm step runs on the caches the cold one before it
    # filled. The parts time one step of a render each, alone (so their sum is not the total).
    steps: dict[str, Step] = {
        "cold_bare": cold(lambda: render(bare)),
        "cold": cold(lambda: render(from_store())),
        "mjml": warm(mjml_only),
        "warm": warm(full),
        "decode": warm(from_store),
        "compose_cold": cold(lambda: compose(articles, digest, now=NOW)),
        "compose_warm": warm(lambda: compose(articles, digest, now=NOW)),
        "headers_cold": cold(subject_and_preheader),
        "headers_warm": warm(subject_and_preheader),
        "contexts_cold": cold(contexts),
        "contexts_warm": warm(contexts),
        "jinja_cold": cold(lambda: renderer.mjml(context)),
        "jinja_warm": warm(lambda: renderer.mjml(context)),
        "compile": warm(lambda: compile_mjml(markup, where="bench")),
        "size": warm(lambda: html_bytes(rendered.html)),
        "text_cold": cold(lambda: renderer.text(context)),
        "text_warm": warm(lambda: renderer.text(context)),
    }
    samples: dict[str, list[float]] = {name: [] for name in steps}
    for _ in range(args.rounds):
        for name, (before, step) in steps.items():
            before()
            samples[name].append(timed(step))
    median = {name: statistics.median(values) for name, values in samples.items()}

    lead_source = {a.id: excerpt_source(a.article.lead, a.article.body_html) for a in articles}
    whole_body = {a.id: clean_text(html_to_text(a.article.body_html)) for a in articles}
    per_article = {
        "clean_text(body)": lambda a: clean_text(a.article.body_html, keep_newlines=True),
        "excerpt_source(lead, body)": lambda a: excerpt_source(a.article.lead, a.article.body_html),
        "truncate(excerpt, 220)": lambda a: truncate(lead_source[a.id], 220),
        "truncate(whole body text, 220)": lambda a: truncate(whole_body[a.id], 220),
        "normalize_for_match(title)": lambda a: normalize_for_match(a.article.title),
        "prepare_forms (once, at ingest)": lambda a: prepare_forms(a.article, [digest.teaser_length]),
    }

    size = html_bytes(rendered.html)
    print(
        f"python {sys.version.split()[0]}, {args.rounds} rounds, each step once per round, medians of CPU time"
    )
    print(
        f"teasers in the digest:                   {len(rendered.article_ids)} (budget {digest.size_budget:,} bytes)"
    )
    print(f"compose+render, cold, stored forms:      {median['cold']:8.2f} ms")
    print(f"compose+render, cold, no forms:          {median['cold_bare']:8.2f} ms")
    print(f"compose+render, warm (same articles):    {median['warm']:8.2f} ms")
    print(f"baseline: mjml2html alone, same markup:  {median['mjml']:8.2f} ms")
    print(f"ratio cold, stored forms / MJML alone:   {median['cold'] / median['mjml']:8.2f}x")
    print(f"ratio cold, no forms / MJML alone:       {median['cold_bare'] / median['mjml']:8.2f}x")
    print(f"ratio warm / MJML alone:                 {median['warm'] / median['mjml']:8.2f}x")
    print("where the time goes, each step alone (ms):   cold    warm")
    print(f"  decode the stored forms (JSON)           {median['decode']:6.2f}       -")
    parts = [
        ("compose", "compose"),
        ("subject + preheader", "headers"),
        ("contexts + archive URL", "contexts"),
        ("Jinja2 -> MJML markup", "jinja"),
        ("text part", "text"),
    ]
    for label, key in parts:
        print(f"  {label:39s}  {median[key + '_cold']:6.2f}  {median[key + '_warm']:6.2f}")
    print(f"  compile_mjml: mjml2html + escape check   {median['compile']:6.2f}  {median['compile']:6.2f}")
    print(f"  HTML size in UTF-8 bytes (budget)        {median['size']:6.2f}  {median['size']:6.2f}")
    accounted = median["compile"] + median["size"]
    rest_cold = median["cold"] - accounted - median["decode"] - sum(median[k + "_cold"] for _, k in parts)
    rest_warm = median["warm"] - accounted - sum(median[k + "_warm"] for _, k in parts)
    print(f"  the rest: a whole render less its steps  {rest_cold:6.2f}  {rest_warm:6.2f}")
    print("per article, caches cleared (µs):")
    for name, step in per_article.items():
        print(f"  {name:37s}  {per_article_us(step, articles, args.rounds):8.1f}")
    print(
        f"HTML size:                               {size:,} bytes "
        f"({size / GMAIL_CLIP_BYTES:.0%} of Gmail's ~{GMAIL_CLIP_BYTES:,}-byte clip)"
    )
    print(
        f"MJML markup size:                        {len(markup.encode()):,} bytes; "
        f"text part {len(rendered.text.encode()):,} bytes"
    )


if __name__ == "__main__":
    main()
