"""The subscriber pages come from Jinja2 templates: autoescaped, and replaceable file by file from the
operator's `[web] templates` folder (relative to the config file), like the digest templates."""

from __future__ import annotations

import email
import email.policy
from collections.abc import Callable
from email.message import EmailMessage
from importlib.resources import files
from pathlib import Path

import httpx
import pytest

from loopback import live_app
from nashra.errors import TemplateError
from nashra.runtime import Runtime
from nashra.web.app import create_app
from nashra.web.pages import WEB_TEMPLATES, Pages
from nashra.web.subscriptions import PAGES, confirmation_message

TOML = '[site]\nname = "نشرة الواحة"\n\n[web]\npublic_url = "https://oasis.example/news"\n'


@pytest.fixture(autouse=True)
def _secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NASHRA_SECRET", "web-test-secret")


def _write(folder: Path, name: str, text: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")


def test_every_page_is_bundled() -> None:
    bundled = files("nashra.templates").joinpath(WEB_TEMPLATES)
    for name in (*PAGES, "base.html"):
        assert bundled.joinpath(name).is_file(), name


def test_operator_page_replaces_the_bundled_one_and_keeps_the_bundled_layout(
    make_runtime: Callable[[str], Runtime], tmp_path: Path
) -> None:
    _write(
        tmp_path / "site-templates",
        "subscribe.html",
        '{% extends "base.html" %}{% block title %}انضم إلى {{ site.name }}{% endblock %}'
        '{% block content %}<p class="own">نص غرفة الأخبار</p>{% endblock %}',
    )
    runtime = make_runtime(TOML + 'templates = "site-templates"\n')
    with live_app(create_app(runtime.settings, runtime=runtime)) as base:
        own = httpx.get(f"{base}/subscribe")
        bundled = httpx.get(f"{base}/confirm/not-a-token")
    assert own.status_code == 200 and own.headers["cache-control"] == "no-store"
    assert '<p class="own">نص غرفة الأخبار</p>' in own.text
    assert "<h1>انضم إلى نشرة الواحة</h1>" in own.text
    assert '<html lang="ar" dir="rtl">' in own.text  # the bundled base.html
    assert bundled.status_code == 400 and "رابط غير صالح" in bundled.text


def test_operator_layout_applies_to_every_page(
    make_runtime: Callable[[str], Runtime], tmp_path: Path
) -> None:
    _write(
        tmp_path / "site-templates",
        "base.html",
        '<html lang="ar" dir="rtl"><title>{% block title %}{% endblock %}</title>'
        '<body class="newsroom">{% block content %}{% endblock %}</body></html>',
    )
    runtime = make_runtime(TOML + 'templates = "site-templates"\n')
    with live_app(create_app(runtime.settings, runtime=runtime)) as base:
        for path in ("/subscribe", "/confirm/not-a-token", "/unsubscribe/not-a-token"):
            assert '<body class="newsroom">' in httpx.get(f"{base}{path}").text, path


def test_user_values_are_escaped(make_runtime: Callable[[str], Runtime]) -> None:
    runtime = make_runtime(TOML.replace("نشرة الواحة", "<i>نشرة</i>"))
    with live_app(create_app(runtime.settings, runtime=runtime)) as base:
        form = httpx.post(
            f"{base}/subscribe",
            headers={"Origin": "https://oasis.example"},
            data={"email": '"><script>alert(1)</script>@', "name": "<script>alert(2)</script>"},
        )
    assert form.status_code == 400 and "عنوان البريد غير صحيح" in form.text
    assert "<script>" not in form.text and "<i>" not in form.text
    assert 'value="&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;@"' in form.text
    assert 'value="&lt;script&gt;alert(2)&lt;/script&gt;"' in form.text
    assert "<title>الاشتراك في &lt;i&gt;نشرة&lt;/i&gt;</title>" in form.text


def test_template_mistakes_stop_the_app_at_start_naming_file_and_line(
    make_runtime: Callable[[str], Runtime], tmp_path: Path
) -> None:
    _write(tmp_path / "site-templates", "confirmed.html", '{% extends "base.html" %}\n{% block content %}\n')
    runtime = make_runtime(TOML + 'templates = "site-templates"\n')
    with pytest.raises(TemplateError) as caught:
        create_app(runtime.settings, runtime=runtime)
    assert caught.value.where.endswith("confirmed.html:2")

    missing = make_runtime(TOML + 'templates = "no-such-folder"\n')
    with pytest.raises(TemplateError, match="templates folder not found"):
        create_app(missing.settings, runtime=missing)


def test_the_confirmation_mail_comes_from_templates_escaped_only_in_its_html_part(
    make_runtime: Callable[[str], Runtime], tmp_path: Path
) -> None:
    _write(tmp_path / "site-templates", "confirm_email.txt", "{{ site.name }}: افتح {{ link }}\n")
    runtime = make_runtime(
        TOML.replace("نشرة الواحة", "نشرة <الواحة> & Co") + 'templates = "site-templates"\n'
    )
    link = "https://oasis.example/news/confirm/t0k?a=1&b=2"
    raw = confirmation_message(runtime.settings, Pages(runtime.settings, PAGES), "reader@example.com", link)
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert message["Subject"] == "أكّد اشتراكك في نشرة <الواحة> & Co"
    assert text is not None and text.get_content() == f"نشرة <الواحة> & Co: افتح {link}\n"  # the operator's
    assert html is not None
    assert "نشرة &lt;الواحة&gt; &amp; Co" in html.get_content()  # the bundled one, autoescaped
    assert 'href="https://oasis.example/news/confirm/t0k?a=1&amp;b=2"' in html.get_content()
