"""Load templates (bundled defaults or operator overrides) and report their errors by name and line.

Digests take one override file per template; the web pages take a folder that replaces them file by file.

Operators edit these templates; a mistake must come back as "digest.mjml.j2:42: 'lead' is undefined",
not as a traceback. StrictUndefined makes a misspelt variable an error instead of an empty string
that would go out to every subscriber.
"""

from __future__ import annotations

import functools
import traceback
from collections import Counter
from collections.abc import Callable, Mapping, MutableMapping
from copy import copy
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any

import jinja2
from jinja2 import nodes
from jinja2.compiler import CodeGenerator, Frame, optimizeconst
from jinja2.visitor import NodeTransformer
from markupsafe import Markup, escape

from nashra.digest.fragments import CacheExtension
from nashra.errors import TemplateError
from nashra.text.markup import as_markup, escape_text

PACKAGE = "nashra.templates"


def escaped(value: object) -> str:
    """`{{ value }}` in an autoescaped template: the text of `markupsafe.escape(value)`.

    Jinja writes every output of an autoescaped template as `escape(value)`, which builds a new
    Markup each time (a Python `__new__`, about a microsecond): markup already escaped (a
    teaser's bidi title, every `|attr` value) is copied into a new Markup, and a plain string is
    escaped and then wrapped. The output is joined into one string at once, so none of those
    Markups is ever used; the text is the same.
    """
    if type(value) is Markup:
        return value
    if type(value) is str:
        return escape_text(value)
    if type(value) is int:  # a number written into the markup: nothing in it to escape
        return str(value)
    return escape(value)


class _CodeGenerator(CodeGenerator):
    """Compiles `{{ … }}` in autoescaped templates to `escaped(…)` rather than `escape(…)`, with
    markup (most of a digest's values: `|attr` and `|bdi` results, teasers' bidi titles, cached
    blocks) passed through and plain text escaped without a Python call; reads attributes with
    Python's own `getattr`; and writes names set once from a literal as that literal.

    `Environment.code_generator_class` is Jinja's hook for changing the code templates compile
    to; `_output_child_pre`/`_post` are what its `visit_Output` writes around each expression,
    `visit_Getattr` writes `obj.name`, `visit_AssignBlock` writes a `{% set %}` block and
    `visit_Template` is where it starts. Were a later Jinja to stop calling them (or to write a
    block's Markup otherwise), templates would escape, read attributes and wrap blocks with
    Jinja's own code: the same text, only slower (tests/digest/test_digest_templating.py compares
    both).
    """

    def visit_Template(self, node: nodes.Template, frame: Frame | None = None) -> None:
        _fold_literal_names(node)
        self._captures: list[bool] = []
        super().visit_Template(node, frame)

    def visit_AssignBlock(self, node: nodes.AssignBlock, frame: Frame) -> None:
        """`{% set x %}…{% endset %}` (each rendered teaser block) wraps the joined text in Markup:
        with no filter that text is a str, made Markup by `as_markup` rather than Markup's Python
        `__new__` (see `write`)."""
        self._captures.append(node.filter is None)
        try:
            super().visit_AssignBlock(node, frame)
        finally:
            self._captures.pop()

    def write(self, x: str) -> None:
        if x == _MARKUP_OF_CAPTURE and self._captures and self._captures[-1]:
            x = " = (environment.as_markup if context.eval_ctx.autoescape else identity)("
        super().write(x)

    def _output_child_pre(
        self, node: nodes.Expr, frame: Frame, finalize: CodeGenerator._FinalizeInfo
    ) -> None:
        if frame.eval_ctx.autoescape and not frame.eval_ctx.volatile and finalize.src is None:
            self.write("(_out if type(_out := ")
        else:
            super()._output_child_pre(node, frame, finalize)

    def _output_child_post(
        self, node: nodes.Expr, frame: Frame, finalize: CodeGenerator._FinalizeInfo
    ) -> None:
        if frame.eval_ctx.autoescape and not frame.eval_ctx.volatile and finalize.src is None:
            self.write(
                ") is Markup else environment.escape_text(_out)"
                " if type(_out) is str else environment.escaped(_out))"
            )
        else:
            super()._output_child_post(node, frame, finalize)

    @optimizeconst
    def visit_Getattr(self, node: nodes.Getattr, frame: Frame) -> None:
        """`obj.name` as Python's `getattr(obj, "name", missing)`, then as a plain dict's item
        (`site.name`: the contexts are dicts), and through Jinja's `environment.getattr` (another
        mapping's item, or undefined) only when neither has it: the same value, without a Python
        call for every field of every teaser, nor the AttributeError Jinja raises and catches for
        every key of a dict."""
        if self.environment.is_async or type(self.environment).getattr is not jinja2.Environment.getattr:
            super().visit_Getattr(node, frame)  # a sandbox's getattr is its guard: never go around it
            return
        name = repr(node.attr)
        self.write("(_got if (_got := getattr((_obj := ")
        self.visit(node.node, frame)
        self.write(
            f"), {name}, missing)) is not missing"
            f" else _got if type(_obj) is dict and (_got := _obj.get({name}, missing)) is not missing"
            f" else environment.getattr(_obj, {name}))"
        )


