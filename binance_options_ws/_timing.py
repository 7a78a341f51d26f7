"""Time for code that waits or schedules: a clock seam and one :class:`Deadline`.

A *clock* is any function that returns seconds as a float which only ever go
forward: :func:`time.monotonic` in the library, a fake one in tests (the same
shape as the ``timefunc`` of :class:`sched.scheduler`). Wall-clock time
(:func:`time.time`) jumps when the system clock is set, so nothing here uses it.

A :class:`Deadline` turns "at most ``timeout`` seconds" into a point on a clock,
so that one limit can span several waits: each wait asks how much is left.
``None`` means no limit, everywhere.

Example:
    >>> deadline = Deadline(5.0)
    >>> 4.9 < deadline.timeout() <= 5.0
    True
    >>> Deadline(None).timeout() is None
    True
"""

from __future__ import annotations

import math
import time
from typing import Callable, Optional

from .exceptions import InvalidArgumentError, InvalidArgumentTypeError

__all__ = ["Clock", "Deadline", "check_timeout", "monotonic", "positive", "positive_or_none"]

#: A source of seconds that never go backwards, e.g. :func:`time.monotonic`.
Clock = Callable[[], float]

#: The clock the library runs on unless a test hands it another.
monotonic: Clock = time.monotonic


def check_timeout(name: str, value: object) -> Optional[float]:
    """A wait's ``timeout`` checked at the call site: None, or a number of seconds >= 0.

    Raises:
        InvalidArgumentTypeError: ``value`` is not None nor a number (a ``TypeError``).
        InvalidArgumentError: ``value`` is negative or not a number (NaN).

    Example:
        >>> check_timeout("timeout", 2), check_timeout("timeout", None)
        (2.0, None)
    """
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidArgumentTypeError(
            f"{name} must be a number of seconds or None, got {value!r} ({type(value).__name__})"
        )
    if math.isnan(value) or value < 0:
        raise InvalidArgumentError(
            f"{name} must be a number of seconds, 0 or more, or None, got {value!r}"
        )
    return float(value)


class Deadline:
    """A moment after which to give up, on a clock; ``None`` means no limit.

    Args:
        timeout: Seconds from now, or None for no limit. Zero or less is already
            expired.
        clock: The clock the moment is on (:func:`time.monotonic` by default).

    Example:
        >>> now = [100.0]
        >>> deadline = Deadline(2.0, clock=lambda: now[0])
        >>> now[0] = 101.5
        >>> deadline.timeout(), deadline.expired
        (0.5, False)
    """

    __slots__ = ("_clock", "_limit", "_when")

    def __init__(self, timeout: Optional[float], *, clock: Clock = monotonic) -> None:
        self._clock = clock
        self._limit = timeout
        self._when = None if timeout is None else clock() + timeout

    @classmethod
    def at(cls, when: Optional[float], *, clock: Clock = monotonic) -> Deadline:
        """A deadline at a known moment of ``clock`` (None for no limit).

        Example:
            >>> Deadline.at(None).expired
            False
        """
        deadline = cls(None, clock=clock)
        deadline._when = when
        return deadline

    @property
    def limit(self) -> Optional[float]:
        """The seconds the deadline was given (None: no limit, or made with :meth:`at`),
        for messages that must name the timeout the caller chose."""
        return self._limit

    def within(self) -> str:
        """``"within 2 s"`` for a deadline of 2 seconds, ``"in time"`` without a known limit.

        Example:
            >>> Deadline(1.5).within()
            'within 1.5 s'
        """
        return "in time" if self._limit is None else f"within {self._limit:g} s"

    @property
    def when(self) -> Optional[float]:
        """The moment itself, on the deadline's clock, or None for no limit."""
        return self._when

    @property
    def expired(self) -> bool:
        """Whether the moment has come (never, without a limit)."""
        return self._when is not None and self._clock() >= self._when

    def timeout(self) -> Optional[float]:
        """Seconds left, never negative; None without a limit.

        The result can go straight to ``Event.wait`` or ``Condition.wait``, where
        None also means "no limit".

        Example:
            >>> Deadline(-1.0).timeout()
            0.0
        """
        if self._when is None:
            return None
        return max(0.0, self._when - self._clock())

    def __repr__(self) -> str:
        left = self.timeout()
        return "Deadline(None)" if left is None else f"Deadline({left:.3f} s left)"


def positive(name: str, value: object, unit: str = " of seconds") -> float:
    """``value`` as a float, or an error naming it when it is not a positive number."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidArgumentTypeError(f"{name} must be a positive number{unit}, got {value!r}")
    if not value > 0:
        raise InvalidArgumentError(f"{name} must be a positive number{unit}, got {value!r}")
    return float(value)


def positive_or_none(name: str, value: object) -> Optional[float]:
    """``value`` checked by :func:`positive`, or None."""
    if value is None:
        return None
    return positive(name, value, " of seconds or None")
