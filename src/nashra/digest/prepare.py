"""What a digest would send now: read candidates and history from the store, compose, render."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from nashra.config import Settings
from nashra.config.digests import DigestSettings
from nashra.digest.compose import Composition, compose
from nashra.digest.render import RenderedDigest, render_digest
from nashra.errors import ConfigError
from nashra.runtime import Runtime
from nashra.store.articles import list_articles
from nashra.store.digests import load_exclusions

# With no [[digests]] in the config a fresh install still has one, so `nashra digest preview`
# shows the demo content right away.
DEFAULT_DIGEST = DigestSettings(name="daily")


def configured_digests(settings: Settings) -> list[DigestSettings]:
    digests = list(settings.digests) or [DEFAULT_DIGEST]
    names = [d.name for d in digests]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        where = settings.locate(("digests",))
        raise ConfigError([f"{where}: digests: names must be unique; repeated: {', '.join(repeated)}"])
    return digests


def find_digest(settings: Settings, name: str | None) -> DigestSettings:
    """The digest called `name`, or the first one; ConfigError naming the known ones otherwise."""
    digests = configured_digests(settings)
    if name is None:
        return digests[0]
    for digest in digests:
        if digest.name == name:
            return digest
    known = ", ".join(d.name for d in digests)
    raise ConfigError([f"{settings.origin or 'built-in defaults'}: no digest named {name!r}; known: {known}"])


def compose_now(runtime: Runtime, digest: DigestSettings, *, now: datetime) -> Composition | None:
    since = now - timedelta(hours=digest.window_hours)
    with runtime.store.connect() as conn:
        candidates = list_articles(conn, seen_since=since, sections=digest.sections or None)
        exclusions = load_exclusions(conn, digest.name)
    return compose(candidates, digest, now=now, exclusions=exclusions)


def prepare_digest(
    runtime: Runtime, digest: DigestSettings, *, now: datetime | None = None
) -> RenderedDigest | None:
    """The issue that would be sent at `now`, rendered; None when there is nothing new to send."""
    now = now or datetime.now(UTC)
    composition = compose_now(runtime, digest, now=now)
    if composition is None:
        return None
    return render_digest(runtime.settings, digest, composition, now=now)
