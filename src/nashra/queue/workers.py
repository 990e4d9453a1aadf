"""`nashra worker`: a procrastinate worker that runs queued units with this process's Runtime.

Jobs are synchronous stage functions, each run in a thread, `concurrency` at a time; the event
loop beside them beats every `heartbeat_seconds`, so a long job (a big send) never looks dead. The
first SIGINT/SIGTERM sets `runtime.stopping` — running steps end at their next safe point (a
digest send after its batch in flight) — and the worker takes no new job and exits when they
have; a second signal exits at once (nashra.shutdown). A worker killed outright leaves its jobs
"doing" until its heartbeat is old, when the scheduler puts them back for another worker.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from contextlib import suppress

from procrastinate import App
from procrastinate.app import WorkerOptions

from nashra.logs import event
from nashra.queue.app import WORKER_ROLE, open_app, process_name
from nashra.queue.task import defer_in, followers_in
from nashra.runtime import Runtime
from nashra.shutdown import refuse_reload, stop_on_signals

log = logging.getLogger(__name__)


async def _work(app: App, runtime: Runtime, name: str, concurrency: int, queues: Sequence[str]) -> None:
    queue = runtime.settings.queue
    options: WorkerOptions = {
        "name": name,
        "concurrency": concurrency,
        "additional_context": {"runtime": runtime},
        "install_signal_handlers": False,
        "update_heartbeat_interval": queue.heartbeat_seconds,
        "stalled_worker_timeout": queue.stalled_after_seconds,
    }
    if queues:
        options["queues"] = list(queues)
    async with app.open_async():
        working = asyncio.create_task(app.run_worker_async(**options))
        stop = asyncio.create_task(asyncio.to_thread(runtime.stopping.wait))
        await asyncio.wait({working, stop}, return_when=asyncio.FIRST_COMPLETED)
        if not working.done():
            event(log, "worker.stopping", worker=name, hint="running jobs end at their next safe point")
            working.cancel()  # procrastinate then stops taking jobs and waits for the running ones
        runtime.stopping.set()  # lets the waiting thread go
        with suppress(asyncio.CancelledError):
            await working


def serve_worker(runtime: Runtime, *, concurrency: int, queues: Sequence[str]) -> None:
    """Run queued jobs until SIGINT/SIGTERM."""
    stop_on_signals(runtime.stopping)
    refuse_reload("worker")
    name = process_name(WORKER_ROLE)
    # One connection per job that may defer, plus the worker's own (fetching, heartbeat, LISTEN).
    app = open_app(runtime.settings, role=WORKER_ROLE, pool_size=concurrency + 3)
    runtime.handoff = defer_in  # a stage may split its work into jobs for every worker (digest batches)
    runtime.on_new_articles = followers_in(runtime.settings)
    event(log, "worker.started", worker=name, concurrency=concurrency, queues=",".join(queues) or "all")
    asyncio.run(_work(app, runtime, name, concurrency, queues))
    event(log, "worker.stopped", worker=name)
