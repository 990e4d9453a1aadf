"""Feeds: the site, each section and each tag as RSS 2.0, Atom 1.0 and JSON Feed 1.1 files.

`build_feeds` renders from the store and writes only what changed; `build_feeds_stage` is the
pipeline step (build, then WebSub ping); `nashra.web.feeds` serves the files with ETag/304.
"""

from nashra.feeds.build import BuildResult, build_feeds, build_from_articles, public_url
from nashra.feeds.stage import build_feeds_stage, run_feeds

__all__ = [
    "BuildResult",
    "build_feeds",
    "build_feeds_stage",
    "build_from_articles",
    "public_url",
    "run_feeds",
]
