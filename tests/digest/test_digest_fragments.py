"""`{% cache %}` blocks: rendered once per template text, block and key values, never reused
across an edited template, other key values or another escaping mode."""

from __future__ import annotations

from pathlib import Path

from nashra.digest import templating
from nashra.digest.fragments import FRAGMENTS, FragmentCache

BLOCK = """{% for t in items %}
{% cache t %}
<p>{{ t }}{{ suffix }}</p>
{% endcache %}
{% endfor %}
"""


def _render(folder: Path, source: str, *, autoescape: bool = True, **context: object) -> str:
    folder.mkdir(exist_ok=True)
    (folder / "t.j2").write_text(source, encoding="utf-8")
    template = templating.load("unused", folder / "t.j2", autoescape=autoescape)
    return templating.render(template, context)


def test_a_block_renders_once_per_key_value(tmp_path: Path) -> None:
    FRAGMENTS.cache_clear()
    first = _render(tmp_path / "a", BLOCK, items=["<x>", "y"], suffix="!")
    assert first == "<p>&lt;x&gt;!</p>\n<p>y!</p>\n"
    # The suffix is not in the key, so a cached block keeps the value it was rendered with:
    # that is why a block lists every render-time value it reads (the digest's: the teaser, lang).
    assert _render(tmp_path / "a", BLOCK, items=["y", "z"], suffix="?") == "<p>y!</p>\n<p>z?</p>\n"


def test_an_edited_template_never_reuses_blocks_of_the_old_text(tmp_path: Path) -> None:
    FRAGMENTS.cache_clear()
    assert _render(tmp_path / "a", BLOCK, items=["y"], suffix="") == "<p>y</p>\n"
    edited = BLOCK.replace("<p>", "<div>").replace("</p>", "</div>")
    assert _render(tmp_path / "b", edited, items=["y"], suffix="") == "<div>y</div>\n"


def test_escaping_is_part_of_the_block(tmp_path: Path) -> None:
    FRAGMENTS.cache_clear()
    assert _render(tmp_path / "a", BLOCK, items=["<x>"], suffix="") == "<p>&lt;x&gt;</p>\n"
    assert _render(tmp_path / "a", BLOCK, autoescape=False, items=["<x>"], suffix="") == "<p><x></p>\n"


def test_the_cache_is_bounded() -> None:
    cache = FragmentCache(2)
    for key in ("a", "b", "c"):
        cache.store(key.upper(), key)
    assert cache.lookup("a") is None
    assert (cache.lookup("b"), cache.lookup("c")) == ("B", "C")
