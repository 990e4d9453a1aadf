"""Counting each platform's way, composing from templates, and shortening without breaking text."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from social_helpers import make_article

from bidi_checks import graphemes_intact, has_arabic, isolates_balanced, paragraph_direction
from nashra.config import Settings
from nashra.config.channels import ChannelSettings
from nashra.errors import TemplateError
from nashra.model import Image
from nashra.social.compose import summary_of
from nashra.social.counting import bluesky_length, mastodon_length, telegram_length, utf16_len, x_length
from nashra.social.protocol import Channel
from nashra.text import LRI, PDI, RLM, clean_text, graphemes, isolate_ltr_runs

URL = "https://news.example.org/culture/oasis-poetry-festival-2026-opening-night"


# --- counting ---------------------------------------------------------------------------------


def test_x_weights_arabic_1_urls_23_isolates_and_ellipsis_2() -> None:
    assert x_length("مُحَمَّد") == 8  # 4 letters + 4 harakat, each weighing 1
    assert x_length(URL) == 23
    assert x_length(f"{LRI}Macron{PDI}") == 6 + 2 + 2
    assert x_length("…") == 2
    assert x_length("👨‍👩‍👧") == 2  # one emoji sequence


def test_mastodon_counts_urls_as_the_server_reserves() -> None:
    assert mastodon_length(f"خبر {URL}") == 4 + 23
    assert mastodon_length(f"خبر {URL}", characters_reserved_per_url=30) == 4 + 30
    assert mastodon_length("👨‍👩‍👧 مُحَمَّد") == 1 + 1 + 4  # graphemes


def test_bluesky_is_graphemes_and_bytes_at_once() -> None:
    assert bluesky_length("ب" * 300) == 300  # 600 bytes: graphemes decide
    family = "👨‍👩‍👧‍👦"  # one grapheme, 25 bytes
    assert len((family * 120).encode()) == 3000 and bluesky_length(family * 120) == 300
    assert bluesky_length(family * 121) > 300  # 121 graphemes, but 3025 bytes


def test_telegram_counts_after_parsing_html_in_utf16() -> None:
    assert telegram_length("&lt;b&gt; &amp;") == 5
    assert telegram_length("<b>نص</b>") == 2
    assert utf16_len("😀") == 2 and telegram_length("😀") == 2


# --- composing --------------------------------------------------------------------------------


def test_default_post_layout(channel_from: Callable[..., Channel]) -> None:
    channel = channel_from(
        '[[channels]]\ntype = "mastodon"\nname = "m"\napi_base_url = "https://social.example"\n'
    )
    article = make_article(tags=("مهرجان الشعر", "مُهرجان الشِّعر", "الواحات", "2026"), url=URL)
    post = channel.render(article)
    lines = post.text.split("\n")
    assert lines[0] == article.title  # no Latin or digits: nothing to isolate
    assert lines[1] == "" and lines[2] == article.article.lead
    # duplicates after harakat removal dropped, digits-only dropped, spaces to underscores
    assert lines[4] == "#مهرجان_الشعر #الواحات"
    assert lines[-1] == URL and post.text.count(URL) == 1
    assert post.length == mastodon_length(post.text) and post.limit == 500


def test_latin_runs_are_isolated_but_not_tags_or_link(channel_from: Callable[..., Channel]) -> None:
    channel = channel_from('[[channels]]\ntype = "file"\nname = "f"\n')
    article = make_article(
        title="وزير الطاقة يلتقي ممثلي BlueDune في الجزائر",
        lead="وقّعت الشركة عقدًا بقيمة 250 مليون دينار.",
        tags=("BlueDune", "طاقة"),
        url=URL,
    )
    post = channel.render(article)
    assert f"{LRI}BlueDune{PDI} في" in post.text.split("\n")[0]
    assert f"{LRI}250{PDI}" in post.text
    assert "#BlueDune #طاقة" in post.text and LRI not in post.text.split("\n")[-1]


def test_too_long_cuts_summary_at_a_word_then_drops_hashtags_never_the_link(
    channel_from: Callable[..., Channel],
) -> None:
    channel = channel_from('[[channels]]\ntype = "file"\nname = "f"\nlimit = 200\n')
    lead = " ".join(["كلمة"] * 80)
    article = make_article(title="عنوان قصير", lead=lead, tags=("ثقافة", "شعر"), url=URL)
    post = channel.render(article)
    assert post.length <= 200
    assert post.text.endswith("\n" + URL)
    assert "#ثقافة #شعر" in post.text  # hashtags kept while the summary can be shortened
    kept = post.summary.removesuffix("…")
    assert post.summary.endswith("…") and lead.startswith(kept) and lead[len(kept)] == " "

    tight = channel_from('[[channels]]\ntype = "file"\nname = "g"\nlimit = 120\n')
    post = tight.render(article)
    assert post.length <= 120 and post.text.endswith("\n" + URL)
    assert len(post.hashtags) < 2  # the summary could not stay readable with both tags


def test_link_alone_over_the_limit_is_a_failed_post_not_a_cut_link(
    channel_from: Callable[..., Channel],
) -> None:
    from nashra.social.compose import PostTooLong

    channel = channel_from('[[channels]]\ntype = "file"\nname = "f"\nlimit = 20\n')
    with pytest.raises(PostTooLong):
        channel.render(make_article(url=URL))


def test_without_the_link_the_title_is_cut_last_and_nothing_left_is_a_failed_post(
    settings_from: Callable[[str], Settings],
) -> None:
    from nashra.social.compose import PostTooLong, compose, load_template

    template = load_template(settings_from(""), ChannelSettings(type="facebook", name="f"))
    article = make_article(url=URL)
    short = compose(article, template=template, measure=len, limit=30, max_hashtags=3, with_link=False)
    assert short.text == short.title and short.title.endswith("…") and len(short.text) <= 30
    with pytest.raises(PostTooLong, match=r"not even a shortened title fits, over the limit of 1$"):
        compose(article, template=template, measure=len, limit=1, max_hashtags=3, with_link=False)


def test_operator_template_and_its_errors(channel_from: Callable[..., Channel], tmp_path: Path) -> None:
    (tmp_path / "mine.j2").write_text("{{ site_name }} | {{ title }}\n{{ hashtags }}\n", encoding="utf-8")
    channel = channel_from(
        '[site]\nname = "نشرة"\n[[channels]]\ntype = "file"\nname = "f"\ntemplate = "mine.j2"\n'
    )
    post = channel.render(make_article(url=URL, tags=("شعر",)))
    assert post.text == f"نشرة | {make_article().title}\n#شعر\n{URL}"

    (tmp_path / "bad.j2").write_text("{{ title }}\n{% if %}\n", encoding="utf-8")
    with pytest.raises(TemplateError) as caught:
        channel_from('[[channels]]\ntype = "file"\nname = "f"\ntemplate = "bad.j2"\n')
    assert "bad.j2:2" in str(caught.value)

    (tmp_path / "typo.j2").write_text("{{ titel }}\n", encoding="utf-8")
    channel = channel_from('[[channels]]\ntype = "file"\nname = "f"\ntemplate = "typo.j2"\n')
    with pytest.raises(TemplateError, match="titel"):
        channel.render(make_article())


def test_telegram_escapes_html_and_uses_the_caption_limit_with_an_image(
    channel_from: Callable[..., Channel],
) -> None:
    channel = channel_from('[[channels]]\ntype = "telegram"\nname = "t"\nchat_id = "@news"\n')
    article = make_article(title="قراءة في كتاب <الحرية & العدالة>", url=URL)
    post = channel.render(article)
    assert "&lt;الحرية &amp; العدالة&gt;" in post.text and "<" not in post.text
    assert post.limit == 4096
    with_image = channel.render(
        make_article(url=URL, lead="خبر " * 400, image=Image(url="https://news.example.org/i.png"))
    )
    assert with_image.limit == 1024 and with_image.length <= 1024


# --- properties -------------------------------------------------------------------------------

ARABIC = st.characters(min_codepoint=0x0621, max_codepoint=0x064A)
HARAKAT = st.sampled_from(["\u064e", "\u064f", "\u0650", "\u0651", "\u0652", "\u064b"])
arabic_word = st.builds(
    lambda letters, marks: "".join(
        letter + mark for letter, mark in zip(letters, marks + [""] * len(letters), strict=False)
    ),
    st.lists(ARABIC, min_size=1, max_size=9),
    st.lists(HARAKAT, max_size=4),
)
latin_word = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=1, max_size=10)
number = st.integers(min_value=0, max_value=10**7).map(str)
EMOJI = st.sampled_from(["😀", "👍🏽", "👨‍👩‍👧‍👦", "🇩🇿", "🏳️‍🌈", "❤️", "🤝", "📰", "⚽", "1️⃣"])

arabic_text = st.lists(arabic_word, min_size=1, max_size=120).map(" ".join)
mixed_text = st.lists(
    st.one_of(arabic_word, latin_word, number, st.sampled_from(["،", ".", ":", "(", ")", "«", "»"])),
    min_size=1,
    max_size=120,
).map(" ".join)
emoji_text = st.lists(st.one_of(EMOJI, EMOJI, arabic_word), min_size=1, max_size=150).map(" ".join)
any_text = st.one_of(arabic_text, mixed_text, emoji_text)

CHANNELS = {
    "x": '[[channels]]\ntype = "x"\nname = "x"\n',
    "mastodon": '[[channels]]\ntype = "mastodon"\nname = "m"\napi_base_url = "https://social.example"\n',
    "bluesky": '[[channels]]\ntype = "bluesky"\nname = "b"\nhandle = "news.example.org"\n',
    "telegram": '[[channels]]\ntype = "telegram"\nname = "t"\nchat_id = "@news"\n',
    "webhook": '[[channels]]\ntype = "webhook"\nname = "w"\nurl = "https://hooks.example/x"\nmax_length = 280\n',
    "threads": '[[channels]]\ntype = "threads"\nname = "th"\nthreads_user_id = "1"\n',
}


def _is_grapheme_prefix(part: str, whole: str) -> bool:
    clusters = graphemes(part)
    return graphemes(whole)[: len(clusters)] == clusters


@pytest.mark.parametrize("kind", sorted(CHANNELS))
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(title=any_text, lead=any_text, keywords=st.lists(any_text, max_size=5), with_image=st.booleans())
def test_no_post_exceeds_its_limit_or_splits_a_grapheme(
    channel_from: Callable[..., Channel],
    kind: str,
    title: str,
    lead: str,
    keywords: list[str],
    with_image: bool,
) -> None:
    channel = channel_from(CHANNELS[kind])
    image = Image(url="https://news.example.org/media/photo.jpg") if with_image else None
    article = make_article(title=title, lead=lead, tags=tuple(k[:30] for k in keywords), url=URL, image=image)
    post = channel.render(article)

    assert channel.measure(post.text) == post.length <= post.limit
    assert post.text.split("\n")[-1] == URL  # the link, whole, alone on the last line
    full_title = isolate_ltr_runs(clean_text(title))
    full_summary = isolate_ltr_runs(clean_text(lead))
    assert _is_grapheme_prefix(post.title.removesuffix("…"), full_title)
    assert _is_grapheme_prefix(post.summary.removesuffix("…"), full_summary)
    assert post.text.count(LRI) + post.text.count("\u2067") + post.text.count("\u2068") == post.text.count(
        PDI
    )
    # issue #10: a post holding Arabic is right-to-left as a whole, whatever it opens with.
    assert isolates_balanced(post.text) and graphemes_intact(post.text)
    if has_arabic(post.text):
        assert paragraph_direction(post.text) == "rtl", post.text


# --- issue #10: posts that open with Latin are still right-to-left ------------------------------


def test_a_post_opening_with_latin_is_right_to_left_and_counted_by_x(
    channel_from: Callable[..., Channel],
) -> None:
    channel = channel_from(CHANNELS["x"])
    article = make_article(title="BRICS تعقد قمتها يوم 9 May 2025 في جوهانسبرغ", tags=("BRICS",), url=URL)
    post = channel.render(article)
    assert post.text.startswith(f"{LRI}BRICS{PDI} تعقد قمتها يوم {LRI}9 May 2025{PDI} في")
    assert paragraph_direction(post.text) == "rtl"
    assert post.length == x_length(post.text) <= post.limit


def test_a_latin_only_title_over_an_arabic_summary_gets_one_rlm(channel_from: Callable[..., Channel]) -> None:
    channel = channel_from(CHANNELS["x"])
    article = make_article(title="BRICS Summit 2025", tags=("BRICS", "قمة"), url=URL)
    post = channel.render(article)
    assert post.text.startswith(f"{RLM}BRICS Summit 2025\n")
    assert paragraph_direction(post.text) == "rtl"
    # twitter-text weighs RLM as 2: the post is measured with it, and still fits.
    assert x_length(post.text) == x_length(post.text[1:]) + 2
    assert post.length == x_length(post.text) <= post.limit


def test_bluesky_facets_still_point_at_tags_and_link_after_an_rlm(
    channel_from: Callable[..., Channel],
) -> None:
    from nashra.social.channels.bluesky import rich_text

    channel = channel_from(CHANNELS["bluesky"])
    url = "https://news.example.org/اقتصاد/brics-summit"
    article = make_article(title="BRICS Summit 2025", tags=("BRICS", "قمة"), url=url)
    post = channel.render(article)
    assert post.text.startswith(RLM) and post.hashtags == ("#BRICS", "#قمة")
    builder = rich_text(post.text, post.url, post.hashtags)
    assert builder.build_text() == post.text
    encoded = post.text.encode("utf-8")
    found = sorted(
        (encoded[f.index.byte_start : f.index.byte_end].decode(), f.features[0].py_type)
        for f in builder.build_facets()
    )
    assert found == [
        ("#BRICS", "app.bsky.richtext.facet#tag"),
        ("#قمة", "app.bsky.richtext.facet#tag"),
        (url, "app.bsky.richtext.facet#link"),
    ]


def test_a_short_body_without_lead_is_the_summary() -> None:
    article = make_article(lead="")
    short = replace(article, article=replace(article.article, body_html="<p>انقطاع الكهرباء في وهران.</p>"))
    assert summary_of(short) == "انقطاع الكهرباء في وهران."
