"""Login throttling (`limits`, moving window, in this process's memory): failed logins are counted
per account (the address typed, whether or not such an operator exists, so the answer never tells)
and per client IP address; once either is over its limit, logins are refused before any password is
checked, until the window moves on. A successful login forgets its account's failures.

Like the subscribe form's limits, each web process counts on its own.
"""

from __future__ import annotations

import math
import time

from limits import RateLimitItem, parse_many
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

PER_ACCOUNT = "5/15minutes;20/day"
PER_IP = "20/15minutes;100/day"


class LoginThrottle:
    def __init__(self, per_account: str = PER_ACCOUNT, per_ip: str = PER_IP) -> None:
        self._limiter = MovingWindowRateLimiter(MemoryStorage())
        self._limits = {"account": parse_many(per_account), "ip": parse_many(per_ip)}

    def _keys(self, account: str, ip: str) -> list[tuple[str, str, RateLimitItem]]:
        return [
            (scope, key, item)
            for scope, key in (("account", account), ("ip", ip))
            for item in self._limits[scope]
        ]

    def wait(self, account: str, ip: str) -> int | None:
        """None when a login may be tried now, else the seconds until one may."""
        waits = [
            math.ceil(self._limiter.get_window_stats(item, scope, key).reset_time - time.time())
            for scope, key, item in self._keys(account, ip)
            if not self._limiter.test(item, scope, key)
        ]
        return max(1, *waits) if waits else None

    def failed(self, account: str, ip: str) -> None:
        for scope, key, item in self._keys(account, ip):
            self._limiter.hit(item, scope, key)

    def succeeded(self, account: str) -> None:
        for item in self._limits["account"]:
            self._limiter.clear(item, "account", account)
