"""Stopping on a signal the way an operator (and Docker's grace period) expects.

The first SIGTERM or SIGINT asks the running step to stop at its next safe point — a digest send
after the batch in flight, with the rest kept for the next run — and says so; a second one exits
at once (rows in flight are then settled as "unknown" by the next run, never as "sent"). The
steps only look at `Runtime.stopping`; only the faces (the CLI and the worker) install this.
"""

from __future__ import annotations

import logging
import os
import signal
import threading

from nashra.logs import event

log = logging.getLogger(__name__)


def stop_on_signals(stopping: threading.Event) -> None:
    """Route SIGTERM and SIGINT to `stopping` (first) and to an immediate exit (second)."""
    if threading.current_thread() is not threading.main_thread():
        return

    def on_signal(signum: int, _frame: object) -> None:
        name = signal.Signals(signum).name
        if stopping.is_set():
            event(log, "stop.now", level=logging.WARNING, signal=name)
            os._exit(128 + signum)
        event(
            log,
            "stop.requested",
            level=logging.WARNING,
            signal=name,
            hint="finishing the step in progress; send it again to exit at once",
        )
        stopping.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)


def refuse_reload(what: str) -> None:
    """SIGHUP would end the process (its default action); say instead that this process reads its
    config only at start. For the distributed mode's processes, which must all run one config."""
    if threading.current_thread() is not threading.main_thread():
        return

    def on_hangup(_signum: int, _frame: object) -> None:
        event(
            log,
            "reload.unsupported",
            level=logging.WARNING,
            process=what,
            hint="restart the scheduler and the workers to apply a new config",
        )

    signal.signal(signal.SIGHUP, on_hangup)
