"""The "inbound" pipeline stage: read the bounce mailbox (`[feedback.imap]`) and act on what came
back; in the worker, a timed job every `every_minutes`. Without `[feedback.imap]` it does nothing.

Each message is received in a transaction of its own and marked done in the mailbox only after
that commit, so a crash, a lost connection or a stop in between leaves it to the next poll, which
finds it a duplicate. One message that cannot be read is kept and counted; it never stops the poll.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy.exc import SQLAlchemyError

from nashra.config import Settings
from nashra.errors import ConfigError, MailboxError
from nashra.feedback.imap import Mailbox, open_mailbox
from nashra.feedback.inbound import receive
from nashra.feedback.signed import Signatures
from nashra.jobs import Every, Job, Unit
from nashra.logs import event
from nashra.model import StageReport
from nashra.runtime import Runtime

log = logging.getLogger(__name__)

STAGE = "inbound"


def _drain(runtime: Runtime, mailbox: Mailbox, report: StageReport) -> None:
    settings = runtime.settings
    signatures = Signatures.from_settings(settings)
    for uid in mailbox.unseen():
        if runtime.stopping.is_set():
            break
        raw = mailbox.fetch(uid)
        if raw is None:  # gone since the search (another client took it)
            continue
        with runtime.store.begin() as conn:
            result = receive(
                conn,
                raw,
                source="imap",
                signatures=signatures,
                soft_bounce_issues=settings.feedback.soft_bounce_issues,
                now=datetime.now(UTC),
            )
        report.add(result)  # committed, whatever happens to the mailbox now
        mailbox.done(uid)
    mailbox.finish()


def poll_mailbox(runtime: Runtime) -> StageReport:
    """Read the unseen messages of the bounce mailbox, act on each, count what became of them."""
    report = StageReport(STAGE)
    if runtime.settings.feedback.imap is None:
        return report
    try:
        with open_mailbox(runtime.settings) as mailbox:
            _drain(runtime, mailbox, report)
    except (MailboxError, ConfigError) as exc:
        report.problems.append(f"{exc}; what was not marked done is read again on the next poll")
        event(log, "inbound.poll_failed", level=logging.ERROR, error=str(exc))
    except SQLAlchemyError as exc:
        report.problems.append(f"inbound: the database failed ({type(exc).__name__}); the poll stopped")
        event(log, "inbound.poll_failed", level=logging.ERROR, error=type(exc).__name__)
    return report


def inbound_jobs(settings: Settings) -> Sequence[Job]:
    imap = settings.feedback.imap
    if imap is None:
        return ()
    return (Job(STAGE, Every(minutes=imap.every_minutes), poll_mailbox, Unit(STAGE)),)
