"""`nashra worker`: run queued jobs (distributed mode), on any number of machines."""

from __future__ import annotations

from typing import Annotated

import typer

from nashra.cli.app import STATE, app, console
from nashra.cli.probes import MetricsHost, MetricsPort
from nashra.errors import ConfigError
from nashra.pipeline import STAGES
from nashra.preflight import Uses


def _queues(values: list[str]) -> list[str]:
    """Queue names, repeated or comma-separated; each is a stage's name."""
    names = [name.strip() for value in values for name in value.split(",") if name.strip()]
    known = [stage.name for stage in STAGES]
    unknown = sorted(set(names) - set(known))
    if unknown:
        raise typer.BadParameter(f"unknown queue {', '.join(unknown)}; the queues are {', '.join(known)}")
    return names


@app.command()
def worker(
    concurrency: Annotated[
        int | None,
        typer.Option("--concurrency", min=1, max=64, help="Jobs run at once (default: [queue] concurrency)."),
    ] = None,
    queues: Annotated[
        list[str] | None,
        typer.Option(
            "--queues",
            help="Only these queues (stage names: ingest, feeds, digests, social), repeated or comma-separated; "
            "default all.",
        ),
    ] = None,
    metrics_host: MetricsHost = None,
    metrics_port: MetricsPort = None,
) -> None:
    """Run queued jobs (`[queue] backend = "procrastinate"`): start as many as you like, on any
    machine that reaches the database; `nashra run` is the scheduler that queues them. Ctrl-C or
    SIGTERM lets running jobs reach their next safe point, then exits; a second one exits at once."""
    chosen = _queues(queues or [])
    settings = STATE.settings()
    if settings.queue.backend != "procrastinate":
        where = settings.locate(("queue", "backend"))
        raise ConfigError(
            [
                (
                    f'{where}: queue.backend is "{settings.queue.backend}": `nashra worker` runs queued '
                    'jobs only with backend = "procrastinate" (on PostgreSQL); inline, `nashra run` runs everything'
                )
            ]
        )
    from nashra.metrics.listener import probe_listener
    from nashra.queue.workers import serve_worker

    with (
        STATE.runtime(uses=Uses(sources=True, channels=True, mail=True)) as runtime,
        probe_listener(runtime, host=metrics_host, port=metrics_port),
    ):
        count = concurrency or runtime.settings.queue.concurrency
        console.print(
            f"[bold]Nashra worker started[/] — {count} at once; Ctrl-C to stop after the running jobs."
        )
        serve_worker(runtime, concurrency=count, queues=chosen)
