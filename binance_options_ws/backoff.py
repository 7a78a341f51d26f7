"""Reconnect delays: jittered exponential backoff, and which failures to retry.

Pure: no sockets, threads or clocks. The pool asks :func:`backoff` for a fresh
generator after a connection that lived, which resets the delay.

Example:
    >>> import random
    >>> delays = backoff(initial=0.5, factor=2.0, cap=30.0, rng=random.Random(1))
    >>> [round(next(delays), 2) for _ in range(4)]
    [0.32, 0.95, 1.89, 2.74]
"""

from __future__ import annotations

import random
from typing import Iterator, Mapping, Optional

__all__ = ["backoff", "retry_after_seconds", "should_retry_status"]


def backoff(
    initial: float = 0.5,
    factor: float = 2.0,
    cap: float = 30.0,
    *,
    rng: Optional[random.Random] = None,
) -> Iterator[float]:
    """Yield reconnect delays forever: ``initial``, doubling up to ``cap``, with jitter.

    Each delay is drawn uniformly between half and all of the nominal value, so
    many clients that lost the same server do not come back in lockstep.

    Args:
        initial: The first nominal delay, in seconds.
        factor: How much the nominal delay grows after each failure.
        cap: The largest nominal delay.
        rng: A random source (tests pass a seeded one).

    Yields:
        Delays in seconds.

    Example:
        >>> next(backoff(initial=1.0, rng=random.Random(0))) <= 1.0
        True
    """
    draw = (rng or random.Random()).uniform
    nominal = initial
    while True:
        yield draw(nominal / 2.0, nominal)
        nominal = min(cap, nominal * factor)


def should_retry_status(status: int) -> bool:
    """Whether a refused handshake with this HTTP status is worth retrying.

    429 (rate limit), 418 (IP ban), 408 and every 5xx are temporary. Other 4xx
    statuses (a wrong URL, a rejected request) will not get better by waiting.

    Example:
        >>> should_retry_status(429), should_retry_status(404)
        (True, False)
    """
    return status in (408, 418, 429) or status >= 500 or status < 400


def retry_after_seconds(headers: Optional[Mapping[str, str]]) -> Optional[float]:
    """The Retry-After header as seconds, or None when absent or not a number.

    Example:
        >>> retry_after_seconds({"Retry-After": "7"})
        7.0
    """
    if not headers:
        return None
    for key, value in headers.items():
        if key.lower() == "retry-after":
            try:
                return max(0.0, float(value))
            except (TypeError, ValueError):
                return None
    return None
