"""`[metrics]`: where a worker process answers Prometheus and Docker (`/metrics`, `/healthz`,
`/readyz`; nashra.metrics.listener). The web app answers them on its own port.

Off unless a port is given (here, or `--metrics-port` on `nashra run` / `nashra worker`): several
workers on one machine would otherwise fight over one default port. 127.0.0.1 by default, as
the counts are the newsroom's business; a container sets 0.0.0.0 for its network.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field


class MetricsSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    host: str = "127.0.0.1"
    port: Annotated[int, Field(ge=1, le=65535)] | None = None
