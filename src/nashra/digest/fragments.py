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
from collections import OrderedDict
from collections.abc import Callable, Hashable

from jinja2 import Environment, nodes
from jinja2.ext import Extension
from jinja2.parser import Parser

FRAGMENTS_KEPT = 2048
"""Blocks kept in memory (a teaser's MJML is about 2 KB), least recently used dropped first."""


class FragmentCache:
    """A bounded LRU map from (template, block, key values) to the block's rendered text."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._blocks: OrderedDict[Hashable, str] = OrderedDict()

    def get(self, key: Hashable, render: Callable[[], str]) -> str:
        try:
            self._blocks.move_to_end(key)
            return self._blocks[key]
        except KeyError:
            text = self._blocks[key] = render()
            if len(self._blocks) > self.size:
                self._blocks.popitem(last=False)
            return text

    def cache_clear(self) -> None:
        self._blocks.clear()


FRAGMENTS = FragmentCache(FRAGMENTS_KEPT)


class CacheExtension(Extension):
    """The `cache` tag. What a block shows must be fixed by the template text and its key values:
    list after `cache` every variable the block reads that is not set from a literal."""

    tags = {"cache"}  # noqa: RUF012  # jinja2.ext.Extension declares `tags` as a plain set

    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        self._sources: dict[str | None, str] = {}

    def preprocess(self, source: str, name: str | None, filename: str | None = None) -> str:
        self._sources[name] = hashlib.sha256(source.encode()).hexdigest()
        return source

    def parse(self, parser: Parser) -> nodes.Node:
        lineno = next(parser.stream).lineno
        keys = [parser.parse_expression()]
        while parser.stream.skip_if("comma"):
            keys.append(parser.parse_expression())
        body = parser.parse_statements(("name:endcache",), drop_needle=True)
        # The same text compiled with and without autoescape renders differently.
        autoescape = self.environment.autoescape
        escaped = autoescape(parser.name) if callable(autoescape) else autoescape
        block = nodes.Const(f"{self._sources.get(parser.name, '')}:{lineno}:{escaped}")
        call = self.call_method("_cached", [block, nodes.Tuple(keys, "load")])
        return nodes.CallBlock(call, [], [], body).set_lineno(lineno)

    def _cached(self, block: str, keys: tuple[Hashable, ...], caller: Callable[[], str]) -> str:
        return FRAGMENTS.get((block, keys), caller)
