import re

import pytest
import regex
from hypothesis import given
from hypothesis import strategies as st

from nashra.text import first_paragraph, html_to_text, sanitize_html
from nashra.text.html import _SPACE_RUN, WHITE_SPACE_CLASS, excerpt_source

LEDE = "أعلنت وزارة الموارد المائية عن تشغيل محطة جديدة لتحلية مياه البحر بطاقة إنتاج كبيرة."

ARTICLE = f"""<!DOCTYPE html>
<html><head><title>عنوان الصفحة</title><style>p {{ color: red }}</style></head>
<body>
  <h1>محطة تحلية جديدة في الغرب الجزائري تدخل حيز الخدمة</h1>
  <figure><img src="/img/station.jpg" alt="المحطة">
    <figcaption>صورة المحطة الجديدة كما بدت صباح يوم التدشين الرسمي بحضور الوالي</figcaption></figure>
  <p class="byline">بقلم: مراسلنا</p>
  <p><img src="/img/ad.png"></p>
  <p><a href="/ar/other">اقرأ أيضا: مشاريع التحلية الأخرى المبرمجة في الولايات الساحلية</a></p>
  <blockquote><p>هذا المشروع سيغير حياة السكان في المنطقة بشكل جذري ونهائي</p></blockquote>
  <div class="wp-block-pullquote"><p>اقتباس بارز طويل بما يكفي لتجاوز حد الأربعين حرفا بسهولة</p></div>
  <p class="wp-caption-text">تعليق صورة طويل بما يكفي لتجاوز حد الأربعين حرفا بسهولة تامة</p>
  <p></p>
  <p>{LEDE.replace("جديدة", "<strong>جديدة</strong>")}<script>track()</script></p>
  <p>الفقرة الثانية &amp; تفاصيل&nbsp;أخرى<br>في سطر جديد.</p>
  <ul><li>البند الأول</li><li>البند <em>الثاني</em></li></ul>
</body></html>"""


def test_html_to_text_separates_blocks_and_keeps_line_breaks() -> None:
    text = html_to_text(ARTICLE)
    blocks = text.split("\n\n")
    assert blocks[0] == "محطة تحلية جديدة في الغرب الجزائري تدخل حيز الخدمة"
    assert LEDE in blocks
    assert "الفقرة الثانية & تفاصيل أخرى\nفي سطر جديد." in blocks
    assert blocks[-2:] == ["البند الأول", "البند الثاني"]
    assert "track()" not in text
    assert "color" not in text
    assert "عنوان الصفحة" not in text
    assert "\n\n\n" not in text


def test_html_to_text_collapses_source_whitespace() -> None:
    assert (
        html_to_text("<p>  كلمة\n   أخرى\t<b> ثالثة </b> </p><div>رابعة</div>") == "كلمة أخرى ثالثة\n\nرابعة"
    )


@pytest.mark.parametrize("html", ["", "   ", "<!-- تعليق -->", "<title>عنوان فقط</title>", "<p></p>"])
def test_empty_documents_give_empty_text(html: str) -> None:
    assert html_to_text(html) == ""
    assert first_paragraph(html) is None


def test_control_characters_and_encoding_declarations_do_not_break_parsing() -> None:
    html = '<?xml version="1.0" encoding="iso-8859-1"?><p>نص\x00 سليم\x0b</p>'
    assert html_to_text(html) == "نص سليم"


def test_first_paragraph_skips_headings_captions_quotes_links_and_short_lines() -> None:
    assert first_paragraph(ARTICLE) == LEDE


def test_first_paragraph_accepts_loose_text_and_divs() -> None:
    loose = "هذا نص خبر طويل بلا أي وسوم لكنه يكفي ليكون فقرة أولى مقبولة"
    assert first_paragraph(loose) == loose
    assert first_paragraph(f"<div><h2>عنوان فرعي</h2>{loose}</div>") == loose


def test_first_paragraph_counts_graphemes_not_code_points() -> None:
    # 39 letters, each with a haraka: 78 code points but 39 graphemes -> too short
    short = "بَ" * 39
    assert first_paragraph(f"<p>{short}</p>") is None
    assert first_paragraph(f"<p>{short}بَ</p>") == short + "بَ"


def test_paragraph_with_text_around_a_link_is_kept() -> None:
    html = '<p>قال <a href="/p">رئيس المجلس الشعبي الوطني</a> إن الدورة البرلمانية ستختتم قريبا</p>'
    assert first_paragraph(html) == "قال رئيس المجلس الشعبي الوطني إن الدورة البرلمانية ستختتم قريبا"


