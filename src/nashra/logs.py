"""Structured logs: one event per line as `event=name key=value ...`, easy to grep and to ship.

Values are quoted when they contain spaces; secrets never reach here because callers pass names
of things (sources, channels, addresses), never credentials.
"""

from __future__ import annotations

import logging
import sys
import time
from datetime import UTC, datetime

_RESERVED = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}


def _value(value: object) -> str:
    if isinstance(value, datetime):  # every time in the logs is UTC, like the line's own stamp
        value = value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    text = str(value)
    if not text or any(c.isspace() or c in '"=' for c in text):
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
    return text


class KeyValueFormatter(logging.Formatter):
    """`2026-12-01T07:00:00Z info event=… key=value …`: times in UTC, whatever the machine's zone
    (`nashra status` shows schedules in the site's zone, named)."""

    def format(self, record: logging.LogRecord) -> str:
        fields = {k: v for k, v in record.__dict__.items() if k not in _RESERVED}
        parts = [
            time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(record.created)),
            record.levelname.lower(),
            f"event={_value(record.getMessage())}",
        ]
        parts += [f"{k}={_value(v)}" for k, v in fields.items()]
        line = " ".join(parts)
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


def configure(level: int = logging.INFO) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(KeyValueFormatter())
    root = logging.getLogger("nashra")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False


def event(logger: logging.Logger, name: str, *, level: int = logging.INFO, **fields: object) -> None:
    """Log one structured event."""
    logger.log(level, name, extra=fields)
