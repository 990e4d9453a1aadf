"""The rate limit spaces batches so that messages per second never exceed the configured rate."""

from __future__ import annotations

import pytest

from nashra.mail.pacing import RateLimiter


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_rate_limit_spaces_batches() -> None:
    clock = FakeClock()
    limiter = RateLimiter(10, clock=clock, sleep=clock.sleep)
    for _ in range(5):
        limiter.wait(4)  # a batch of 4 messages (4 connections) each time
    assert clock.slept == pytest.approx([0.4, 0.4, 0.4, 0.4])
    assert clock.now - 100.0 == pytest.approx(
        1.6
    )  # 20 messages, the last batch starts at 1.6 s: 10 per second


def test_no_limit_never_sleeps() -> None:
    clock = FakeClock()
    limiter = RateLimiter(0, clock=clock, sleep=clock.sleep)
    for _ in range(100):
        limiter.wait(8)
    assert clock.slept == []


def test_idle_time_is_not_saved_up_for_a_burst() -> None:
    clock = FakeClock()
    limiter = RateLimiter(2, clock=clock, sleep=clock.sleep)
    limiter.wait(1)
    clock.now += 60  # nothing sent for a minute
    limiter.wait(1)
    limiter.wait(1)
    assert clock.slept == pytest.approx([0.5])
