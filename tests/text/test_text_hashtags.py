import pytest
import regex as re
from atproto_client.utils.facet_detection import detect_facets
from hypothesis import given, settings
from hypothesis import strategies as st

from nashra.text import hashtags


def test_words_are_joined_with_underscores() -> None:
    assert hashtags(["الاقتصاد الجزائري", "كأس العالم"]) == ["#الاقتصاد_الجزائري", "#كأس_العالم"]


def test_harakat_tatweel_and_zwnj_are_removed() -> None:
    assert hashtags(["#مُحَمَّد"]) == ["#محمد"]
    assert hashtags(["مـــدريد"]) == ["#مدريد"]
    assert hashtags(["می\u200cخواهم"]) == ["#میخواهم"]


def test_punctuation_separates_words_and_apostrophes_vanish() -> None:
    assert hashtags(["العلاقات الجزائرية-الروسية", "«الحراك»", "Aujourd'hui", "COVID-19"]) == [
        "#العلاقات_الجزائرية_الروسية",
        "#الحراك",
        "#Aujourdhui",
        "#COVID_19",
    ]


def test_digit_only_and_empty_tags_are_dropped() -> None:
    assert hashtags(["2025", "٢٠٢٥", "۲۰۲۵", "20 25", "", "؟!", "  ", "الانتخابات 2025"]) == [
        "#الانتخابات_2025"
    ]


def test_duplicates_are_dropped_keeping_first_spelling() -> None:
    tags = hashtags(["Algérie", "ALGÉRIE", "وهران", "وَهْرَان", "Algérie"])
    assert tags == ["#Algérie", "#وهران"]


def test_different_arabic_words_are_not_merged() -> None:
    assert hashtags(["أمن", "آمن"]) == ["#أمن", "#آمن"]


def test_order_and_limit() -> None:
    keywords = ["الرياضة", "2024", "كرة القدم", "الرياضة", "المنتخب الوطني"]
    assert hashtags(keywords, limit=2) == ["#الرياضة", "#كرة_القدم"]
    assert hashtags(keywords, limit=0) == []
    assert hashtags(iter(keywords)) == ["#الرياضة", "#كرة_القدم", "#المنتخب_الوطني"]
    with pytest.raises(ValueError, match="limit must be >= 0"):
        hashtags(keywords, limit=-1)


def test_tags_are_whole_word_runs() -> None:
    import re

    for tag in hashtags(["قِمَّة الجزائر للغاز", "طاقة ـ متجددة", "Sommet d’Alger"]):
        assert re.fullmatch(r"#\w+", tag), tag


def test_symbols_that_tell_keywords_apart_are_spelled_out() -> None:
    assert hashtags(["C", "C++", "C#", "F#", ".NET", "C++ & Python", "Disney+", "#مُحَمَّد"]) == [
        "#C",
        "#CPlusPlus",
        "#CSharp",
        "#FSharp",
        "#dotNET",
        "#CPlusPlus_Python",
        "#DisneyPlus",
        "#محمد",
    ]


def test_a_later_keyword_whose_tag_is_taken_is_dropped_not_merged() -> None:
    assert hashtags(["C++", "CPlusPlus", "Node.js", "Node js"]) == ["#CPlusPlus", "#Node_js"]


# A tag as X's twitter-text and Mastodon link it, in our own words: "#" then letters, marks,
# decimal digits and underscores, with at least one letter (digits alone are not linked).
# (twitter-text-parser, the X library we ship, counts but does not extract hashtags.)
_PLATFORM_TAG = re.compile(r"#(?=[\p{Nd}_]*[\p{L}\p{M}])[\p{L}\p{M}\p{Nd}_]+")
_KEYWORD = st.text(
    alphabet=st.sampled_from([*"CFjx+#.&-_ '1٢", "ب", "ة", "\u064e", "\u0640", "\u200b", "\u200c", "é"]),
    max_size=8,
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_KEYWORD, max_size=6, unique=True))
def test_distinct_keywords_never_share_a_tag_and_every_tag_is_linked_whole(keywords: list[str]) -> None:
    tags = hashtags(keywords)
    assert len({t.casefold() for t in tags}) == len(tags)
    for tag in tags:
        assert _PLATFORM_TAG.fullmatch(tag), tag
        # Bluesky's own detection (atproto's port of @atproto/api) must take the tag whole.
        facets = detect_facets(f"{tag} نص")
        assert [f.features[0].tag for f in facets] == [tag[1:]]  # type: ignore[union-attr]
    # Every tag is the tag of one of the keywords on its own, never a blend of two.
    assert all(any(hashtags([k]) == [tag] for k in keywords) for tag in tags)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from([*"CFNETcx", "ب", "ج", "é"]), min_size=1, max_size=5))
def test_plus_sharp_and_leading_dot_keep_keywords_apart(word: str) -> None:
    variants = [
        word,
        f"{word}+",
        f"{word}++",
        f"{word}#",
        f".{word}",
        f"{word} & Python",
        f"{word}++ & Python",
    ]
    tags = [hashtags([v]) for v in variants]
    assert all(len(t) == 1 for t in tags), tags
    assert len({t[0].casefold() for t in tags}) == len(variants), tags
