"""The "alerts" pipeline stage: mail each fresh urgent story to `[breaking] alert_list` right after
the ingest that saw it (nashra.digest.alert), one issue per story, oldest first."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from nashra.config import Settings
from nashra.config.breaking import ALERT_DIGEST
from nashra.digest.alert import alert_digest, prepare_alert
from nashra.errors import NashraError
from nashra.jobs import Every, Job, Unit
from nashra.logs import event
from nashra.mail.send import SendStatus, send_digest, unknown_line
from nashra.model import StageReport
from nashra.runtime import Runtime

log = logging.getLogger(__name__)

STAGE = "alerts"
MAX_PER_RUN = 10
"""Alerts one run sends at most: a source that suddenly marks everything urgent must not mail
the list a hundred times; the rest wait for the next run, and the log says so."""
_DONE = (SendStatus.NOTHING_NEW, SendStatus.NO_RECIPIENTS, SendStatus.BUSY, SendStatus.ON_HOLD)


def alerts_stage(runtime: Runtime) -> StageReport:
    report = StageReport(STAGE)
    digest = alert_digest(runtime.settings)
    if digest is None:
        return report
    for _ in range(MAX_PER_RUN):
        try:
            summary = send_digest(runtime, digest, prepare=prepare_alert)
        except NashraError as exc:
            report.problems.append(f"breaking-news alert: {exc}")
            event(log, "alert.send_failed", level=logging.ERROR, error=str(exc))
            return report
        if summary.status in _DONE:
            if summary.status is SendStatus.ON_HOLD:
                report.problems.append(f"breaking-news alerts paused: {'; '.join(summary.errors)}")
            return report
        report.add("alerts")
        report.add("sent", summary.sent)
        report.add("failed", summary.failed)
        if summary.unknown:
            report.add("unknown", summary.unknown)
            report.problems.append(unknown_line(summary))
        if summary.status is not SendStatus.SENT:
            report.problems.append(
                f"breaking-news alert {summary.issue_id}: {summary.status}; resumes next run"
            )
            return report
    event(log, "alert.more_waiting", level=logging.WARNING, digest=ALERT_DIGEST, sent=MAX_PER_RUN)
    return report


def alert_targets(settings: Settings) -> list[str]:
    """The alert, when one is configured: with none, a queue has nothing to run after an ingest."""
    return [ALERT_DIGEST] if alert_digest(settings) else []


def alert_target(runtime: Runtime, _target: str) -> StageReport:
    return alerts_stage(runtime)


def alert_jobs(settings: Settings) -> Sequence[Job]:
    """Besides running after every ingest that found something, a timed run finishes an alert an
    outage or a crash interrupted."""
    if not alert_targets(settings):
        return ()
    return (Job(STAGE, Every(minutes=settings.ingest.every_minutes), alerts_stage, Unit(STAGE)),)
