"""Rendering the demo digest: RTL at every level, the text part, the size budget, template errors."""

from __future__ import annotations

import html as htmllib
import re
import tempfile
import unicodedata
from collections.abc import Callable
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import pytest
from digest_helpers import DEMO_NOW, stored
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bidi_checks import graphemes_intact, has_arabic, isolates_balanced, paragraph_direction
from nashra.config.loader import parse_settings
from nashra.digest import find_digest, prepare_digest
from nashra.digest.compose import compose
from nashra.digest.placeholders import UNSUBSCRIBE_URL
from nashra.digest.render import render_digest, rtl_lines
from nashra.errors import ConfigError, TemplateError
from nashra.runtime import Runtime
from nashra.text import LRI, PDI, format_date, rtl_paragraph

# Text with Latin and number runs wrapped in <bdi dir="ltr"> (issue #10).
_TEXT = r'((?:[^<]|<bdi dir="ltr">[^<]+</bdi>)+)'
TITLE_DIV = re.compile(
    r'<div class="teaser-title" lang="ar" dir="auto" style="direction:rtl;text-align:right;[^"]*">'
    r'<a href="([^"]+)" style="direction:rtl;[^"]*">' + _TEXT + "</a></div>"
)
EXCERPT_DIV = re.compile(
    r'<div class="teaser-excerpt" lang="ar" dir="auto" style="direction:rtl;text-align:right;[^"]*">'
    + _TEXT
    + "</div>"
)


def _plain(html: str) -> str:
    """HTML text as the text part carries it: unescaped, <bdi> runs as LRI…PDI."""
    return htmllib.unescape(html.replace('<bdi dir="ltr">', LRI).replace("</bdi>", PDI))


def _demo(demo_runtime: Callable[[str], Runtime], extra: str = ""):  # type: ignore[no-untyped-def]
    runtime = demo_runtime(extra)
    rendered = prepare_digest(runtime, find_digest(runtime.settings, None), now=DEMO_NOW)
    assert rendered is not None
    return runtime, rendered


@pytest.mark.sqlite_only
def test_demo_html_is_right_to_left_at_every_level(demo_runtime: Callable[[str], Runtime]) -> None:
    _, rendered = _demo(demo_runtime)
    html = rendered.html
    assert html.startswith('<!doctype html><html lang="ar" dir="rtl"')
    assert re.search(r'<div [^>]*class="digest-body"[^>]*lang="ar" dir="rtl"', html)
    # mjml-python puts direction:ltr on every column unless told otherwise.
    assert "direction:ltr" not in html
    assert html.count("direction:rtl;display:inline-block") >= 10
    # Titles and excerpts: dir="auto" plus inline direction and alignment (checked by the regexes).
    titles = TITLE_DIV.findall(html)
    assert len(titles) == len(rendered.article_ids) == 10
    assert len(EXCERPT_DIV.findall(html)) == 10
    # Direction on links and table cells is CSS, never the dir attribute (Outlook 2007–2019).
    assert not re.search(r"<(?:a|td|th|table)\b[^>]*\sdir=", html)
    # Fonts: an Arabic stack ending with Outlook-safe fonts, and an Outlook-only fallback.
    assert "font-family:Segoe UI, Geeza Pro, Noto Sans Arabic, Tahoma, Arial, sans-serif;" in html
    assert re.search(
        r"<!--\[if mso\]><style[^>]*>[^<]*font-family: Tahoma, Arial[^<]*mso-font-alt: Tahoma", html
    )
    assert "fonts.googleapis.com" not in html  # no Latin web fonts by default
    for img in re.findall(r"<img\b[^>]*>", html):
        assert re.search(r'\salt="[^"]+"', img), img
    # mjml-python writes marks in attributes as "\u{651}" unless they arrive as references.
    assert "\\u{" not in html
    assert 'alt="رافعة تفرغ حاويات ملو&#x651;نة' in html
    # Masthead date in the site's locale and zone, preheader, footer, archive and unsubscribe links.
    assert format_date(DEMO_NOW, locale="ar_DZ", tz="Africa/Algiers", format="full") in html
    assert htmllib.escape(rendered.preheader, quote=False) in html
    assert '<bdi dir="ltr">12</bdi> شارع العربي بن مهيدي' in html and "© 2026 نشرة الواحة" in html
    assert f'href="{UNSUBSCRIBE_URL}"' in html and f'href="{rendered.archive_url}"' in html
    assert rendered.archive_url.startswith("https://nashra.example/digests/daily/2026-11-30-")
    assert "المزيد على الموقع" not in html