def test_sanitize_keeps_safe_structure_and_drops_the_rest() -> None:
    dirty = (
        '<h1>عنوان</h1><p onclick="x()" style="color:red" dir="rtl">فقرة <strong>مهمة</strong>'
        '<script>alert(1)</script><iframe src="https://evil.example"></iframe></p>'
        '<blockquote>اقتباس</blockquote><figure><img src="https://cdn.example.dz/a.jpg" alt="صورة" '
        'onerror="x()"><figcaption>تعليق</figcaption></figure><ul><li><em>بند</em></li></ul>'
    )
    clean = sanitize_html(dirty)
    assert clean == (
        'عنوان<p dir="rtl">فقرة <strong>مهمة</strong></p>'
        "<blockquote>اقتباس</blockquote>"
        '<figure><img src="https://cdn.example.dz/a.jpg" alt="صورة"><figcaption>تعليق</figcaption></figure>'
        "<ul><li><em>بند</em></li></ul>"
    )


def test_sanitize_drops_dangerous_urls() -> None:
    assert sanitize_html('<a href="javascript:alert(1)">رابط</a>') == "رابط"  # see test_link_without_href_…
    assert "data:" not in sanitize_html('<img src="data:image/png;base64,AAAA">')


def test_sanitize_makes_relative_urls_absolute() -> None:
    html = '<p><a href="../economie/1.html">خبر</a><img src="/img/a.jpg" alt=""><img src="//cdn.example.dz/b.jpg"></p>'
    result = sanitize_html(html, base_url="https://news.example.dz/ar/sport/")
    assert 'href="https://news.example.dz/ar/economie/1.html"' in result
    assert 'src="https://news.example.dz/img/a.jpg"' in result
    assert 'src="https://cdn.example.dz/b.jpg"' in result


def test_sanitize_without_base_url_leaves_relative_urls() -> None:
    assert 'href="/ar/x"' in sanitize_html('<a href="/ar/x">خبر</a>')


def test_sanitize_repairs_broken_html_and_removes_controls() -> None:
    assert sanitize_html("<p>فقرة <strong>غير\x00 مغلقة<p>ثانية\u202e") == (
        "<p>فقرة <strong>غير مغلقة</strong></p><p><strong>ثانية</strong></p>"
    )


@pytest.mark.parametrize("base_url", [None, "https://news.example.dz/ar/sport/1"])
@pytest.mark.parametrize("href", ["javascript:alert(1)", "vbscript:x", "", "   ", "data:text/html,x"])
def test_link_without_href_becomes_plain_text(href: str, base_url: str | None) -> None:
    # An <a> without href (or with an empty one, which rewrite_with_base turns into the article's own
    # address) is shown by feed readers as a link to the article itself.
    html = f'<p>اقرأ <a href="{href}" dir="ltr">التفاصيل <em>هنا</em></a> الآن</p>'
    assert sanitize_html(html, base_url=base_url) == "<p>اقرأ التفاصيل <em>هنا</em> الآن</p>"


def test_attribute_values_cannot_fake_the_missing_address() -> None:
    html = '<p><a href="javascript:x" lang=\' href="x">y\'>نص</a><img alt=\' src="x">\' src="data:,x"></p>'
    assert sanitize_html(html) == "<p>نص</p>"


def test_images_that_cannot_be_resolved_to_http_are_dropped() -> None:
    html = (
        '<p>صورة<img src="pic.jpg" alt="أ"><img src="//cdn.example.dz/b.jpg" alt="ب">'
        '<img src="data:image/png;base64,AAAA"><img alt="بلا مصدر"><img src="ftp://x.example/c.jpg"></p>'
    )
    assert sanitize_html(html) == "<p>صورة</p>"
    assert sanitize_html(html, base_url="https://news.example.dz/ar/sport/1") == (
        '<p>صورة<img src="https://news.example.dz/ar/sport/pic.jpg" alt="أ">'
        '<img src="https://cdn.example.dz/b.jpg" alt="ب"></p>'
    )


def test_excerpt_source_prefers_lead_then_prose_then_a_short_body() -> None:
    body = f"<h2>عنوان فرعي</h2><p>{LEDE}</p>"
    assert excerpt_source("<p>مقدمة <b>المحرر</b></p>", body) == "مقدمة المحرر"
    assert excerpt_source("  ", body) == LEDE
    assert excerpt_source("", "<p>نص\u200b قصير.</p>") == "نص قصير."
    assert excerpt_source("", "") == ""
    # A short story's first prose, never its heading, caption or "read also" link.
    short = (
        '<h2>عنوان</h2><figure><figcaption>تعليق</figcaption></figure><p><a href="/x">اقرأ</a></p><p>نص.</p>'
    )
    assert excerpt_source("", short) == "نص."
    assert excerpt_source("", "<h2>عنوان فقط</h2>") == ""


def test_white_space_class_is_the_regex_modules_white_space() -> None:
    every_code_point = "".join(map(chr, range(0x110000)))
    assert re.findall(f"[{WHITE_SPACE_CLASS}]", every_code_point) == regex.findall(r"\s", every_code_point)


@given(st.lists(st.sampled_from([" ", "  ", "\t", "\n", "\xa0", "\u3000", "ب", "a", "\u200b"])).map("".join))
def test_space_runs_collapse_as_with_the_regex_module(text: str) -> None:
    assert _SPACE_RUN.sub(" ", text) == regex.sub(r"\s+", " ", text)
