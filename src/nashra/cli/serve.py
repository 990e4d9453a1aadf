"""`nashra serve`: the web app (subscribe, confirm, unsubscribe, feeds, digest archive) under uvicorn."""

from __future__ import annotations

from typing import Annotated

import typer

from nashra.cli.app import STATE, app, console
from nashra.preflight import Uses


@app.command()
def serve(
    host: Annotated[
        str | None,
        typer.Option("--host", help="Interface to listen on (default: web.host).", show_default=False),
    ] = None,
    port: Annotated[
        int | None, typer.Option("--port", help="Port (default: web.port).", show_default=False)
    ] = None,
) -> None:
    """Serve the subscriber pages and one-click unsubscribe over HTTP until Ctrl-C."""
    import uvicorn

    from nashra.web.app import create_app

    with STATE.runtime(uses=Uses(mail=True)) as runtime:  # confirmation mails
        settings = runtime.settings
        bind_host, bind_port = host or settings.web.host, port or settings.web.port
        console.print(
            f"[bold]Nashra web[/] on http://{bind_host}:{bind_port} — links in mail point to "
            f"{settings.web.base_url}",
            highlight=False,
        )
        app_ = create_app(settings, runtime=runtime)
        uvicorn.run(app_, host=bind_host, port=bind_port, log_level="warning", proxy_headers=True)
