from nashra.text import grapheme_len, graphemes


def test_letter_keeps_its_harakat_in_one_cluster() -> None:
    word = "شَدَّ"  # shin+fatha, dal+shadda+fatha
    assert graphemes(word) == ["شَ", "دَّ"]
    assert grapheme_len(word) == 2


def test_emoji_sequences_are_single_clusters() -> None:
    family = "👨\u200d👩\u200d👧"
    flag = "🇩🇿"
    thumbs = "👍🏽"
    assert graphemes(f"{family}{flag}{thumbs}") == [family, flag, thumbs]


def test_crlf_is_one_cluster_and_empty_string_has_none() -> None:
    assert graphemes("أ\r\nب") == ["أ", "\r\n", "ب"]
    assert graphemes("") == []
    assert grapheme_len("") == 0
