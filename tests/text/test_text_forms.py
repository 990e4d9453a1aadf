"""Stored article forms change nothing a reader sees: digests and posts rendered from forms read
back from their stored JSON equal those rendered computing every form fresh, on the demo and on a
generated archive; and a second render, from the caches the first one filled, equals the first."""

from __future__ import annotations

from dataclasses import replace

import pytest
from golden_outputs import SITE_TOML, _post_outputs, demo_articles, generated_articles
from golden_outputs import _digest_outputs as digest_outputs

from nashra.config import Settings
from nashra.digest.fragments import FRAGMENTS
from nashra.forms import forms_from_json, forms_to_json, fresh_forms, prepare_forms, teaser_lengths
from nashra.model import StoredArticle
from nashra.store.database import dumps_json, loads_json


def _articles(corpus: str, settings: Settings) -> list[StoredArticle]:
    return demo_articles(settings) if corpus == "demo" else generated_articles()


def _with_stored_forms(articles: list[StoredArticle], settings: Settings) -> list[StoredArticle]:
    """As the store returns them after ingest: forms written as JSON, read back."""
    out = []
    for stored in articles:
        content_hash = stored.article.content_hash
        written = dumps_json(
            forms_to_json(prepare_forms(stored.article, teaser_lengths(settings)), content_hash)
        )
        out.append(replace(stored, forms=forms_from_json(loads_json(written), content_hash)))
    return out


@pytest.mark.parametrize("corpus", ["demo", "generated"])
def test_digests_and_posts_from_stored_forms_equal_fresh_ones(corpus: str) -> None:
    settings = Settings.model_validate(SITE_TOML)
    bare = _articles(corpus, settings)
    FRAGMENTS.cache_clear()
    fresh_forms.cache_clear()
    fresh = (digest_outputs(settings, bare, full_html=True), _post_outputs(bare))
    FRAGMENTS.cache_clear()
    stored = _with_stored_forms(bare, settings)
    assert all(s.forms is not None for s in stored)
    assert (digest_outputs(settings, stored, full_html=True), _post_outputs(stored)) == fresh
    # And again, every teaser block now from the fragment cache.
    assert (digest_outputs(settings, stored, full_html=True), _post_outputs(stored)) == fresh
