"""`nashra check`: the config, then every external part it names, one line each, nothing sent.

This module only orchestrates: what "works" means for a database is `store.database.verify_schema`,
for an adapter its own `verify()` (`nashra.plugins.Verifiable`), so a third-party adapter is
checked the same way as a built-in one. In the distributed mode the queue's processes are parts
too, read as `nashra status` reads them (`nashra.health.queue_health`), so the two commands never
disagree about what is wrong.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated

import typer

from nashra.cards.shaping import font_file, shaping_font
from nashra.cli.app import STATE, app, console
from nashra.cli.status import ago
from nashra.config import Settings, SourceSettings
from nashra.config.channels import ChannelSettings
from nashra.config.secrets import read_secret
from nashra.errors import NashraError
from nashra.feedback.imap import open_mailbox
from nashra.health import QueueHealth, QueueWorkerHealth, queue_health
from nashra.httpclient import open_client
from nashra.mail.transports import make_transport
from nashra.plugins import Verifiable
from nashra.preflight import Uses, missing_secrets
from nashra.social.cards import channel_context
from nashra.social.protocol import ChannelContext
from nashra.social.registry import build_channels, default_channel
from nashra.sources.base import SourceContext
from nashra.sources.registry import SOURCES, demo_settings
from nashra.store.database import describe_database, read_only_connection, verify_schema
from nashra.text.urls import redact_credentials


class Format(StrEnum):
    TEXT = "text"
    JSON = "json"


@dataclass(frozen=True, slots=True)
class Line:
    status: str
    """ok, FAIL or skip."""
    part: str
    detail: str
    """What was checked and what answered, or what went wrong."""


def _one_line(text: str) -> str:
    return redact_credentials(" ".join(text.split()))


def _failed(part: str, exc: Exception) -> Line:
    """FAIL with the error in one line; a check reports every failure and goes on (--debug: traceback)."""
    if STATE.debug:
        raise exc
    message = str(exc) if isinstance(exc, NashraError) else f"{type(exc).__name__}: {exc}"
    return Line("FAIL", part, _one_line(message))


def _run(part: str, check: Callable[[], str]) -> Line:
    try:
        return Line("ok", part, _one_line(check()))
    except Exception as exc:
        return _failed(part, exc)


def _probe(part: str, build: Callable[[], object]) -> Line:
    """The adapter `build()` makes, checked by its own `verify()`; listed as skipped without one."""
    try:
        adapter = build()
    except Exception as exc:
        return _failed(part, exc)
    if not isinstance(adapter, Verifiable):
        return Line("skip", part, f"{type(adapter).__name__} offers no verify()")
    return _run(part, adapter.verify)


def _secrets(part: str, problems: list[str]) -> Line | None:
    return Line("FAIL", part, _one_line("; ".join(problems))) if problems else None


def _database(settings: Settings) -> Line:
    url = settings.database_url
    seconds = settings.ingest.connect_timeout_seconds
    return _run(f"database {describe_database(url)}", lambda: verify_schema(url, connect_timeout=seconds))


QUEUE_SCHEMA = "procrastinate's tables are among the database's migrations: at head (above)"
"""The queue's schema is a revision of the store's (store/queue_schema.py): the database line has
checked it already, so this line only says so."""


def _scheduler(queue: QueueHealth) -> Line:
    active = queue.active_scheduler
    if active is None:
        return Line(
            "FAIL",
            "queue scheduler",
            "none holds the lock: nothing is queued on schedule; start `nashra run`",
        )
    return Line("ok", "queue scheduler", f"{active.name} holds the lock; {len(queue.schedulers) - 1} standby")


def _heard(workers: list[QueueWorkerHealth], now: datetime) -> str:
    return f"last heartbeat {ago(max(w.heartbeat_at for w in workers), now)}"


def _workers(queue: QueueHealth, now: datetime) -> Line:
    live = queue.live_workers
    silent = [w for w in queue.workers if not w.alive]
    parts = [f"{len(live)} alive, {_heard(live, now)}" if live else "none alive"]
    if silent:
        parts.append(f"{len(silent)} silent, {_heard(silent, now)} (their jobs go back to the queue)")
    if not live:
        parts.append("start `nashra worker`")
    return Line("ok" if live else "FAIL", "queue workers", "; ".join(parts))


def _jobs(queue: QueueHealth) -> Line:
    failed = queue.failed
    where = f" ({', '.join(f'{name} {count}' for name, count in failed.items())})" if failed else ""
    counts = f"{sum(failed.values())} failed{where}, {queue.in_state('todo')} waiting, {queue.in_state('doing')} running"
    if not failed:
        return Line("ok", "queue jobs", counts)
    return Line("FAIL", "queue jobs", f"{counts}; see the workers' logs: failed jobs stay until deleted")


def _queue(settings: Settings, database: Line) -> list[Line]:
    """The distributed mode's scheduler, workers and jobs: without them nothing runs, however
    well the rest answers. Inline there is no queue, and no line."""
    if settings.queue.backend != "procrastinate":
        return []
    if database.status != "ok":
        return [Line("skip", "queue", "not checked: the database above is not ready")]
    now = datetime.now(UTC)
    try:
        with read_only_connection(
            settings.database_url, connect_timeout=settings.ingest.connect_timeout_seconds
        ) as conn:
            queue = queue_health(settings, conn, now)
    except Exception as exc:
        return [_failed("queue", exc)]
    return [Line("ok", "queue schema", QUEUE_SCHEMA), _scheduler(queue), _workers(queue, now), _jobs(queue)]


def _mail(settings: Settings) -> Line:
    part = f"mail {settings.mail.transport}"
    missing = _secrets(part, missing_secrets(settings, Uses(mail=True)))
    return missing or _probe(part, lambda: make_transport(settings))


def _channel(settings: Settings, config: ChannelSettings, context: ChannelContext) -> Line:
    part = f"channel {config.name} ({config.type})"
    if not config.enabled:
        return Line("skip", part, "disabled")
    missing = _secrets(part, missing_secrets(settings, Uses(channels=True, channel=config.name)))
    return missing or _probe(part, lambda: build_channels(settings, context, only=config.name)[0])


def _source(settings: Settings, index: int | None, config: SourceSettings, context: SourceContext) -> Line:
    part = f"source {config.name} ({config.type})"
    if not config.enabled:
        return Line("skip", part, "disabled")
    missing = _secrets(part, missing_secrets(settings, Uses(sources=True, source=config.name)))

    def build() -> object:
        kind, options, _, _ = SOURCES.configure_entry(
            "sources", index, config.name, config.type, config.options, locate=settings.locate
        )
        return kind(config, options, context)

    return missing or _probe(part, build)


def _inbound(settings: Settings) -> list[Line]:
    """The bounce mailbox (logged in, folders there) and the inbound endpoint's token, when set up."""
    lines = []
    imap, endpoint = settings.feedback.imap, settings.feedback.inbound
    if imap is not None:

        def login() -> str:
            with open_mailbox(settings) as mailbox:
                return mailbox.describe()

        lines.append(_run(f"mailbox imap {imap.host}:{imap.server_port}", login))
    if endpoint is not None:

        def token() -> str:
            read_secret(endpoint.token_env, purpose="feedback.inbound")
            return f"POST /inbound/mail answers requests with the token in {endpoint.token_env}"

        lines.append(_run("inbound endpoint", token))
    return lines


