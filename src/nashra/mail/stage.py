"""The "digests" pipeline stage: `run --once` sends every digest with something new; the worker
sends each digest on its own cron schedule (site time zone)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from functools import partial

from nashra.config import Settings
from nashra.config.digests import DigestSettings
from nashra.digest import configured_digests
from nashra.digest.schedule import digest_schedule, job_id
from nashra.errors import NashraError
from nashra.jobs import Job, Unit
from nashra.logs import event
from nashra.mail.batches import STAGE, parse_batch, queue_batches, send_batch
from nashra.mail.send import SendStatus, SendSummary, send_digest, unknown_line
from nashra.model import StageReport
from nashra.runtime import Runtime

log = logging.getLogger(__name__)


def _book(report: StageReport, summary: SendSummary, settings: Settings) -> None:
    if summary.status in (SendStatus.NOTHING_NEW, SendStatus.NO_RECIPIENTS, SendStatus.BUSY):
        report.add(summary.status.replace("-", "_"))
        return
    if summary.status is SendStatus.QUEUED:
        report.add("batches", summary.batches)
        return
    if summary.status is SendStatus.ON_HOLD and summary.issue_id is None:
        report.add("on_hold")
        report.problems.append(f"digest {summary.digest}: paused ({'; '.join(summary.errors)}); nothing sent")
        return
    report.add("issues")
    for key in ("sent", "retried", "failed", "skipped"):
        report.add(key, getattr(summary, key))
    if summary.unknown:
        report.add("unknown", summary.unknown)
        report.problems.append(unknown_line(summary))
    if summary.sent:
        if settings.mail.transport == "file":
            report.outputs.append(str(settings.outbox_dir / "mail"))
        report.outputs.append(str(settings.public_dir / "digests" / summary.digest))
    if summary.status is SendStatus.PAUSED:
        report.problems.append(
            f"digest {summary.digest}: mail server unreachable; {summary.sent} of "
            f"{summary.total} sent, the rest resumes on the next run"
        )
    if summary.status is SendStatus.ON_HOLD:
        report.problems.append(
            f"digest {summary.digest}: paused during the send; {summary.sent} of "
            f"{summary.total} sent, the rest waits for `nashra digest resume {summary.digest}`"
        )
    if summary.status is SendStatus.STOPPED:
        report.problems.append(
            f"digest {summary.digest}: stopped on request; {summary.sent} of "
            f"{summary.total} sent, the rest resumes on the next run"
        )


def _send_one(
    runtime: Runtime, digest: DigestSettings, report: StageReport, batch: str | None = None
) -> None:
    """Send the digest whole; in a queue worker, queue its batches instead, or send `batch`."""
    try:
        if runtime.handoff is None:
            summary = send_digest(runtime, digest)
        elif batch is None:
            summary = queue_batches(runtime, digest, runtime.handoff)
        else:
            summary = send_batch(runtime, digest, batch, runtime.handoff)
        _book(report, summary, runtime.settings)
    except NashraError as exc:
        report.problems.append(f"digest {digest.name}: {exc}")
        event(log, "digest.send_failed", level=logging.ERROR, digest=digest.name, error=str(exc))


def digests_stage(runtime: Runtime, digest: str | None = None) -> StageReport:
    """Send (or resume) every configured digest (or just `digest`) that has something new."""
    report = StageReport(STAGE)
    for settings in configured_digests(runtime.settings):
        if digest is not None and settings.name != digest:
            continue
        if settings.enabled:
            _send_one(runtime, settings, report)
        else:
            report.add("disabled")
    return report


def digest_target(runtime: Runtime, target: str) -> StageReport:
    """One unit of the digests stage: a digest ("daily"), or one batch of its issue
    ("daily/42/1001-2000", queued by the digest's own job in the distributed mode)."""
    parsed = parse_batch(target)
    if parsed is None:
        return digests_stage(runtime, target)
    report = StageReport(STAGE)
    settings = next((d for d in configured_digests(runtime.settings) if d.name == parsed[0]), None)
    if settings is None:
        report.problems.append(f"digest {parsed[0]}: no longer configured; batch {target} left as it is")
        return report
    _send_one(runtime, settings, report, batch=target)
    return report


def digest_names(settings: Settings) -> list[str]:
    """The enabled digests, each of which a queue worker can send on its own."""
    return [digest.name for digest in configured_digests(settings) if digest.enabled]


def digest_jobs(settings: Settings) -> Sequence[Job]:
    """One cron job per digest, in the site's time zone."""
    return [
        Job(
            job_id(d),
            digest_schedule(settings, d),
            partial(digests_stage, digest=d.name),
            Unit(STAGE, d.name),
        )
        for d in configured_digests(settings)
        if d.enabled
    ]
