"""The feeds step as the pipeline and the CLI run it: build, then ping the WebSub hub if configured."""

from __future__ import annotations

from pathlib import Path

from nashra.feeds.build import build_feeds, public_url
from nashra.feeds.websub import ping_hub
from nashra.model import StageReport
from nashra.runtime import Runtime

WEBSUB_QUEUE = "websub-pending.txt"
"""Under the data folder: feed URLs whose publish ping the hub has not accepted yet."""


def run_feeds(runtime: Runtime, out_dir: Path | None = None) -> StageReport:
    """Build every feed; ping the hub for the changed ones, but only when they are the public files.

    A build into another folder (`nashra feeds build --out preview/`) is not what the public URLs
    serve, so telling the hub about it would send subscribers the old files.
    """
    settings = runtime.settings
    result = build_feeds(runtime, out_dir)
    report = StageReport("feeds")
    report.add("feeds", result.feeds)
    report.add("rendered", len(result.rendered))
    report.add("written", len(result.written))
    report.add("unchanged", result.unchanged)
    report.add("removed", len(result.removed))
    if result.written or result.removed:
        report.outputs.append(str(result.out_dir / "feeds"))
    hub = settings.feeds.hub_url
    queue = settings.data_dir / WEBSUB_QUEUE
    if (
        hub
        and result.out_dir.resolve() == settings.public_dir.resolve()
        and (result.written or queue.is_file())
    ):
        ping = ping_hub(runtime.http, hub, [public_url(settings, p) for p in result.written], queue)
        report.add("hub_pinged", ping.accepted)
        if ping.problem:
            report.add("hub_queued", len(ping.pending))
            report.problems.append(ping.problem)
    return report


def build_feeds_stage(runtime: Runtime) -> StageReport:
    return run_feeds(runtime)