class _Literal(NodeTransformer):
    """Replaces loads of the given names with their literal values."""

    def __init__(self, literals: dict[str, nodes.Const]) -> None:
        self.literals = literals

    def visit_Name(self, node: nodes.Name) -> nodes.Node:
        literal = self.literals.get(node.name) if node.ctx == "load" else None
        if literal is None:
            return node
        folded = copy(literal)
        folded.lineno = node.lineno
        return folded


def _fold_literal_names(template: nodes.Template) -> None:
    """`{% set ink = "#1d1d1b" %}` at the top of a template, then `{{ ink }}` in every teaser:
    each such name becomes its literal wherever it is read after the `set`, so Jinja writes it into
    the template's text once at compile time instead of looking it up and escaping it per use.

    Only names bound exactly once in the whole template (no loop, macro argument, import or inner
    `set` of the same name), by a top-level `set` of a constant, in a template with no `extends`
    or blocks (whose rendering order is not the text's). The `set` itself stays, so the name is
    still exported to the context as before.
    """
    if template.find(nodes.Extends) is not None or template.find(nodes.Block) is not None:
        return
    bound = Counter(name.name for name in template.find_all(nodes.Name) if name.ctx != "load")
    imported = [found.target for found in template.find_all(nodes.Import)]
    for found in template.find_all(nodes.FromImport):
        imported.extend(name if isinstance(name, str) else name[1] for name in found.names)
    bound.update(imported + imported)  # an imported name is never a literal: count it twice
    literals: dict[str, nodes.Const] = {}
    folding = _Literal(literals)  # each child sees the literals set before it
    for index, child in enumerate(template.body):
        if literals:
            template.body[index] = folding.visit(child)
        if (
            isinstance(child, nodes.Assign)
            and isinstance(child.target, nodes.Name)
            and isinstance(child.node, nodes.Const)
            and bound[child.target.name] == 1
        ):
            literals[child.target.name] = child.node


_MARKUP_OF_CAPTURE = " = (Markup if context.eval_ctx.autoescape else identity)("
"""What Jinja's `visit_AssignBlock` writes before the captured text."""


class _Environment(jinja2.Environment):
    code_generator_class = _CodeGenerator
    escaped = staticmethod(escaped)
    escape_text = staticmethod(escape_text)
    as_markup = staticmethod(as_markup)

    def make_globals(self, d: MutableMapping[str, Any] | None) -> MutableMapping[str, Any]:
        """A template's globals as one dict, not Jinja's ChainMap over the environment's: every
        render copies them into its context, and a ChainMap is copied key by key in Python (about
        15 µs a render, four renders an issue). Nothing changes an environment's globals once its
        templates are loaded (Jinja advises against it: a loaded template may not see the change)."""
        return {**self.globals, **(d or {})}


def _bundled_source(name: str) -> tuple[str, str, Callable[[], bool]] | None:
    resource = files(PACKAGE).joinpath(name)
    if not resource.is_file():
        return None
    # The real path (when there is one) lets errors and tracebacks name the file an operator can open.
    return resource.read_text(encoding="utf-8"), str(resource), lambda: True


def _filters() -> dict[str, Callable[..., Any]]:
    from nashra.digest.mjml_compat import attr
    from nashra.text import isolate_ltr_runs, isolate_ltr_runs_html

    return {"isolate": isolate_ltr_runs, "bdi": isolate_ltr_runs_html, "attr": attr}


def _environment(loader: jinja2.BaseLoader, autoescape: bool) -> jinja2.Environment:
    env = _Environment(
        loader=loader,
        autoescape=autoescape,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=True,
        extensions=[CacheExtension],
    )
    env.filters.update(_filters())
    return env


