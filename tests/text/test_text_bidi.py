import bisect
import sys
import unicodedata

import pytest
import regex
from hypothesis import given, settings
from hypothesis import strategies as st
from markupsafe import Markup, escape
from text_strategies import any_text

from bidi_checks import graphemes_intact, has_arabic, isolates_balanced, paragraph_direction
from nashra.text import (
    FSI,
    LRI,
    PDI,
    RLI,
    RLM,
    is_rtl,
    isolate_ltr_runs,
    isolate_ltr_runs_html,
    rtl_paragraph,
    strip_bidi_controls,
)
from nashra.text.bidi import (
    _DIGITS_RUN,
    _LTR_RUN,
    _MAY_BE_RTL,
    _MAY_START_A_RUN,
    _first_strong,
    _has_rtl,
    ltr_run_spans,
)


def shown(s: str) -> str:
    """Make isolates visible in assertion diffs."""
    return s.replace(LRI, "⟨").replace(PDI, "⟩")


def test_constants_are_the_unicode_isolates() -> None:
    assert (LRI, RLI, FSI, PDI) == ("\u2066", "\u2067", "\u2068", "\u2069")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("التقى الوزير Antony Blinken في 2024", "التقى الوزير ⟨Antony Blinken⟩ في ⟨2024⟩"),
        ("الموعد على الساعة 10:30 بنسبة 15%", "الموعد على الساعة ⟨10:30⟩ بنسبة ⟨15%⟩"),
        (
            "الرابط https://news.example.dz/ar/2025/x، شكرا",
            "الرابط ⟨https://news.example.dz/ar/2025/x⟩، شكرا",
        ),
        ("هاتف iPhone 16 Pro. متوفر", "هاتف ⟨iPhone 16 Pro⟩. متوفر"),
        ("انخفضت الحرارة إلى -4 درجات", "انخفضت الحرارة إلى ⟨-4⟩ درجات"),
        ("لقاح كوفيد-19 متوفر", "لقاح كوفيد-⟨19⟩ متوفر"),
        ("شركتا Google و Meta", "شركتا ⟨Google⟩ و ⟨Meta⟩"),
        ("زار Paris، ثم Berlin", "زار ⟨Paris⟩، ثم ⟨Berlin⟩"),
        ("في 13/06/2025 صدر", "في ⟨13/06/2025⟩ صدر"),
    ],
)
def test_ltr_runs_inside_arabic_are_isolated(text: str, expected: str) -> None:
    assert shown(isolate_ltr_runs(text)) == expected


def test_brief_example_costs_two_isolates() -> None:
    result = isolate_ltr_runs("قال Emmanuel Macron إن 2025")
    assert result == f"قال {LRI}Emmanuel Macron{PDI} إن {LRI}2025{PDI}"
    assert result.count(LRI) == 2


def test_numbers_before_the_first_arabic_letter_are_left_alone() -> None:
    assert shown(isolate_ltr_runs("2025: عام التحول مع Sonatrach")) == "2025: عام التحول مع ⟨Sonatrach⟩"


def test_ltr_text_is_unchanged() -> None:
    text = "Sonatrach signe un accord de 2 milliards avec ENI"
    assert isolate_ltr_runs(text) == text


def test_arabic_indic_digits_need_no_isolate() -> None:
    text = "ارتفع العدد إلى ١٢٠ حالة"
    assert isolate_ltr_runs(text) == text


def test_existing_isolates_are_not_wrapped_again() -> None:
    once = isolate_ltr_runs("وصل Pedro Sánchez إلى وهران مع 30 رجل أعمال")
    assert isolate_ltr_runs(once) == once
    assert once.count(LRI) == 2
    fsi = f"قالت {FSI}Reuters{PDI} ذلك"
    assert isolate_ltr_runs(fsi) == fsi


@given(
    st.lists(
        st.sampled_from(["قال", "الوزير", "Macron", "2025", " ", "، ", ". ", "10:30", "Le Monde"]),
        max_size=20,
    )
)
def test_isolating_is_idempotent_and_only_adds_isolates(parts: list[str]) -> None:
    text = "".join(parts)
    once = isolate_ltr_runs(text)
    assert isolate_ltr_runs(once) == once
    assert strip_bidi_controls(once) == text
    assert once.count(LRI) == once.count(PDI)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("الجزائر", True),
        ("Algérie الجزائر", False),
        ("2025 الجزائر", True),
        ("  «الجزائر»", True),
        ("עברית", True),
        ("123 ...", False),
        ("", False),
        (f"{LRI}Reuters{PDI} تقول", True),
    ],
)
def test_is_rtl_uses_the_first_strong_character(text: str, expected: bool) -> None:
    assert is_rtl(text) is expected


