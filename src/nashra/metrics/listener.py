"""A worker's probes (`nashra run`, `nashra worker`) on `[metrics] host:port`: a standard-library
HTTP server in a thread of its own, so a long job never keeps Docker or Prometheus waiting.

It lives exactly as long as the `with` block around the worker's loop: leaving it (the worker
stopped, or crashed) stops the server and closes its socket before the process exits.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from nashra.errors import ConfigError
from nashra.logs import event
from nashra.metrics.probes import Probes
from nashra.runtime import Runtime

log = logging.getLogger(__name__)


class _Handler(BaseHTTPRequestHandler):
    probes: Probes  # set on the subclass made for each listener

    def do_GET(self) -> None:
        answer = self.probes.answer(urlsplit(self.path).path)
        if answer is None:
            self.send_error(404)
            return
        self.send_response(answer.status)
        self.send_header("Content-Type", answer.content_type)
        self.send_header("Content-Length", str(len(answer.body)))
        self.end_headers()
        self.wfile.write(answer.body)

    def log_message(self, format: str, *args: object) -> None:
        """Scrapes every few seconds would drown the worker's own events: not logged."""


@contextmanager
def probe_listener(
    runtime: Runtime, *, host: str | None = None, port: int | None = None
) -> Iterator[tuple[str, int] | None]:
    """Serve the probes while the block runs; yields the (host, port) listened on, or None when
    no port is set. `host` and `port` (the command's options) override `[metrics]`. A port that
    cannot be had is a ConfigError, before any job runs."""
    config = runtime.settings.metrics
    host, port = host or config.host, port or config.port
    if port is None:
        yield None
        return
    handler = type("ProbeHandler", (_Handler,), {"probes": Probes(runtime)})
    try:
        server = ThreadingHTTPServer((host, port), handler)
    except OSError as exc:
        where = runtime.settings.locate(("metrics", "port")) if port == config.port else "--metrics-port"
        raise ConfigError(
            [f"{where}: metrics.port: cannot listen on {host}:{port}: {exc.strerror or exc}"]
        ) from None
    server.daemon_threads = True
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.2}, name="nashra-probes"
    )
    thread.start()
    event(log, "metrics.listening", address=f"{host}:{port}")
    try:
        yield (host, port)
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
