"""`nashra run` and `nashra ingest`: the worker, one cycle, or just the ingest step."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from nashra.cli.app import STATE, app, console
from nashra.cli.probes import MetricsHost, MetricsPort
from nashra.ingest import ingest
from nashra.metrics.listener import probe_listener
from nashra.model import StageReport
from nashra.pipeline import run_cycle
from nashra.preflight import Uses
from nashra.shutdown import stop_on_signals
from nashra.worker import serve_forever


def print_reports(reports: list[StageReport]) -> None:
    table = Table(title="Nashra — summary", show_lines=False)
    table.add_column("stage", style="bold")
    table.add_column("what happened")
    table.add_column("outputs", overflow="fold")  # a path cut short is no use: wrap it
    for report in reports:
        counts = ", ".join(f"{k}={v}" for k, v in report.counts.items()) or "nothing to do"
        table.add_row(report.stage, counts, "\n".join(report.outputs))
    console.print(table)
    problems = [p for r in reports for p in r.problems]
    if problems:
        console.print(f"[yellow]{len(problems)} problem(s), each logged; the rest went on:[/]")
        for problem in problems:
            console.print(f"  [yellow]•[/] {escape(problem)}", highlight=False, soft_wrap=True)


@app.command()
def run(
    once: Annotated[
        bool, typer.Option("--once", help="Run one full cycle of every stage, print a summary, exit.")
    ] = False,
    metrics_host: MetricsHost = None,
    metrics_port: MetricsPort = None,
) -> None:
    """Start the scheduled worker (or one cycle with --once, always in this process). Ctrl-C or
    SIGTERM stops the step in progress at its next safe point (a digest send after its batch in
    flight); a second one exits at once. With `[queue] backend = "procrastinate"` this is the
    scheduler: it only queues jobs for `nashra worker` processes; run several, one is active.
    With a metrics port it answers /metrics, /healthz and /readyz until it exits."""
    with STATE.runtime(uses=Uses(sources=True, channels=True, mail=True), may_create=True) as runtime:
        if once:
            stop_on_signals(runtime.stopping)
            print_reports(run_cycle(runtime))
            return
        with probe_listener(runtime, host=metrics_host, port=metrics_port):
            if runtime.settings.queue.backend == "procrastinate":
                from nashra.queue.scheduler import serve_scheduler

                console.print(
                    "[bold]Nashra scheduler started[/] — it queues jobs for `nashra worker`; Ctrl-C to stop."
                )
                serve_scheduler(runtime)
                return
            console.print("[bold]Nashra worker started[/] — Ctrl-C to stop after the current step.")
            serve_forever(runtime)


@app.command("ingest")
def ingest_command() -> None:
    """Read every source once and store new or changed articles."""
    with STATE.runtime(uses=Uses(sources=True)) as runtime:
        report = ingest(runtime)
        print_reports([report])
        if report.counts.get("sources_failed") and not report.counts.get("sources_ok"):
            raise typer.Exit(1)


@app.command("reload")
def reload_command() -> None:
    """Make the running worker (on this machine) read its config again (as SIGHUP does): a valid
    config is applied at once, an invalid one is logged by the worker and the old one kept."""
    import os
    import signal
    import socket
    from datetime import UTC, datetime

    from nashra.store.workers import newest_worker

    with STATE.runtime() as runtime, runtime.store.connect() as conn:
        if runtime.settings.queue.backend == "procrastinate":
            console.print(
                "[red]the distributed mode reads its config only at start[/]: restart the schedulers and the workers"
            )
            raise typer.Exit(1)
        worker = newest_worker(conn)
    if worker is None or not worker.alive(datetime.now(UTC)):
        console.print("[red]no worker is running[/] (`nashra status` shows the last one seen)")
        raise typer.Exit(1)
    host, _, pid = worker.id.rpartition(":")
    if host != socket.gethostname():
        console.print(
            f"[red]the worker runs on {escape(host)}[/]: send it SIGHUP there (e.g. `docker compose kill -s HUP scheduler`)"
        )
        raise typer.Exit(1)
    os.kill(int(pid), signal.SIGHUP)
    console.print(f"asked worker {escape(worker.id)} to reload its config; its log says how that went.")