@cache
def _bundled_env(autoescape: bool) -> jinja2.Environment:
    return _environment(jinja2.FunctionLoader(_bundled_source), autoescape)


@cache
def _file_env(folder: Path, autoescape: bool) -> jinja2.Environment:
    return _environment(jinja2.FileSystemLoader(folder), autoescape)


@cache
def _layered_env(bundled: str, folder: Path | None, autoescape: bool) -> jinja2.Environment:
    """The operator's folder first, then the bundled one, under the same names: so an operator's page
    can extend the bundled layout, and an operator's layout is used by the bundled pages."""
    loaders: list[jinja2.BaseLoader] = [
        jinja2.FunctionLoader(lambda name: _bundled_source(f"{bundled}/{name}"))
    ]
    if folder is not None:
        loaders.insert(0, jinja2.FileSystemLoader(folder))
    return _environment(jinja2.ChoiceLoader(loaders), autoescape)


def _template_frame(exc: BaseException, fallback: str) -> str:
    """`file:line` of the innermost template frame (Jinja rewrites tracebacks so template frames
    carry the template's own file name and line), so an error in an included file names that file."""
    found = None
    for frame in traceback.extract_tb(exc.__traceback__):
        if not frame.filename.endswith(".py") and not frame.filename.startswith("<frozen"):
            found = f"{frame.filename}:{frame.lineno}"
    return found or fallback


def load(default_name: str, override: Path | None, *, autoescape: bool) -> jinja2.Template:
    """The operator's template when configured, else the bundled one; syntax errors become TemplateError."""
    if override is not None:
        if not override.is_file():
            raise TemplateError(
                "template file not found",
                where=str(override),
                hint="fix html_template/text_template in [[digests]]",
            )
        env, name = _file_env(override.parent.resolve(), autoescape), override.name
    else:
        env, name = _bundled_env(autoescape), default_name
    return _get(env, name)


def load_layered(name: str, folder: Path | None, *, bundled: str, autoescape: bool) -> jinja2.Template:
    """`name` from the operator's `folder` when it holds that file, else from the bundled `bundled`
    folder; each file is chosen on its own, so an operator replaces only the templates they change."""
    return _get(_layered_env(bundled, folder.resolve() if folder else None, autoescape), name)


def _get(env: jinja2.Environment, name: str) -> jinja2.Template:
    """The template, with syntax errors and missing files as TemplateError naming file and line."""
    try:
        return env.get_template(name)
    except jinja2.TemplateSyntaxError as exc:
        where = f"{exc.filename or exc.name or name}:{exc.lineno}"
        raise TemplateError(f"template syntax error: {exc.message}", where=where) from None
    except jinja2.TemplateNotFound as exc:
        raise TemplateError(f"template {exc.name!r} not found", where=name) from None


def render(template: jinja2.Template, context: Mapping[str, Any]) -> str:
    """Render, turning any error raised inside the template into TemplateError naming file and line."""
    try:
        return template.render(context)
    except jinja2.TemplateSyntaxError as exc:  # an {% include %} with a syntax error
        where = f"{exc.filename or exc.name}:{exc.lineno}"
        raise TemplateError(f"template syntax error: {exc.message}", where=where) from None
    except Exception as exc:
        where = _template_frame(exc, template.filename or template.name or "template")
        detail = exc.message if isinstance(exc, jinja2.TemplateError) and exc.message else str(exc)
        raise TemplateError(f"template error: {detail}", where=where) from None


@cache
def _string_env() -> jinja2.Environment:
    env = _Environment(undefined=jinja2.StrictUndefined, autoescape=False)
    env.filters.update(_filters())
    return env


@functools.lru_cache(maxsize=64)
def _compiled(source: str) -> jinja2.Template:
    return _string_env().from_string(source)


def render_string(source: str, context: Mapping[str, Any], *, name: str | Callable[[], str]) -> str:
    """A one-line template from config (subject, preheader); `name` says which key it came from
    (or works it out: only an error needs it)."""
    try:
        return _compiled(source).render(context)
    except jinja2.TemplateSyntaxError as exc:
        name = name if isinstance(name, str) else name()
        raise TemplateError(f"template syntax error: {exc.message}", where=f"{name}:{exc.lineno}") from None
    except Exception as exc:
        name = name if isinstance(name, str) else name()
        where = _template_frame(exc, name).replace("<template>", name)
        detail = exc.message if isinstance(exc, jinja2.TemplateError) and exc.message else str(exc)
        raise TemplateError(f"template error: {detail}", where=where) from None
