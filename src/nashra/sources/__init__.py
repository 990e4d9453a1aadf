"""Sources: where articles come from. One module per kind, behind the small `Source` protocol."""

from nashra.sources.base import FetchResult, Source, SourceContext
from nashra.sources.registry import build_sources

__all__ = ["FetchResult", "Source", "SourceContext", "build_sources"]
