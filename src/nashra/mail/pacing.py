"""How fast a send goes: `rate_per_second` messages at most, in one process or across workers.

One process spaces its own messages (`RateLimiter`). Batches of one issue run on several workers
at once and the rate is the issue's, not each worker's: they take their slots from one row in the
database (`SharedPace`), a fifth of a second's worth at a time, so pacing costs one short
statement per chunk, not one per message.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from nashra.store import Store
from nashra.store.digests import take_slots

CHUNK_SECONDS = 0.2
"""The share of the rate one worker takes at a time."""


class RateLimiter:
    """At most `rate` messages per second (0 = unlimited)."""

    def __init__(
        self,
        rate: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], object] = time.sleep,
    ) -> None:
        self._interval = 1.0 / rate if rate > 0 else 0.0
        self._clock = clock
        self._sleep = sleep
        self._next = clock()

    def wait(self, messages: int) -> None:
        """Block until `messages` more may go out."""
        if not self._interval:
            return
        now = self._clock()
        slot = max(self._next, now)
        self._next = slot + self._interval * messages
        if slot > now:
            self._sleep(slot - now)


class SharedPace:
    """At most `rate` messages per second for an issue, counted over every worker sending it."""

    def __init__(
        self, store: Store, issue_id: int, rate: float, *, sleep: Callable[[float], object] = time.sleep
    ) -> None:
        self._store = store
        self._issue_id = issue_id
        self._rate = rate
        self._chunk = max(1, math.ceil(rate * CHUNK_SECONDS))
        self._sleep = sleep
        self._left = 0
        self._local = RateLimiter(0)

    def wait(self, messages: int) -> None:
        for _ in range(messages):
            if self._left == 0:
                with self._store.begin() as conn:
                    delay = take_slots(conn, self._issue_id, self._chunk / self._rate)
                if delay > 0:
                    self._sleep(delay)
                self._local = RateLimiter(self._rate, sleep=self._sleep)  # the slots begin now
                self._left = self._chunk
            self._local.wait(1)
            self._left -= 1


def pace(
    store: Store, issue_id: int, rate: float, *, shared: bool, sleep: Callable[[float], object]
) -> RateLimiter | SharedPace:
    """The pacing of a send: its own, or the issue's across workers (a batch of the distributed mode)."""
    if shared and rate > 0:
        return SharedPace(store, issue_id, rate, sleep=sleep)
    return RateLimiter(rate, sleep=sleep)
