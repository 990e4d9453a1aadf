import inspect

import nashra.text


def test_public_names_are_exported() -> None:
    expected = {
        "FSI",
        "LRI",
        "PDI",
        "RLI",
        "RLM",
        "clean_text",
        "clean_text_report",
        "first_paragraph",
        "format_date",
        "format_datetime",
        "grapheme_len",
        "graphemes",
        "hashtags",
        "html_to_text",
        "is_rtl",
        "isolate_ltr_runs",
        "isolate_ltr_runs_html",
        "normalize_for_match",
        "parse_locale",
        "rtl_paragraph",
        "sanitize_html",
        "slugify",
        "strip_bidi_controls",
        "strip_harakat",
        "truncate",
    }
    assert set(nashra.text.__all__) == expected
    assert all(hasattr(nashra.text, name) for name in expected)


def test_keyword_only_options() -> None:
    def keyword_only(function: object) -> set[str]:
        parameters = inspect.signature(function).parameters.values()  # type: ignore[arg-type]
        return {p.name for p in parameters if p.kind is inspect.Parameter.KEYWORD_ONLY}

    assert keyword_only(nashra.text.truncate) == {"measure", "ellipsis"}
    assert keyword_only(nashra.text.clean_text) == {"keep_newlines"}
    assert keyword_only(nashra.text.format_date) == {"locale", "tz", "format"}
    assert keyword_only(nashra.text.hashtags) == {"limit"}
    assert keyword_only(nashra.text.sanitize_html) == {"base_url", "cleaned"}
    assert keyword_only(nashra.text.slugify) == {"max_length"}
