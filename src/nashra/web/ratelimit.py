"""Rate limits for the subscribe form (`limits`, moving window, in this process's memory).

Each web process counts on its own: with N processes a client may get up to N times a limit. That
is enough to blunt a flood; the rule that matters most to a victim's mailbox, one confirmation mail
per address per window, lives in the database (store.subscribers.claim_confirmation_mail) and holds
across processes.
"""

from __future__ import annotations

import math
import time

from limits import parse_many
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter


class RateLimits:
    """Named limits, each a `limits` string such as "10/minute;200/day", sharing one memory store."""

    def __init__(self, **specs: str) -> None:
        self._limiter = MovingWindowRateLimiter(MemoryStorage())
        self._items = {name: parse_many(spec) for name, spec in specs.items()}

    def hit(self, name: str, key: str) -> int | None:
        """Count one request for `key` under limit `name`: None when allowed, else the seconds to
        wait before the next one would be (for Retry-After)."""
        for item in self._items[name]:
            if not self._limiter.hit(item, name, key):
                reset = self._limiter.get_window_stats(item, name, key).reset_time
                return max(1, math.ceil(reset - time.time()))
        return None
