"""mjml-python (MRML 1.4.2) escapes combining marks and controls in attributes as "\\u{651}"; we do not."""

from __future__ import annotations

import logging

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markupsafe import escape
from mjml import mjml2html

from nashra.digest.mjml_compat import _KEPT_BY_MRML, _MANGLED_BY_MRML, attr, compile_mjml
from nashra.errors import TemplateError

ALT = 'سدّ «الوادي»\u200cمع & "قوسين" \u2066BlueDune\u2069'
DOC = (
    "<mjml><mj-head><mj-title>{title}</mj-title></mj-head><mj-body><mj-section><mj-column>"
    '<mj-image src="https://e.example/i.png" alt="{alt}" /></mj-column></mj-section></mj-body></mjml>'
)


def test_the_upstream_behaviour_this_works_around_is_still_there() -> None:
    """If this starts failing, mjml-python fixed it and `attr` may become a plain escape."""
    assert "\\u{651}" in mjml2html(DOC.format(title="t", alt="سدّ"))


def test_attr_filter_keeps_marks_and_controls_intact() -> None:
    assert str(attr(ALT)) == ("سد&#x651; «الوادي»&#x200c;مع &amp; &#34;قوسين&#34; &#x2066;BlueDune&#x2069;")
    html = compile_mjml(DOC.format(title=attr(ALT), alt=attr(ALT)), where="t.mjml.j2")
    assert f'alt="{attr(ALT)}"' in html and f"<title>{attr(ALT)}</title>" in html
    assert "\\u{" not in html


def test_an_operator_template_without_the_filter_is_repaired_and_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    logger = logging.getLogger("nashra")  # the CLI's log setup stops propagation to the root logger
    logger.addHandler(caplog.handler)
    try:
        with caplog.at_level(logging.WARNING, logger="nashra"):
            html = compile_mjml(DOC.format(title="t", alt="سدّ"), where="mine.mjml.j2")
    finally:
        logger.removeHandler(caplog.handler)
    assert 'alt="سد&#x651;"' in html
    assert any(
        r.getMessage() == "digest.attribute_escaped" and r.template == "mine.mjml.j2"  # type: ignore[attr-defined]
        for r in caplog.records
    )


def test_invalid_mjml_names_the_template() -> None:
    with pytest.raises(TemplateError, match=r"^mine\.mjml\.j2: MJML the template produced is invalid"):
        compile_mjml("<mjml><mj-body><mj-section></mj-body></mjml>", where="mine.mjml.j2")


def test_attr_takes_the_quick_path_only_for_characters_mrml_keeps() -> None:
    every = "".join(map(chr, range(0x110000)))
    kept = "".join(_KEPT_BY_MRML.findall(every))
    assert "ب" in kept and "a" in kept and "\u0651" not in kept
    assert _MANGLED_BY_MRML.search(kept) is None
    printable_ascii = "".join(c for c in map(chr, range(128)) if c.isprintable())
    assert _KEPT_BY_MRML.fullmatch(printable_ascii)


@settings(max_examples=300)
@given(
    st.text(st.characters(codec="utf-8"), max_size=40) | st.sampled_from([ALT, "ملوّنة", "\u2066BRICS\u2069"])
)
def test_attr_references_exactly_the_characters_mrml_mangles(value: str) -> None:
    """`re` finds the candidates and `regex` judges each: the same as substituting with `regex`."""
    escaped = str(escape(value))
    expected = _MANGLED_BY_MRML.sub(lambda m: f"&#x{ord(m.group()):x};", escaped)
    assert str(attr(value)) == expected
