"""Autoescaped templates write `{{ … }}` through `templating.escaped`: the same text as
`markupsafe.escape`, whatever the value, and errors where Jinja's own escaping raised them."""

from __future__ import annotations

import re
from collections import OrderedDict
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
        # Captured text: markup in an autoescaped template (never escaped again), filtered, nested.
        "{% set upper | upper %}<i>{{ v }}</i>{% endset %}|{{ upper }}|{{ block ~ v }}"
        "{% set outer %}[{% set inner %}<u>{{ v }}</u>{% endset %}{{ inner }}]{% endset %}|{{ outer }}"
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


@pytest.mark.parametrize(
    "source",
    [
        # Folded: set once at the top from a literal, read after.
        '{% set ink = "<b>&" %}{% set n = 3 %}{% for i in range(2) %}{{ ink }}{{ n }}|{% endfor %}',
        # Not folded: read before the set (the context's value), or bound again.
        '{{ ink }}{% set ink = "#111" %}{{ ink }}',
        '{% set ink = "#111" %}{% for ink in ["<i>"] %}{{ ink }}{% endfor %}{{ ink }}',
        '{% set ink = "#111" %}{% macro m(ink) %}{{ ink }}{% endmacro %}{{ m("<u>") }}{{ ink }}',
        '{% set ink = "#111" %}{% if true %}{% set ink = "#222" %}{% endif %}{{ ink }}',
        '{% set ink = "#111" %}{% set ink %}<s>{% endset %}{{ ink }}',
        '{% set ink = "#111" %}{% with ink = "<q>" %}{{ ink }}{% endwith %}{{ ink }}',
        "{% set ink = v %}{{ ink }}",
    ],
)
def test_names_set_from_literals_render_as_jinja_renders_them(tmp_path: Path, source: str) -> None:
    values = {"ink": "<ctx>", "v": "<v>"}
    for autoescape in (True, False):
        folder = tmp_path / str(autoescape)
        expected = jinja_render(source, autoescape=autoescape, **values)
        assert _render(folder, source, autoescape=autoescape, **values) == expected


def test_a_name_set_from_a_literal_is_written_into_the_template() -> None:
    """What the folding is for: no lookup and no escaping of `ink` left in the compiled code."""
    env = templating._bundled_env(True)
    code = env.compile('{% set ink = "#1d1d1b" %}<a style="color:{{ ink }}">{{ v }}</a>', raw=True)
    assert '<a style="color:#1d1d1b">' in code
    assert "l_0_v" in code and "escaped(l_0_ink" not in code


class _Record:
    def __init__(self) -> None:
        self.title = "<t>"
        self.inner = {"name": "<n>", "items": [1, 2]}

    @property
    def broken(self) -> str:
        raise AttributeError("broken")


@pytest.mark.parametrize(
    "source",
    [
        "{{ r.title }}|{{ r.inner.name }}|{{ r.inner.name|length }}|{{ r.inner.items }}|{{ d.inner.title }}",
        "{% for x in [r, d] %}{{ x.title }}{% endfor %}|{{ (r if r.title else d).title }}",
        "{{ r.broken }}",  # no such attribute: Jinja's own lookup answers (here: undefined)
        "{{ d.missing is defined }}|{{ r.missing is defined }}",
        # A dict's method wins over its key, a None item is read as None, a dict subclass and
        # another mapping go through Jinja's own lookup.
        "{{ d.items is defined }}|{{ d.keys is callable }}|{{ d.nothing }}|{{ o.title }}|{{ o.missing is defined }}",
    ],
)
def test_attributes_read_as_jinja_reads_them(tmp_path: Path, source: str) -> None:
    values = {
        "r": _Record(),
        "d": {"title": "<d>", "inner": _Record(), "broken": "item", "keys": "k", "nothing": None},
        "o": OrderedDict(title="<o>"),
    }
    for autoescape in (True, False):
        strict = jinja2.Environment(autoescape=autoescape, undefined=jinja2.StrictUndefined)
        try:
            expected = strict.from_string(source).render(values)
        except jinja2.UndefinedError as error:
            with pytest.raises(TemplateError, match=re.escape(str(error))):
                _render(tmp_path / str(autoescape), source, autoescape=autoescape, **values)
            continue
        assert _render(tmp_path / str(autoescape), source, autoescape=autoescape, **values) == expected


def test_a_sandbox_keeps_its_own_attribute_lookup() -> None:
    """A sandbox's `getattr` is where it refuses unsafe attributes: the generator never goes around it."""
    from jinja2.sandbox import SandboxedEnvironment

    class Sandboxed(SandboxedEnvironment):
        code_generator_class = templating._CodeGenerator

    code = Sandboxed().compile("{{ r.title }}", raw=True)
    assert "environment.getattr(" in code and "_obj" not in code
    plain = templating._bundled_env(True).compile("{{ r.title }}", raw=True)
    assert "getattr((_obj := " in plain
