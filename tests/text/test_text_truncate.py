import importlib
import unicodedata
from collections.abc import Callable

import pytest
import regex
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from text_strategies import any_text

from nashra.text import LRI, PDI, grapheme_len, graphemes, truncate
from nashra.text.excerpt import shorten

# The package exports functions under the modules' names, so the modules come from importlib.
graphemes_module = importlib.import_module("nashra.text.graphemes")
truncate_module = importlib.import_module("nashra.text.truncate")

ELLIPSIS = "…"
OPENERS = {"(": ")", "[": "]", "{": "}", "«": "»", "“": "”", "‘": "’"}
CLOSERS = set(OPENERS.values())


def weighted(s: str) -> int:
    """A stand-in for X: Arabic and Latin weigh 1, anything outside those blocks 2."""
    return sum(1 if ord(c) <= 0x10FF or 0x2000 <= ord(c) <= 0x200D else 2 for c in s)


def is_balanced(s: str) -> bool:
    stack: list[str] = []
    for char in s:
        if char in OPENERS:
            stack.append(OPENERS[char])
        elif char in CLOSERS and stack and stack[-1] == char:
            stack.pop()
    return not stack


def cluster_prefixes(text: str) -> set[str]:
    clusters = graphemes(text)
    return {"".join(clusters[:n]) for n in range(len(clusters) + 1)}


# --- strategies -------------------------------------------------------------------------

LETTERS = (
    [chr(c) for c in range(0x0628, 0x063B)] + [chr(c) for c in range(0x0641, 0x064B)] + ["ا", "أ", "ة", "ى"]
)
HARAKAT = ["\u064e", "\u064f", "\u0650", "\u0651", "\u0652", "\u064b", "\u064c", "\u064d", "\u0670"]
EMOJI = ["👨\u200d👩\u200d👧", "🇩🇿", "🇵🇸", "👍🏽", "1\ufe0f\u20e3", "🎉", "❤️"]
PUNCTUATION = ["،", "؛", "؟", ".", ",", "!", ":", "-", "—"]
BRACKETS = list(OPENERS) + list(CLOSERS)

arabic_letter = st.builds(
    lambda base, marks: base + "".join(marks),
    st.sampled_from(LETTERS),
    st.lists(st.sampled_from(HARAKAT), max_size=2),
)
arabic_word = st.lists(arabic_letter, min_size=1, max_size=8).map("".join)
latin_word = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCXYZéç", min_size=1, max_size=10)
number = st.integers(min_value=0, max_value=10**6).map(str)
token = st.one_of(
    arabic_word,
    arabic_word,
    latin_word,
    number,
    st.sampled_from(EMOJI),
    st.sampled_from(PUNCTUATION),
    st.sampled_from(BRACKETS),
    st.builds(lambda w, b: b + w + OPENERS[b], arabic_word, st.sampled_from(list(OPENERS))),
)
separator = st.sampled_from([" ", " ", " ", "", "\n", "  "])
mixed_text = st.lists(st.tuples(token, separator), max_size=40).map(
    lambda parts: "".join(t + s for t, s in parts)
)
measures = st.sampled_from([grapheme_len, weighted, len])


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(text=mixed_text, limit=st.integers(min_value=0, max_value=120), measure=measures)
def test_truncation_properties(text: str, limit: int, measure: Callable[[str], int]) -> None:
    result = truncate(text, limit, measure=measure)
    assert measure(result) <= limit or result == text == "" or measure(text) <= limit
    if measure(text) <= limit:
        assert result == text
        return
    assert measure(result) <= limit
    body = result.removesuffix(ELLIPSIS) if measure(ELLIPSIS) <= limit else result
    if measure(ELLIPSIS) <= limit:
        assert result.endswith(ELLIPSIS)
    # a prefix of the input, cut between grapheme clusters ...
    assert body in cluster_prefixes(text)
    # ... so no haraka or other mark is separated from its letter
    if body:
        assert not unicodedata.category(text[len(body)]).startswith("M")
    # ... never ending on spaces or dangling punctuation, never with an open bracket
    assert body == body.rstrip()
    assert is_balanced(body)
    assert not body.endswith(tuple(PUNCTUATION))


bracket_free_text = st.lists(
    st.tuples(st.one_of(arabic_word, latin_word, number, st.sampled_from(EMOJI + PUNCTUATION)), separator),
    max_size=40,
).map(lambda parts: "".join(t + s for t, s in parts))