@pytest.mark.sqlite_only
def test_web_font_is_first_in_the_stack_and_imported(demo_runtime: Callable[[str], Runtime]) -> None:
    _, rendered = _demo(
        demo_runtime,
        'web_font_family = "Noto Naskh Arabic"\nweb_font_url = "https://fonts.example/naskh.css"\n',
    )
    assert (
        "font-family:Noto Naskh Arabic, Segoe UI, Geeza Pro, Noto Sans Arabic, Tahoma, Arial, sans-serif;"
        in rendered.html
    )
    assert '<link href="https://fonts.example/naskh.css" rel="stylesheet"' in rendered.html


@pytest.mark.sqlite_only
def test_plain_text_has_every_title_excerpt_and_link_in_reading_order(
    demo_runtime: Callable[[str], Runtime],
) -> None:
    _, rendered = _demo(demo_runtime)
    html = rendered.html
    expected: list[str] = []
    excerpts = [_plain(e) for e in EXCERPT_DIV.findall(html)]
    for (url, title), excerpt in zip(TITLE_DIV.findall(html), excerpts, strict=True):
        expected += [_plain(title), excerpt, htmllib.unescape(url)]
    assert len(expected) == 30
    position = 0
    for piece in expected:
        found = rendered.text.find(piece, position)
        assert found >= 0, f"missing or out of order in the text part: {piece}"
        position = found + len(piece)
    # The demo repeats one story under another id with "…" for "..": it appears once.
    assert rendered.text.count("هل تستعيد البلديات ثقة الناخبين") == 1
    assert UNSUBSCRIBE_URL in rendered.text and rendered.archive_url in rendered.text
    assert "<" not in rendered.text.replace("<-", "")


@pytest.mark.sqlite_only
def test_over_budget_digest_drops_teasers_from_the_end(demo_runtime: Callable[[str], Runtime]) -> None:
    _, full = _demo(demo_runtime)
    _, small = _demo(demo_runtime, "size_budget = 30000\n")
    assert len(full.html.encode()) > 30_000
    assert len(small.html.encode()) <= 30_000
    assert 1 < len(small.article_ids) < len(full.article_ids)
    assert small.article_ids == full.article_ids[: len(small.article_ids)]
    assert "المزيد على الموقع" in small.html and 'href="https://nashra.example"' in small.html
    assert "المزيد على الموقع: https://nashra.example" in small.text
    # The text part carries exactly what the HTML kept; the footer (unsubscribe) survives.
    dropped_title = TITLE_DIV.findall(full.html)[len(small.article_ids)][1]
    assert htmllib.unescape(dropped_title) not in small.text
    assert UNSUBSCRIBE_URL in small.html


