"""The options `nashra run` and `nashra worker` share to serve their probes (nashra.metrics.listener):
they override `[metrics]`, so compose can give each container its own without editing the one
nashra.toml every process reads."""

from __future__ import annotations

from typing import Annotated

import typer

MetricsHost = Annotated[
    str | None,
    typer.Option("--metrics-host", help="Address for /metrics, /healthz, /readyz (default: [metrics] host)."),
]
MetricsPort = Annotated[
    int | None,
    typer.Option(
        "--metrics-port",
        min=1,
        max=65535,
        help="Serve /metrics, /healthz and /readyz on this port (default: [metrics] port; none: off).",
    ),
]
