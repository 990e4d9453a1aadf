import pytest
from hypothesis import given
from hypothesis import strategies as st

from nashra.text import FSI, LRI, PDI, RLI, is_rtl, isolate_ltr_runs, strip_bidi_controls


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