def _trim(s: str) -> str:
    return regex.sub(r"[\s\p{P}]+$", "", s)


@settings(max_examples=300)
@given(text=bracket_free_text, limit=st.integers(min_value=1, max_value=120))
def test_keeps_the_longest_word_boundary_prefix(text: str, limit: int) -> None:
    result = truncate(text, limit)
    if result == text:
        return
    body = result.removesuffix(ELLIPSIS)
    clusters = graphemes(text)
    # the end of the text counts as a word boundary ("نص،،" -> "نص…")
    word_cuts = [
        _trim("".join(clusters[:n]))
        for n in range(1, len(clusters) + 1)
        if n == len(clusters) or clusters[n].isspace()
    ]
    fitting = [cut for cut in word_cuts if cut and grapheme_len(cut) + 1 <= limit]
    if fitting:
        assert body == max(fitting, key=len)
    else:  # one long word: grapheme fallback keeps as much as fits
        assert grapheme_len(result) == limit or _trim(text[: len(body) + 1]) != text[: len(body) + 1]


def test_short_text_is_returned_unchanged() -> None:
    sentence = "الحكومة تعلن خطة جديدة للنقل"
    assert truncate(sentence, grapheme_len(sentence)) == sentence


def test_cuts_at_word_boundary_and_trims_punctuation() -> None:
    sentence = "ارتفعت أسعار الخضر، خاصة البطاطا والطماطم، في أسواق العاصمة هذا الأسبوع"
    assert truncate(sentence, 22) == "ارتفعت أسعار الخضر…"
    assert truncate(sentence, 30) == "ارتفعت أسعار الخضر، خاصة…"


def test_custom_ellipsis_counts_against_the_limit() -> None:
    sentence = "انطلاق موسم الاصطياف في الولايات الساحلية"
    assert truncate(sentence, 20, ellipsis=" [...]") == "انطلاق موسم [...]"
    assert truncate(sentence, 12, ellipsis="") == "انطلاق موسم"


def test_never_splits_harakat_when_falling_back_to_graphemes() -> None:
    word = "فَسَيَكْفِيكَهُمُ"  # one long word, no boundary
    result = truncate(word, 4)
    assert result == "فَسَيَ…"
    assert grapheme_len(result) == 4


def test_never_splits_emoji_sequences() -> None:
    text = "👨\u200d👩\u200d👧🇩🇿🇩🇿🇩🇿"
    assert truncate(text, 3) == "👨\u200d👩\u200d👧🇩🇿…"


def test_cuts_before_an_unclosed_quote_or_bracket() -> None:
    sentence = "صرح الوزير «سنواصل دعم الفلاحين في كل الولايات» أمس"
    assert truncate(sentence, 30) == "صرح الوزير…"
    sentence = "وصل الوفد (برئاسة وزير الخارجية وعدد من المستشارين) إلى الجزائر"
    assert truncate(sentence, 40) == "وصل الوفد…"
    assert truncate(sentence, 58) == "وصل الوفد (برئاسة وزير الخارجية وعدد من المستشارين) إلى…"


def test_straight_quotes_and_apostrophes() -> None:
    assert truncate('قال "هذا قرار نهائي ولا رجعة فيه" ثم غادر', 20) == "قال…"
    assert truncate("l'Algérie d'aujourd'hui et de demain", 25) == "l'Algérie d'aujourd'hui…"


def test_never_cuts_inside_a_bidi_isolate() -> None:
    text = f"استقبل الرئيس {LRI}Emmanuel Macron{PDI} في قصر المرادية"
    result = truncate(text, 24)
    assert result == "استقبل الرئيس…"
    assert result.count(LRI) == result.count(PDI)


def test_weighted_measure_is_respected() -> None:
    text = "🎉🎉🎉 احتفالات بعيد الاستقلال في كل المدن"
    # each emoji and the ellipsis weigh 2: 6 + 1 + 8 + 2 = 17
    assert truncate(text, 17, measure=weighted) == "🎉🎉🎉 احتفالات…"
    assert truncate(text, 16, measure=weighted) == "🎉🎉🎉…"


def test_ellipsis_that_does_not_fit_is_dropped() -> None:
    assert truncate("نص طويل", 1, measure=weighted, ellipsis="🎉") == "ن"
    assert truncate("نص طويل", 0) == ""


def test_everything_inside_an_unclosed_quote_leaves_only_the_ellipsis() -> None:
    assert truncate("«لن نتراجع عن هذه القرارات مهما كانت الضغوط", 20) == ELLIPSIS


