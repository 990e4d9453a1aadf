"""Autoescaped templates write `{{ … }}` through `templating.escaped`: the same text as
`markupsafe.escape`, whatever the value, and errors where Jinja's own escaping raised them."""

from __future__ import annotations

from pathlib import Path

import jinja2
import pytest
from hypothesis import given
from hypothesis import strategies as st
from markupsafe import Markup, escape

from nashra.digest import templating
from nashra.errors import TemplateError
from nashra.text.markup import as_markup


class _Html:
    def __html__(self) -> str:
        return "<b>safe</b>"

    def __repr__(self) -> str:
        return "_Html()"


class _MarkupSubclass(Markup):
    pass


@given(st.text())
def test_escaped_text_is_markupsafe_escape(text: str) -> None:
    assert templating.escaped(text) == str(escape(text))
    assert templating.escaped(Markup(text)) == text


@pytest.mark.parametrize(
    "value", [17, 2.5, None, True, _Html(), _MarkupSubclass("<i>x</i>"), ["<a>"], b"<"], ids=repr
)
def test_escaped_other_values_are_markupsafe_escape(value: object) -> None:
    assert templating.escaped(value) == str(escape(value))


def jinja_render(source: str, *, autoescape: bool, **context: object) -> str:
    """What Jinja itself renders, with its own escaping."""
    env = jinja2.Environment(autoescape=autoescape, trim_blocks=True, keep_trailing_newline=True)
    return env.from_string(source).render(context)


def _render(folder: Path, source: str, *, autoescape: bool, **context: object) -> str:
    folder.mkdir(exist_ok=True)
    (folder / "t.j2").write_text(source, encoding="utf-8")
    template = templating.load("unused", folder / "t.j2", autoescape=autoescape)
    return templating.render(template, context)


def test_templates_escape_as_jinja_does(tmp_path: Path) -> None:
    source = (
        "{% macro m(x) %}<i>{{ x }}</i>{% endmacro %}{% set block %}<b>{{ v }}</b>{% endset %}"
        "{{ v }}|{{ m(v) }}|{{ block }}|{{ v|e }}|{{ n }}|{{ v ~ n }}"
        "{% autoescape false %}|{{ v }}{% endautoescape %}\n"
    )
    values = {"v": "<a href='x'>&\"</a>", "n": 3}
    expected = jinja_render(source, autoescape=True, **values)
    assert _render(tmp_path / "on", source, autoescape=True, **values) == expected
    assert _render(tmp_path / "off", source, autoescape=False, **values) == jinja_render(
        source, autoescape=False, **values
    )


def test_an_undefined_value_is_still_an_error(tmp_path: Path) -> None:
    with pytest.raises(TemplateError, match=r"t\.j2:2: template error: 'missing' is undefined"):
        _render(tmp_path, "line one\n{{ missing }}\n", autoescape=True)


@given(st.text())
def test_as_markup_is_markup_of_the_text(text: str) -> None:
    built = as_markup(text)
    assert type(built) is Markup and built == Markup(text) and str(built) == text


def test_templates_see_the_environment_globals(tmp_path: Path) -> None:
    source = (
        "{% set ns = namespace(n=0) %}{% for i in range(3) %}{% set ns.n = ns.n + i %}{% endfor %}{{ ns.n }}"
    )
    assert _render(tmp_path, source, autoescape=True) == "3"
    assert templating.render_string("{{ range(2)|list }} {{ x }}", {"x": "<"}, name="s") == "[0, 1] <"
