"""What Nashra makes of the demo and of a generated archive: digests, teasers, posts, text helpers.

Performance work must not change a byte a reader sees. `test_text_golden.py` compares these
outputs with the ones recorded from the code before it was optimised:

    .venv/bin/python tests/text/golden_outputs.py   # re-record (only when a change is meant)

The generated articles mix what makes text work slow or subtle: harakat, shadda, ZWNJ/ZWJ,
emoji sequences, flags, Latin names, numbers, URLs, quotes and brackets, HTML leads and bodies.
"""

from __future__ import annotations

import hashlib
import json
import random
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from importlib.resources import files
from pathlib import Path
from typing import Any

from nashra.config import Settings, SourceSettings
from nashra.digest.compose import compose as compose_digest
from nashra.digest.render import render_digest
from nashra.forms import fresh_forms
from nashra.model import Article, Image, StoredArticle
from nashra.social.compose import ChannelTemplate, _environment
from nashra.social.compose import compose as compose_post
from nashra.social.counting import bluesky_length, mastodon_length, x_length
from nashra.sources.base import SourceContext
from nashra.sources.folder import FolderOptions, FolderSource
from nashra.store.sources import SourceState
from nashra.text import (
    clean_text,
    grapheme_len,
    isolate_ltr_runs,
    isolate_ltr_runs_html,
    normalize_for_match,
    truncate,
)
from nashra.text.html import excerpt_source

GOLDEN = Path(__file__).parent / "data" / "golden_outputs.json"
NOW = datetime(2026, 11, 30, 6, 0, tzinfo=UTC)
SITE_TOML = {
    "site": {"name": "نشرة الواحة", "locale": "ar_DZ", "timezone": "Africa/Algiers"},
    "digests": [
        {
            "name": "daily",
            "max_items": 20,
            "footer_address": "نشرة الواحة، 12 شارع العربي بن مهيدي، الجزائر العاصمة",
            "footer_legal": "© 2026 نشرة الواحة. يمكنك إلغاء اشتراكك في أي وقت.",
        },
        {"name": "short", "max_items": 20, "teaser_length": 90, "window": 72, "lead": "newest"},
        {"name": "tight", "max_items": 20, "size_budget": 30000, "window": 72},
    ],
}

WORDS = [
    "الانتخابات",
    "المحلية",
    "البرلمان",
    "الحكومة",
    "الولاية",
    "الجزائر",
    "وهران",
    "قسنطينة",
    "الموسم",
    "الفلاحي",
    "الزيتون",
    "المهرجان",
    "الشعر",
    "السينما",
    "الرياضة",
    "كرة",
    "اليد",
    "الاقتصاد",
    "الميناء",
    "الجاف",
    "سطيف",
    "الدفع",
    "الإلكتروني",
    "الأسواق",
    "المياه",
    "الوساطة",
    "الشباب",
    "النساء",
    "المجلس",
    "البلدي",
    "القانون",
    "مشروع",
    "التعديل",
    "الثقة",
    "الناخبين",
]
VOWELLED = ["مُحَمَّد", "الدَّوْلَة", "شَدَّة", "قِيمَةٌ", "مُدَرِّسَةٌ", "إِعْلَان", "ـــالله", "سُنَّة"]
PERSIAN = ["می‌خواهم", "نامه‌ها", "بی‌نظیر"]  # ZWNJ inside words
EMOJI = ["👨‍👩‍👧‍👦", "🇩🇿", "1️⃣", "👍🏽", "❤️", "🏳️‍🌈", "😀"]
LATIN = ["Emmanuel Macron", "BRICS", "l'Algérie", "Jean-Luc", "U.S.", "AT&T", "5G", "COVID-19", "Sonatrach"]
NUMBERS = ["2026", "1,500.25", "10:30", "13/06/2025", "20%", "-5", "+213", "٣٤٥", "١٢٫٥"]
URLS = ["https://nashra.example/a/b?x=1", "www.example.org/path/", "https://ar.wikipedia.org/wiki/الجزائر"]
PUNCT = ["،", "؛", "؟", ".", "!", ":", "…"]


