"""Speed work keeps every output byte-identical: digests, teasers, posts and text helpers, on the
demo and on a generated archive, against what the code produced before it was optimised."""

from __future__ import annotations

import json

import pytest
from golden_outputs import GOLDEN, PARTS, part

RECORDED = json.loads(GOLDEN.read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", PARTS)
@pytest.mark.parametrize("corpus", ["demo", "generated"])
def test_outputs_are_unchanged(corpus: str, name: str) -> None:
    # Through JSON like the recording, so tuples and lists compare alike.
    assert json.loads(json.dumps(part(corpus, name), ensure_ascii=False)) == RECORDED[corpus][name]