def test_empty_digest_is_not_prepared(make_runtime: Callable[[str], Runtime], tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    runtime = make_runtime(
        '[[sources]]\ntype = "folder"\nname = "desk"\npath = "empty"\n\n[[digests]]\nname = "daily"\n'
    )
    assert prepare_digest(runtime, find_digest(runtime.settings, "daily"), now=DEMO_NOW) is None


def _settings(toml: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    return parse_settings(toml, origin=str(tmp_path / "nashra.toml"), base_dir=tmp_path)


def test_subject_isolates_latin_and_number_runs(tmp_path: Path) -> None:
    settings = _settings('[[digests]]\nname = "d"\nsubject = "{{ site.name }}: {{ lead.title }}"\n', tmp_path)
    article = stored("mix", title="شركة BlueDune Telecom تضخ 3.5 مليون يورو في نادي 2026")
    composition = compose([article], settings.digests[0], now=datetime(2026, 11, 30, tzinfo=UTC))
    assert composition is not None
    rendered = render_digest(
        settings, settings.digests[0], composition, now=datetime(2026, 11, 30, tzinfo=UTC)
    )
    assert rendered.subject == (
        f"نشرة: شركة {LRI}BlueDune Telecom{PDI} تضخ {LRI}3.5{PDI} مليون يورو في نادي {LRI}2026{PDI}"
    )
    # In the HTML (and so in the web-archive copy) the same runs are <bdi>, not controls.
    assert '<bdi dir="ltr">BlueDune Telecom</bdi> تضخ <bdi dir="ltr">3.5</bdi> مليون' in rendered.html
    # The text part isolates them too.
    assert f"شركة {LRI}BlueDune Telecom{PDI} تضخ {LRI}3.5{PDI} مليون" in rendered.text


_MIXED = st.sampled_from(
    [
        "قال",
        "الوزير",
        "مُحَمَّد",
        "BRICS",
        "9 May 2025",
        "COVID-19",
        "iPhone 15 Pro",
        "G20",
        "5G",
        "10:30",
        "١٢٠",
        "👨\u200d👩\u200d👧",
        "🇩🇿",
        "e\u0301",
        "l'Algérie",
        " ",
        "، ",
        ": ",
        "«",
        "»",
        "-",
    ]
)


@cache
def _mixed_settings():  # type: ignore[no-untyped-def]
    toml = '[[digests]]\nname = "d"\nsubject = "{{ lead.title }}"\npreheader = "{{ titles|join(\' · \') }}"\n'
    base = Path(tempfile.gettempdir())
    return parse_settings(toml, origin=str(base / "nashra.toml"), base_dir=base)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(title=st.lists(_MIXED, min_size=1, max_size=10), lead=st.lists(_MIXED, max_size=12))
def test_digest_texts_holding_arabic_are_right_to_left(title: list[str], lead: list[str]) -> None:
    """Subject, preheader and every line of the text part: RTL when they hold Arabic, balanced
    isolates, no grapheme split (issue #10), whatever mix of Arabic, Latin, numbers and emoji."""
    configured = _mixed_settings()
    now = datetime(2026, 11, 30, tzinfo=UTC)
    article = stored("p", title="".join(title).strip() or "خبر", lead="".join(lead))
    composition = compose([article], configured.digests[0], now=now)
    assert composition is not None
    rendered = render_digest(configured, configured.digests[0], composition, now=now)
    for text in (rendered.subject, rendered.preheader, *rendered.text.split("\n")):
        assert isolates_balanced(text), text
        assert graphemes_intact(text), text
        if has_arabic(text):
            assert paragraph_direction(text) == "rtl", text


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        _MIXED
        | st.sampled_from(["\n", "\n\n", "== ", "--", "«", "• ", "(", "\u2066", "\u2069", "\u200f", "ب"])
    )
)
def test_text_part_lines_are_each_made_right_to_left(pieces: list[str]) -> None:
    """Only the lines not opening with an Arabic letter (after neutral punctuation) are looked at:
    the same as every line."""
    text = "".join(pieces)
    assert rtl_lines(text) == "\n".join(rtl_paragraph(line) for line in text.split("\n"))


def test_lines_passed_over_open_with_neutrals_then_an_arabic_letter() -> None:
    """What makes passing over them exact: `rtl_paragraph` finds an Arabic letter first."""
    from nashra.digest.render import _NEUTRAL_OPENERS

    for char in _NEUTRAL_OPENERS:
        assert unicodedata.bidirectional(char) not in ("L", "R", "AL", "LRI", "RLI", "FSI"), hex(ord(char))
    assert {unicodedata.bidirectional(chr(code)) for code in range(0x621, 0x64B)} == {"AL"}