def teaser_text(article: Article, length: int) -> str:
    """The excerpt a teaser of `length` shows (the lead, else the body's first paragraph, cut)."""
    return fresh_forms(article, length).excerpt(length).plain


def _token(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.62:
        return rng.choice(WORDS)
    pools = [VOWELLED, PERSIAN, EMOJI, LATIN, NUMBERS, URLS]
    return rng.choice(rng.choice(pools))


def _sentence(rng: random.Random, words: int) -> str:
    tokens = [_token(rng) for _ in range(words)]
    if rng.random() < 0.3:
        start = rng.randrange(len(tokens))
        opener, closer = rng.choice([("«", "»"), ("(", ")"), ("“", "”"), ('"', '"'), ("[", "]")])
        end = rng.randrange(start, len(tokens))
        tokens[start] = opener + tokens[start]
        if rng.random() < 0.8:  # sometimes left open: truncation must not keep an unmatched opener
            tokens[end] = tokens[end] + closer
    text = " ".join(tokens)
    if rng.random() < 0.1:
        text = text.replace(" ", "\u200f ", 1)  # a stray RLM pasted from a word processor
    return text + rng.choice(PUNCT)


def _paragraph(rng: random.Random) -> str:
    return " ".join(_sentence(rng, rng.randint(4, 18)) for _ in range(rng.randint(1, 5)))


def _body(rng: random.Random) -> str:
    blocks = []
    if rng.random() < 0.3:
        blocks.append(
            f'<figure><img src="/i/{rng.randint(1, 99)}.jpg"><figcaption>{_sentence(rng, 5)}</figcaption></figure>'
        )
    if rng.random() < 0.3:
        blocks.append(f'<p><a href="https://nashra.example/x">اقرأ أيضا: {_sentence(rng, 6)}</a></p>')
    if rng.random() < 0.2:
        blocks.append("<p>الجزائر - نشرة</p>")
    for _ in range(rng.randint(1, 6)):
        kind = rng.random()
        if kind < 0.15:
            blocks.append(f"<h2>{_sentence(rng, 4)}</h2>")
        elif kind < 0.25:
            blocks.append(f"<blockquote>{_paragraph(rng)}</blockquote>")
        else:
            blocks.append(f"<p>{_paragraph(rng)}</p>")
    return "\n".join(blocks)


def generated_articles(count: int = 45, seed: int = 13) -> list[StoredArticle]:
    """A reproducible archive of `count` articles of the demo's shape, with every awkward kind of text."""
    rng = random.Random(seed)
    sections = ["سياسة", "اقتصاد", "ثقافة", "رياضة", "مجتمع", ""]
    out: list[StoredArticle] = []
    for index in range(count):
        title = _sentence(rng, rng.randint(3, 14))
        if index % 17 == 5 and out:  # the same story re-posted with other spellings: dedupe drops it
            title = out[-1].article.title.replace("ا", "أ", 1) + " "
        roll = rng.random()
        if roll < 0.4:
            lead = _paragraph(rng)
        elif roll < 0.55:
            lead = f"<p>{_paragraph(rng)}</p><p>{_paragraph(rng)}</p>"
        elif roll < 0.65:
            lead = " ".join(_paragraph(rng) for _ in range(8))  # a whole body stored as the lead
        else:
            lead = ""
        image = None
        if rng.random() < 0.6:
            alt = rng.choice(["", _sentence(rng, 6), " "])
            image = Image(url=f"https://nashra.example/media/{index}.jpg", alt=alt)
        published = NOW - timedelta(hours=1 + index * 0.8)
        article = Article(
            source="gen",
            guid=f"g{index}",
            url=f"https://nashra.example/{index}/{'خبر' if index % 3 else 'story'}-{index}",
            title=title,
            published_at=published,
            author=rng.choice(["سليمة بن عيسى", "Karim B.", ""]),
            section=rng.choice(sections),
            tags=tuple(rng.sample(["الجزائر", "اقتصاد", "كرة اليد", "COP29", "الشعر", "مُحَمَّد", "5G"], 3)),
            lead=lead,
            body_html=_body(rng),
            image=image,
            language="fr" if index % 23 == 7 else "ar",
        )
        seen = published + timedelta(minutes=5)
        out.append(StoredArticle(id=article.id, article=article, first_seen_at=seen, last_changed_at=seen))
    return out


def demo_articles(settings: Settings) -> list[StoredArticle]:
    demo = Path(str(files("nashra") / "demo"))
    source = FolderSource(
        SourceSettings(type="folder", name="demo", path=str(demo)),
        FolderOptions(path=demo),
        SourceContext(settings, None),
    )  # type: ignore[arg-type]
    seen = NOW - timedelta(hours=1)
    return [
        StoredArticle(id=a.id, article=a, first_seen_at=seen, last_changed_at=seen)
        for a in source.fetch(SourceState("demo", "folder")).articles
    ]


def _digest_outputs(settings: Settings, articles: list[StoredArticle], *, full_html: bool) -> dict[str, Any]:
    """Each digest's parts; the HTML in full for the demo's daily digest, else as its SHA-256."""
    out: dict[str, Any] = {}
    for digest in settings.digests:
        composition = compose_digest(articles, digest, now=NOW)
        if composition is None:
            out[digest.name] = None
            continue
        rendered = render_digest(settings, digest, composition, now=NOW)
        html = (
            rendered.html
            if full_html and digest.name == "daily"
            else hashlib.sha256(rendered.html.encode()).hexdigest()
        )
        out[digest.name] = {
            "subject": rendered.subject,
            "preheader": rendered.preheader,
            "article_ids": list(rendered.article_ids),
            "archive_url": rendered.archive_url,
            "html": html,
            "text": rendered.text,
            "teasers": [[t.id, t.title, t.excerpt, t.image_alt, t.title_key] for t in composition.teasers],
        }
    return out


def _post_outputs(articles: list[StoredArticle]) -> dict[str, list[str]]:
    source = (Path(str(files("nashra.templates"))) / "social" / "default.j2").read_text(encoding="utf-8")
    template = ChannelTemplate(_environment.from_string(source), "default.j2")
    measures: dict[str, tuple[Callable[[str], int], int]] = {
        "x": (x_length, 280),
        "mastodon": (mastodon_length, 500),
        "bluesky": (bluesky_length, 300),
        "graphemes-120": (grapheme_len, 120),
    }
    out: dict[str, list[str]] = {}
    for name, (measure, limit) in measures.items():
        out[name] = [
            compose_post(
                a, template=template, measure=measure, limit=limit, max_hashtags=3, site_name="نشرة"
            ).text
            for a in articles
        ]
    return out


def _helper_outputs(articles: list[StoredArticle]) -> dict[str, list[Any]]:
    texts: list[str] = []
    for stored in articles:
        a = stored.article
        texts += [a.title, excerpt_source(a.lead, a.body_html)]
    return {
        "teaser_text": [[teaser_text(s.article, n) for n in (40, 90, 220, 300)] for s in articles],
        "truncate": [[truncate(t, n) for n in (0, 1, 35, 140, 220)] for t in texts],
        "truncate_x": [truncate(t, 100, measure=x_length) for t in texts],
        "grapheme_len": [grapheme_len(t) for t in texts],
        "isolate": [isolate_ltr_runs(clean_text(t)) for t in texts],
        "isolate_html": [str(isolate_ltr_runs_html(t)) for t in texts],
        "match_key": [normalize_for_match(t) for t in texts],
    }


PARTS = ("digests", "posts", "helpers")


def part(corpus: str, name: str) -> Any:
    """One recorded part: `corpus` is "demo" or "generated", `name` one of PARTS."""
    settings = Settings.model_validate(SITE_TOML)
    articles = demo_articles(settings) if corpus == "demo" else generated_articles()
    if name == "digests":
        return _digest_outputs(settings, articles, full_html=corpus == "demo")
    return _post_outputs(articles) if name == "posts" else _helper_outputs(articles)


def outputs() -> dict[str, Any]:
    return {corpus: {name: part(corpus, name) for name in PARTS} for corpus in ("demo", "generated")}


if __name__ == "__main__":
    GOLDEN.write_text(json.dumps(outputs(), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    sys.stderr.write(f"wrote {GOLDEN} ({GOLDEN.stat().st_size:,} bytes)\n")
