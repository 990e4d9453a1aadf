"""`{% cache key, … %}…{% endcache %}`: a template block rendered once per template text and key.

A digest's teaser blocks are most of its template work, and the same teasers come back: the
issue sent after its preview, the next digest of another list carrying the same stories. The
bundled templates wrap each teaser in a cache block keyed by the teaser (a frozen record of
everything shown about it, read from the article's forms) and by any render-time value the block
reads, so a block is rendered again only when something it shows changed. The key always
includes a hash of the whole template text: an edited template (or another operator's copy)
never reuses a block rendered from the old one.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Hashable

from jinja2 import Environment, nodes
from jinja2.ext import Extension
from jinja2.parser import Parser

FRAGMENTS_KEPT = 2048
"""Blocks kept in memory (a teaser's MJML is about 2 KB)."""


class FragmentCache:
    """A bounded map from (template, block, key values) to the block's rendered text; when full,
    the block stored first is dropped (recent teasers are the ones that come back)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._blocks: dict[Hashable, str] = {}
        # Web previews render in threads: storing and dropping one at a time (a lookup is one
        # dict read, safe without it).
        self._lock = threading.Lock()
        # The dict's own `get`, bound once: the filter every teaser of every render calls, in C.
        self.lookup: Callable[[Hashable], str | None] = self._blocks.get

    def store(self, text: str, key: Hashable) -> str:
        """Keep `text` under `key` and give it back: the filter each rendered block goes through
        (`text|store(key)`), bound to the cache itself, with no call in between."""
        with self._lock:
            self._blocks[key] = text
            if len(self._blocks) > self.size:
                del self._blocks[next(iter(self._blocks))]
        return text

    def cache_clear(self) -> None:
        with self._lock:
            self._blocks.clear()


FRAGMENTS = FragmentCache(FRAGMENTS_KEPT)


class CacheExtension(Extension):
    """The `cache` tag. What a block shows must be fixed by the template text and its key values:
    list after `cache` every variable the block reads that is not set from a literal."""

    tags = {"cache"}  # noqa: RUF012  # jinja2.ext.Extension declares `tags` as a plain set

    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        self._sources: dict[str | None, str] = {}
        # Filters, not calls: Jinja calls a filter directly, a function through `context.call`.
        environment.filters[_LOOKUP] = FRAGMENTS.lookup
        environment.filters[_STORE] = FRAGMENTS.store

    def preprocess(self, source: str, name: str | None, filename: str | None = None) -> str:
        self._sources[name] = hashlib.sha256(source.encode()).hexdigest()
        return source

    def parse(self, parser: Parser) -> list[nodes.Node]:
        lineno = next(parser.stream).lineno
        keys = [parser.parse_expression()]
        while parser.stream.skip_if("comma"):
            keys.append(parser.parse_expression())
        body = parser.parse_statements(("name:endcache",), drop_needle=True)
        # The same text compiled with and without autoescape renders differently.
        autoescape = self.environment.autoescape
        escaped = autoescape(parser.name) if callable(autoescape) else autoescape
        block = nodes.Const(f"{self._sources.get(parser.name, '')}:{lineno}:{escaped}")
        # {% set key = (block, keys) %}{% set text = key|lookup %}{% if not text %}
        # {% set text %}body{% endset %}{% set text = text|store(key) %}{% endif %}{{ text }}
        # (a call block would build a macro for every teaser, found in the cache or not).
        key, text = f"_cache_key_{lineno}", f"_cache_text_{lineno}"
        return [
            nodes.Assign(nodes.Name(key, "store"), nodes.Tuple([block, nodes.Tuple(keys, "load")], "load")),
            nodes.Assign(nodes.Name(text, "store"), _filter(_LOOKUP, nodes.Name(key, "load"))),
            nodes.If(
                nodes.Not(nodes.Name(text, "load")),  # `is none` is a call; an empty block renders again
                [
                    nodes.AssignBlock(nodes.Name(text, "store"), None, body),
                    nodes.Assign(
                        nodes.Name(text, "store"),
                        _filter(_STORE, nodes.Name(text, "load"), nodes.Name(key, "load")),
                    ),
                ],
                [],
                [],
            ),
            nodes.Output([nodes.Name(text, "load")]),
        ]


_LOOKUP, _STORE = "_cache_lookup", "_cache_store"


def _filter(name: str, value: nodes.Expr, *args: nodes.Expr) -> nodes.Filter:
    return nodes.Filter(value, name, list(args), [], None, None)