def test_strip_bidi_controls_removes_all_kinds() -> None:
    text = (
        "\u200fقال\u200e \u202bالوزير\u202c \u2066Macron\u2069\u061c \u2067x\u2068y\u2069\u202d\u202e\u202a"
    )
    assert strip_bidi_controls(text) == "قال الوزير Macron xy"


# --- issue #10: one rule for every Latin/number run, and RTL whatever the first letter -----------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("أسعار النفط يوم 9 May 2025 في قمة G20", "أسعار النفط يوم ⟨9 May 2025⟩ في قمة ⟨G20⟩"),
        ("لقاح COVID-19 متوفر", "لقاح ⟨COVID-19⟩ متوفر"),
        ("هاتف iPhone 15 Pro الجديد", "هاتف ⟨iPhone 15 Pro⟩ الجديد"),
        ("شبكات 5G في الجزائر", "شبكات ⟨5G⟩ في الجزائر"),
        ("أفلام 3D و 4K", "أفلام ⟨3D⟩ و ⟨4K⟩"),
        ("طائرة A380 وF-16", "طائرة ⟨A380⟩ و⟨F-16⟩"),
        ("رمز 1\ufe0f\u20e3 هنا", "رمز ⟨1\ufe0f\u20e3⟩ هنا"),  # a keycap emoji stays one grapheme
    ],
)
def test_every_latin_run_mixing_letters_and_digits_is_one_isolate(text: str, expected: str) -> None:
    assert shown(isolate_ltr_runs(text)) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("BRICS تعقد قمتها في 2025", "⟨BRICS⟩ تعقد قمتها في ⟨2025⟩"),
        ("9 May 2025: يوم تاريخي", "⟨9 May 2025⟩: يوم تاريخي"),
        ("2025 BRICS قمة", "⟨2025 BRICS⟩ قمة"),
        ("«Le Monde» تكتب عن الجزائر", "«⟨Le Monde⟩» تكتب عن الجزائر"),
    ],
)
def test_a_text_opening_with_latin_is_still_right_to_left(text: str, expected: str) -> None:
    result = isolate_ltr_runs(text)
    assert shown(result) == expected
    assert is_rtl(result) and paragraph_direction(result) == "rtl"


def test_quoted_arabic_alone_does_not_make_a_latin_text_rtl() -> None:
    text = f"Reuters reports {RLI}الجزائر{PDI} today"
    assert isolate_ltr_runs(text) == text
    assert rtl_paragraph(text) == text


def test_rtl_paragraph_adds_one_rlm_only_when_needed() -> None:
    assert rtl_paragraph("BRICS summit\n\nقمة في جوهانسبرغ") == f"{RLM}BRICS summit\n\nقمة في جوهانسبرغ"
    assert rtl_paragraph("قمة BRICS") == "قمة BRICS"
    assert rtl_paragraph("Sonatrach signe un accord") == "Sonatrach signe un accord"
    assert rtl_paragraph(f"{LRI}BRICS{PDI} قمة") == f"{LRI}BRICS{PDI} قمة"
    assert rtl_paragraph("") == ""


def test_html_runs_are_bdi_and_the_rest_is_escaped() -> None:
    html = isolate_ltr_runs_html("أسعار <النفط> & الغاز يوم 9 May 2025 في G20")
    assert str(html) == (
        'أسعار &lt;النفط&gt; &amp; الغاز يوم <bdi dir="ltr">9 May 2025</bdi> في <bdi dir="ltr">G20</bdi>'
    )
    assert str(isolate_ltr_runs_html("Le <b> Monde")) == "Le &lt;b&gt; Monde"


_PIECES = st.sampled_from(
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
        "-4",
        "١٢٠",
        "👨\u200d👩\u200d👧",
        "🇩🇿",
        "1\ufe0f\u20e3",
        "é",
        "e\u0301",
        "l'Algérie",
        "https://news.example.dz/ar/2025/x",
        " ",
        "، ",
        ". ",
        ": ",
        "«",
        "»",
        "(",
        ")",
    ]
)


@given(st.lists(_PIECES, max_size=16))
def test_isolated_text_with_arabic_is_rtl_balanced_and_keeps_graphemes(parts: list[str]) -> None:
    text = "".join(parts)
    result = isolate_ltr_runs(text)
    assert strip_bidi_controls(result) == text
    assert isolates_balanced(result)
    assert graphemes_intact(result)
    assert regex.findall(r"\X", strip_bidi_controls(result)) == regex.findall(r"\X", text)
    if has_arabic(text):
        assert paragraph_direction(result) == "rtl", shown(result)
    finished = rtl_paragraph(text)
    if has_arabic(text):
        assert paragraph_direction(finished) == "rtl"


# --- fast paths, checked equal to the rule spelt out code point by code point ---------------------