def test_negative_limit_is_rejected() -> None:
    with pytest.raises(ValueError, match="limit must be >= 0"):
        truncate("نص", -1)


def test_real_x_weighting() -> None:
    twitter_text = pytest.importorskip("twitter_text")

    def x_length(s: str) -> int:
        return int(twitter_text.parse_tweet(s).weightedLength)

    text = "أعلنت الوزارة عن برنامج جديد لدعم الشباب " * 10 + "https://news.example.dz/ar/2025/06/13/barnamaj"
    result = truncate(text, 280, measure=x_length)
    assert x_length(result) <= 280
    # 6 sentences of 41, then "أعلنت الوزارة عن برنامج جديد" (28) and "…" (2): 276
    assert x_length(result) == 276
    assert result.endswith("جديد…")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(any_text, st.integers(min_value=0, max_value=60))
def test_counting_from_the_first_clusters_gives_the_same_cut(text: str, limit: int) -> None:
    # A measure equal to the default but not the same function takes the general path, which
    # segments the whole text; the default cuts from only the first clusters.
    assert truncate(text, limit) == truncate(text, limit, measure=lambda s: grapheme_len(s))
    trailing = text + " ،،، ..." * 30 + "كلمة"  # a long run of trimmable clusters past the limit
    assert truncate(trailing, limit) == truncate(trailing, limit, measure=lambda s: grapheme_len(s))


def test_a_long_text_is_segmented_only_as_far_as_the_cut(monkeypatch: pytest.MonkeyPatch) -> None:
    segmented: list[int] = []
    real = graphemes_module.graphemes

    def recording(s: str) -> list[str]:
        segmented.append(len(s))
        return real(s)

    monkeypatch.setattr(graphemes_module, "graphemes", recording)
    monkeypatch.setattr(truncate_module, "graphemes", recording, raising=False)
    lead = "صوّتت لجنة الشؤون القانونية بأغلبية مريحة لصالح المشروع، " * 2000  # 116,000 code points
    assert truncate(lead, 220).endswith("…")
    assert segmented and max(segmented) <= 4 * 222  # a few code points per cluster of the limit


def _reference_first_unmatched_opener(clusters: list[str]) -> int | None:
    """The unmatched-opener search as first written: every cluster visited."""
    stack: list[tuple[int, str]] = []
    previous: str | None = None
    closer_for = truncate_module._CLOSER_FOR
    quotes = truncate_module._SYMMETRIC_QUOTES
    for index, cluster in enumerate(clusters):
        char = cluster[0]
        if char in quotes:
            if stack and stack[-1][1] == char and not truncate_module._opens_quote(previous):
                stack.pop()
            elif truncate_module._opens_quote(previous):
                stack.append((index, char))
        elif char in closer_for:
            stack.append((index, closer_for[char]))
        elif stack and stack[-1][1] == char:
            stack.pop()
        previous = cluster[-1]
    return stack[0][0] if stack else None


@settings(max_examples=400, deadline=None)
@given(any_text | mixed_text | st.text(alphabet="ab \u0600\u0651\u2066\u2069()[]«»\"'“”‘’", max_size=30))
def test_unmatched_opener_search_matches_the_reference(text: str) -> None:
    clusters = graphemes(text)
    expected = _reference_first_unmatched_opener(clusters)
    assert truncate_module._first_unmatched_opener(text, clusters) == expected


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(any_text | mixed_text, st.integers(min_value=0, max_value=60))
def test_shorten_cuts_its_first_clusters_as_truncate_does(text: str, length: int) -> None:
    """`shorten` hands its first clusters to the cut without segmenting them again."""
    expected = truncate("".join(graphemes_module.first_graphemes(text, length + 1)), length)
    assert shorten(text, length) == expected


@settings(max_examples=400, deadline=None)
@given(
    any_text | mixed_text | st.text(alphabet="ab ،.!؟)]»\u0600\u0651\t", max_size=40),
    st.integers(min_value=0, max_value=45),
)
def test_a_counted_cut_finds_the_prefix_the_search_finds(text: str, room: int) -> None:
    """Counting clusters, the longest prefix that fits is worked out, not searched for: the same."""
    clusters = graphemes(text)
    searched = truncate_module._longest_fitting_prefix(clusters, lambda kept: len(kept) <= room)
    assert truncate_module._longest_counted_prefix(clusters, room) == searched
