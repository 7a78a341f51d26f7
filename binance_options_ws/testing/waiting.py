"""Wait for a condition in a test, with a timeout instead of a fixed sleep.

Example:
    >>> from binance_options_ws.testing import wait_for
    >>> wait_for(lambda: True, timeout=1, what="nothing")
"""

from __future__ import annotations

import time
from typing import Callable

from .._timing import Deadline

__all__ = ["wait_for"]

#: Seconds between two looks at the condition.
_POLL = 0.005


def wait_for(predicate: Callable[[], object], timeout: float = 5.0, what: str = "") -> None:
    """Return as soon as ``predicate()`` is true; fail the test if it is not within ``timeout``.

    Args:
        predicate: A function of no arguments, called every few milliseconds.
        timeout: Seconds to wait at most.
        what: What is awaited, for the error message.

    Raises:
        AssertionError: If ``predicate()`` is still false after ``timeout`` seconds,
            naming ``what`` (or the function) and the timeout.

    Example:
        >>> wait_for(lambda: client.stats.events >= 10, what="10 events")  # doctest: +SKIP
    """
    deadline = Deadline(timeout)
    while not predicate():
        if deadline.expired:
            awaited = what or getattr(predicate, "__name__", "the condition")
            raise AssertionError(f"timed out after {timeout:g} s waiting for {awaited}")
        time.sleep(_POLL)