def test_templates_are_overridable_by_path(tmp_path: Path) -> None:
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "short.txt.j2").write_text(
        "{% include 'head.txt.j2' %}{% for t in [lead] %}* {{ t.title }} <{{ t.url }}>{% endfor %}\n",
        encoding="utf-8",
    )
    (tmp_path / "mine" / "head.txt.j2").write_text("{{ site.name }} / {{ digest.name }}\n", encoding="utf-8")
    settings = _settings('[[digests]]\nname = "d"\ntext_template = "mine/short.txt.j2"\n', tmp_path)
    now = datetime(2026, 11, 30, tzinfo=UTC)
    article = stored("o", title="عنوان & <عنوان>")
    composition = compose([article], settings.digests[0], now=now)
    assert composition is not None
    rendered = render_digest(settings, settings.digests[0], composition, now=now)
    assert rendered.text == f"نشرة / d\n* عنوان & <عنوان> <{article.article.url}>"  # text is not escaped
    assert "عنوان &amp; &lt;عنوان&gt;" in rendered.html  # the bundled HTML template still is


def test_template_errors_name_the_template_and_line(tmp_path: Path) -> None:
    article = stored("t")
    (tmp_path / "broken.mjml.j2").write_text(
        "<mjml>\n<mj-body>\n{{ lead.no_such_field }}\n</mj-body></mjml>\n", encoding="utf-8"
    )
    (tmp_path / "syntax.txt.j2").write_text(
        "{{ site.name }}\n{% if lead %}\n{{ lead.title }\n", encoding="utf-8"
    )
    (tmp_path / "bad.mjml.j2").write_text(
        "<mjml><mj-body><mj-section>\n</mj-body></mjml>\n", encoding="utf-8"
    )
    now = datetime(2026, 11, 30, tzinfo=UTC)
    cases = [
        ('html_template = "broken.mjml.j2"', r"broken\.mjml\.j2:3: template error: .*no_such_field"),
        ('text_template = "syntax.txt.j2"', r"syntax\.txt\.j2:3: template syntax error"),
        ('html_template = "bad.mjml.j2"', r"bad\.mjml\.j2: MJML the template produced is invalid"),
        ('html_template = "missing.mjml.j2"', r"missing\.mjml\.j2: template file not found"),
        (
            'subject = "{{ site.name }}\\n{{ nothing_here }}"',
            r"nashra\.toml:\d+: digests\[0\]\.subject:2: .*nothing_here",
        ),
    ]
    for line, pattern in cases:
        settings = _settings(f'[[digests]]\nname = "d"\n{line}\n', tmp_path)
        composition = compose([article], settings.digests[0], now=now)
        assert composition is not None
        with pytest.raises(TemplateError) as caught:
            render_digest(settings, settings.digests[0], composition, now=now)
        assert re.search(pattern, str(caught.value)), str(caught.value)


def test_config_rejects_bad_digest_keys(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        _settings(
            '[[digests]]\nname = "d"\nschedule = "every morning"\nsubject = "{{ site.name "\n'
            'window = "weekly"\n',
            tmp_path,
        )
    text = str(caught.value)
    for key in ("schedule", "subject", "window"):
        assert f"digests[0].{key}" in text
    assert "nashra.toml:4" in text  # the subject's line
    with pytest.raises(ConfigError, match="web_font_family and web_font_url go together"):
        _settings('[[digests]]\nname = "d"\nweb_font_url = "https://f.example/x.css"\n', tmp_path)
    settings = _settings('[[digests]]\nname = "a"\n[[digests]]\nname = "a"\n', tmp_path)
    with pytest.raises(ConfigError, match="repeated: a"):
        find_digest(settings, None)
    with pytest.raises(ConfigError, match="no digest named 'b'; known: a"):
        find_digest(_settings('[[digests]]\nname = "a"\n', tmp_path), "b")
    assert find_digest(_settings("", tmp_path), None).name == "daily"