def _reference_spans(text: str) -> list[tuple[int, int]]:
    """`ltr_run_spans` as first written: every code point visited, clusters always from \\X."""
    inits = {LRI, RLI, FSI}
    unisolated: list[tuple[int, int]] = []
    depth = start = 0
    for index, char in enumerate(text):
        if char in inits:
            if depth == 0:
                unisolated.append((start, index))
            depth += 1
        elif char == PDI and depth > 0:
            depth -= 1
            if depth == 0:
                start = index + 1
    if depth == 0:
        unisolated.append((start, len(text)))
    if not any(unicodedata.bidirectional(c) in ("R", "AL") for s, e in unisolated for c in text[s:e]):
        return []
    first, _ = _first_strong(text)  # unchanged
    bounds = [0, *(m.end() for m in regex.finditer(r"\X", text))]
    spans: list[tuple[int, int]] = []
    for span_start, span_end in unisolated:
        for match in _LTR_RUN.finditer(text, span_start, span_end):
            if match.end() <= first:
                continue
            start_ = bounds[bisect.bisect_right(bounds, match.start()) - 1]
            end_ = bounds[bisect.bisect_left(bounds, match.end())]
            if spans and start_ <= spans[-1][1]:
                spans[-1] = (spans[-1][0], end_)
            else:
                spans.append((start_, end_))
    return spans


@settings(max_examples=400, deadline=None)
@given(any_text | st.lists(_PIECES, max_size=16).map("".join))
def test_ltr_run_spans_fast_paths_match_the_reference(text: str) -> None:
    assert ltr_run_spans(text) == _reference_spans(text)
    assert ltr_run_spans(text) == _reference_spans(text)  # and again, from the cache


def test_runs_are_looked_for_only_where_one_may_start() -> None:
    """What `re` skips (the characters of Arabic texts that cannot start a run) is exactly what the
    `regex` module's own `_LTR_RUN` cannot match from, over the blocks it is taken from."""
    for code in (*range(0x700), *range(0x2000, 0x2070)):
        char = chr(code)
        never = _LTR_RUN.match(f"{char}1") is None and _LTR_RUN.match(f"{char}a") is None
        assert (_MAY_START_A_RUN.match(char) is None) == never, hex(code)


def test_every_right_to_left_letter_is_where_has_rtl_looks() -> None:
    for code in range(sys.maxunicode + 1):
        if unicodedata.bidirectional(chr(code)) in ("R", "AL"):
            assert _MAY_BE_RTL.match(chr(code)), hex(code)


def test_a_number_run_told_by_re_is_the_run_regex_matches() -> None:
    """Where `_DIGITS_RUN` answers, `_LTR_RUN` gives the same run, whatever follows the character
    that ends it; and it answers for the common shapes (a number before an Arabic word, in brackets)."""
    after = ["", "a", "1", " a", " 1", "ب", "-1", ".5", "%", ", a", "\u064e", "http://x.example"]
    for code in (*range(0x700), *range(0x2000, 0x2070)):
        for gap in ("", " ", " \t "):
            for rest in after:
                for digits in ("7", "2026"):
                    text = f"{digits}{gap}{chr(code)}{rest}"
                    fast = _DIGITS_RUN.match(text)
                    if fast is not None:
                        run = _LTR_RUN.match(text)
                        assert run is not None and run.span() == fast.span(), ascii(text)
    for text in ("30 نوفمبر", "2026", "(2)", "12 )", "5 «الخبر»", "3،"):
        found = _DIGITS_RUN.match(text, 1 if text[0] == "(" else 0)
        assert found is not None and found.group() in {"30", "2026", "2", "12", "5", "3"}, text


@settings(max_examples=400, deadline=None)
@given(any_text)
def test_rtl_paragraph_fast_path_matches_its_definition(text: str) -> None:
    """RLM in front exactly when the text holds Arabic outside isolates but does not start with it."""
    expected = RLM + text if _has_rtl(text) and not is_rtl(text) else text
    assert rtl_paragraph(text) == expected


@settings(max_examples=300, deadline=None)
@given(any_text | st.lists(_PIECES, max_size=16).map("".join) | st.text(alphabet="<>&'\" aب1", max_size=20))
def test_bidi_html_is_built_as_markupsafe_would(text: str) -> None:
    """Escaped as text and wrapped in one Markup: the same as joining escaped Markup pieces."""
    pieces: list[Markup] = []
    position = 0
    for start, end in ltr_run_spans(text):
        pieces.append(escape(text[position:start]))
        pieces.append(Markup('<bdi dir="ltr">%s</bdi>') % text[start:end])
        position = end
    pieces.append(escape(text[position:]))
    html = isolate_ltr_runs_html(text)
    assert type(html) is Markup and html == Markup("").join(pieces)
