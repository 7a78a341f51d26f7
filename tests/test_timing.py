"""Deadline on a fake clock and on the real one."""

from __future__ import annotations

import time

from binance_options_ws._timing import Deadline, monotonic


class FakeClock:
    def __init__(self) -> None:
        self.now = 50.0

    def __call__(self) -> float:
        return self.now


def test_a_deadline_counts_down_on_its_clock() -> None:
    clock = FakeClock()
    deadline = Deadline(10.0, clock=clock)
    assert deadline.when == 60.0
    assert deadline.timeout() == 10.0
    clock.now = 57.5
    assert (deadline.timeout(), deadline.expired) == (2.5, False)
    clock.now = 60.0
    assert (deadline.timeout(), deadline.expired) == (0.0, True)
    clock.now = 65.0
    assert deadline.timeout() == 0.0  # never negative


def test_none_means_no_limit() -> None:
    clock = FakeClock()
    deadline = Deadline(None, clock=clock)
    clock.now = 1e12
    assert (deadline.timeout(), deadline.expired, deadline.when) == (None, False, None)


def test_zero_or_less_is_already_expired() -> None:
    assert Deadline(0.0).expired
    assert Deadline(-1.0).timeout() == 0.0


def test_a_deadline_at_a_known_moment() -> None:
    clock = FakeClock()
    deadline = Deadline.at(52.0, clock=clock)
    assert deadline.timeout() == 2.0
    assert Deadline.at(None, clock=clock).timeout() is None


def test_the_default_clock_is_monotonic() -> None:
    assert monotonic is time.monotonic
    deadline = Deadline(60.0)
    left = deadline.timeout()
    assert left is not None
    assert 59.0 < left <= 60.0
    assert deadline.when is not None
    assert abs(deadline.when - (time.monotonic() + left)) < 1.0
