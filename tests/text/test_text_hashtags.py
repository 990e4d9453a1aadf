import pytest

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
