"""The "social" pipeline stage: post what is pending on every channel; in the worker, one timed
job per channel so each keeps its own pace."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from urllib.parse import unquote, urlsplit

from nashra.config import Settings
from nashra.errors import ConfigError, TemplateError
from nashra.jobs import Every, Job, Unit
from nashra.model import StageReport
from nashra.runtime import Runtime
from nashra.social.post import post_pending
from nashra.social.registry import configured_channels
from nashra.store.posts import PostStatus


def social_stage(runtime: Runtime, channel: str | None = None) -> StageReport:
    """The pipeline stage: post what is pending (on every channel, or one), count outcomes per status."""
    report = StageReport("social")
    try:
        run = post_pending(runtime, channel=channel)
    except (ConfigError, TemplateError) as exc:  # a bad [[channels]] table must not stop the other stages
        report.add("config_errors")
        report.problems.append(str(exc))
        return report
    for result in run.results:
        report.add(result.status)
        if result.status in (PostStatus.FAILED, PostStatus.UNKNOWN, PostStatus.RETRY):
            report.problems.append(f"{result.channel}: {result.title}: {result.status}: {result.error}")
    report.problems.extend(run.problems)
    files = {
        unquote(urlsplit(r.remote_url).path)
        for r in run.results
        if (r.remote_url or "").startswith("file://")
    }
    report.outputs.extend(sorted(files))  # where the file channel wrote, for the run summary
    return report


def channel_names(settings: Settings) -> list[str]:
    """The enabled channels, each of which a queue worker can post to on its own (in order: one
    job per channel at a time)."""
    return [config.name for _, config in configured_channels(settings)]


def social_jobs(settings: Settings) -> Sequence[Job]:
    """One timed job per enabled channel, every `every_minutes` (default 5)."""
    return tuple(
        Job(
            f"social:{config.name}",
            Every(minutes=config.every_minutes),
            partial(social_stage, channel=config.name),
            Unit("social", config.name),
        )
        for _, config in configured_channels(settings)
    )