def _cards(settings: Settings) -> list[Line]:
    """Share cards (drawn for a channel whose platform needs an image the article lacks): the font
    reads and Pillow shapes Arabic, which otherwise only shows when a card is first drawn."""
    if not any(c.enabled for c in settings.channels):
        return []

    def shape() -> str:
        path = font_file(settings)
        font = shaping_font(path, 48)
        width = font.getlength("نشرة", direction="rtl", language="ar")
        return f"Arabic shaped by libraqm with {path.name} (a test word {width:.0f} px wide at 48 px)"

    return [_run("share cards", shape)]


def check_all(settings: Settings) -> list[Line]:
    lines = [Line("ok", "config", f"{settings.origin or 'none, built-in defaults'}: valid")]
    database = _database(settings)
    lines += [database, *_queue(settings, database)]
    lines.append(_mail(settings))
    lines += _inbound(settings)
    lines += _cards(settings)
    with open_client(settings) as http:
        channels = channel_context(settings, http)
        lines += [_channel(settings, c, channels) for c in settings.channels or [default_channel()]]
        sources = SourceContext(settings, http)
        listed: list[tuple[int | None, SourceSettings]] = (
            list(enumerate(settings.sources)) if settings.sources else [(None, demo_settings())]
        )
        lines += [_source(settings, index, s, sources) for index, s in listed]
    return lines


@app.command()
def check(
    output: Annotated[
        Format, typer.Option("--format", help="text (one line per part) or json (for monitoring).")
    ] = Format.TEXT,
) -> None:
    """Check the config, the database (distributed: also the queue's scheduler, workers and jobs)
    and every mail transport, channel and source it names, sending nothing: one line each (ok,
    FAIL or skip); exit 1 when anything failed."""
    lines = check_all(STATE.settings())
    failed = any(line.status == "FAIL" for line in lines)
    if output is Format.JSON:
        report = {"ok": not failed, "checks": [asdict(line) for line in lines]}
        typer.echo(json.dumps(report, ensure_ascii=False))
    else:
        width = max(len(line.part) for line in lines)
        for line in lines:
            console.print(
                f"{line.status:<4}  {line.part:<{width}}  {line.detail}",
                style="red" if line.status == "FAIL" else None,
                markup=False,
                highlight=False,
                soft_wrap=True,
            )
    if failed:
        raise typer.Exit(1)
