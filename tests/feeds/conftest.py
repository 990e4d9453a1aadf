"""Fixtures for the feed tests: the Atom and JSON Feed validators, and log capture."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from pathlib import Path

import jsonschema
import lxml.etree
import pytest
import rnc2rng

HERE = Path(__file__).parent


@pytest.fixture(scope="session")
def atom_schema() -> lxml.etree.RelaxNG:
    """RFC 4287 Appendix B (tests/feeds/atom.rnc), converted with rnc2rng, validated by lxml."""
    rng = rnc2rng.dumps(rnc2rng.load(str(HERE / "atom.rnc")))
    # rnc2rng declares `namespace local = ""` as xmlns:local="", which XML 1.0 forbids; the grammar
    # itself refers to that namespace as <nsName ns=""/>, so the declaration can simply go.
    rng = re.sub(r'\s+xmlns:local=""', "", rng)
    return lxml.etree.RelaxNG(lxml.etree.fromstring(rng.encode("utf-8")))


@pytest.fixture(scope="session")
def jsonfeed_validator() -> jsonschema.Draft202012Validator:
    schema = json.loads((HERE / "jsonfeed-1.1.schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def feed_logs() -> Iterator[list[logging.LogRecord]]:
    """Records logged under nashra.feeds (attached directly: the CLI may have turned propagation off)."""
    handler = _Records()
    logger = logging.getLogger("nashra.feeds")
    previous = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    yield handler.records
    logger.removeHandler(handler)
    logger.setLevel(previous)
