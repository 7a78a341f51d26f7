"""What a client tells its user: the log, ``on_error``, ``on_state`` and state listeners.

:class:`Reporter` is the one place that decides how loud each happening is: a
connection change (INFO, and one WARNING per reconnect, which says why the
connection ended), bad data from the network and exceptions raised by callbacks (the first
with its details, then at most one summary line per interval, every one counted
and handed to ``on_error``), a consumer too slow for the queue. Everything for
user code goes through the client's dispatcher, in order with the events.

The library's logger, ``binance_options_ws``, has a :class:`logging.NullHandler`
(see the package's ``__init__``): nothing is printed unless the application
configures logging (``logging.basicConfig(level=logging.INFO)``, say). One
exception: a callback that raises is a bug in the user's code, and must not look
like "no data". When nobody hears of it (no ``on_error``, no logging configured),
the first one is printed to ``sys.stderr`` with its traceback, as Python prints an
exception that ends a thread.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
import traceback
from typing import Any, Callable, Optional, Tuple

from .exceptions import MessageParseError, ServerError
from .status import StateChange, StateListener

__all__ = ["Reporter"]

_log = logging.getLogger("binance_options_ws")
#: Seconds between two log lines about bad data from the network.
_PROBLEM_LOG_INTERVAL = 1.0
#: Seconds between two summary lines about callbacks that raise.
_CALLBACK_LOG_INTERVAL = 10.0


class _LogLimit:
    """At most one log line per ``interval`` about one kind of happening; counts the rest.

    Example:
        >>> limit = _LogLimit(10.0)
        >>> limit.due(0.0), limit.due(1.0), limit.due(11.0)
        (0, None, 1)
    """

    def __init__(self, interval: float) -> None:
        self._interval = interval
        self._logged_at: Optional[float] = None
        self._skipped = 0
        self._lock = threading.Lock()  # protects _logged_at and _skipped

    def due(self, now: float) -> Optional[int]:
        """None when this one must not be logged; else how many were skipped since the last."""
        with self._lock:
            if self._logged_at is not None and now - self._logged_at < self._interval:
                self._skipped += 1
                return None
            self._logged_at = now
            skipped, self._skipped = self._skipped, 0
            return skipped


class Reporter:
    """The client's voice: logs, and hands errors and state changes to user code.

    Args:
        on_error: The user's ``on_error``, or None.
        on_state: The user's ``on_state``, or None.
        submit: Hands ``(function, argument)`` to the client's dispatcher; set with
            :meth:`attach` once the dispatcher exists (it reports through this object).
        is_closed: Whether the client is closed (its changes then go only to the log).
    """

    def __init__(
        self,
        on_error: Optional[Callable[[BaseException], Any]],
        on_state: Optional[StateListener],
        is_closed: Callable[[], bool],
    ) -> None:
        self._on_error = on_error
        self._on_state = on_state
        self._is_closed = is_closed
        self._submit: Optional[Callable[[Callable[[Any], Any], Any], None]] = None
        self._lock = threading.Lock()  # guards replacing _listeners (read without it)
        self._listeners: Tuple[StateListener, ...] = ()
        self._problem_log = _LogLimit(_PROBLEM_LOG_INTERVAL)
        self._callback_log = _LogLimit(_CALLBACK_LOG_INTERVAL)
        self._callback_errors_logged = False

    def attach(self, submit: Callable[[Callable[[Any], Any], Any], None]) -> None:
        """Report through ``submit``, the dispatcher's."""
        self._submit = submit

    def add_listener(self, listener: StateListener) -> None:
        """Call ``listener`` with every state change, after ``on_state``."""
        with self._lock:
            self._listeners = (*self._listeners, listener)

    def remove_listener(self, listener: StateListener) -> None:
        """Stop calling ``listener`` (nothing happens if it was not added)."""
        with self._lock:
            self._listeners = tuple(f for f in self._listeners if f != listener)

    def _targets(self) -> Tuple[StateListener, ...]:
        if self._on_state is None:
            return self._listeners
        return (self._on_state, *self._listeners)

    def state(self, state: str, detail: str, path: Optional[str] = None) -> None:
        """A connection changed: log it, and hand it to ``on_state`` and the listeners."""
        closed = self._is_closed()
        # One warning per reconnect attempt: the "reconnecting" line, whose detail
        # says why the connection before it ended. The drop itself is INFO: when no
        # reconnect follows, the caller gets the error (a first connection that
        # cannot be made), the shard logs why it gives up, or the client is closing.
        if state in ("disconnected", "reconnecting"):
            level = logging.WARNING if state == "reconnecting" else logging.INFO
            _log.log(logging.DEBUG if closed else level, "%s: %s", state, detail)
        else:
            _log.info("%s: %s", state, detail)
        if closed or self._submit is None:
            return
        change = StateChange(state, detail, time.time(), path)
        for listener in self._targets():
            self._submit(listener, change)

    def closed(self) -> None:
        """The client closed: the last change, called here (the dispatcher has stopped)."""
        _log.info("client closed")
        change = StateChange("closed", "closed by the user", time.time())
        for listener in self._targets():
            try:
                listener(change)
            except BaseException:  # even sys.exit() in a listener must not break close()
                _log.exception("a state listener raised")

    def problem(self, connection: int, what: str, detail: str) -> None:
        """Bad data from the network: logged at most once a second, each one to ``on_error``."""
        skipped = self._problem_log.due(time.monotonic())
        if skipped is not None:
            more = f" ({skipped} more since the last line)" if skipped else ""
            _log.warning("connection #%d: skipped a %s%s: %s", connection, what, more, detail[:300])
        if self._on_error is not None and self._submit is not None:
            error: BaseException
            if what == "error reply":  # detail: "code <code>: <msg>"
                code, _, msg = detail.partition(": ")
                number = code[len("code ") :]
                error = ServerError(int(number) if number.lstrip("-").isdigit() else None, msg)
            else:
                error = MessageParseError(f"connection #{connection}: {what}: {detail[:300]}")
            self._submit(self._on_error, error)

    def callback_error(self, error: BaseException) -> None:
        """A callback raised (called on the dispatcher): log it, hand it to ``on_error``.

        The first is logged with its traceback; after it, at most one line every
        ten seconds says how many more there were and shows the latest.
        """
        if not self._callback_errors_logged:
            self._callback_errors_logged = True
            self._callback_log.due(time.monotonic())
            if self._on_error is None and not _logging_configured(_log):
                _print_first_callback_error(error)
            _log.error(
                "a callback raised %s: %s (later ones are summarised; stats.callback_errors "
                "counts them, on_error receives each)",
                type(error).__name__,
                error,
                exc_info=error,
            )
        else:
            skipped = self._callback_log.due(time.monotonic())
            if skipped is not None:
                _log.error(
                    "callbacks raised %d more exceptions; the latest: %s: %s",
                    skipped + 1,
                    type(error).__name__,
                    error,
                )
        if self._on_error is not None:
            self._on_error(error)

    def overflow(self, dropped: int) -> None:
        """A consumer is too slow: the queue dropped its oldest events."""
        _log.warning(
            "a consumer is too slow: dropping the oldest events (%d dropped so far); "
            "read the queue faster, use a callback, or raise queue_size",
            dropped,
        )


def _logging_configured(logger: logging.Logger) -> bool:
    """Whether a record of ``logger`` reaches a handler other than a NullHandler."""
    current: Optional[logging.Logger] = logger
    while current is not None:
        if any(not isinstance(handler, logging.NullHandler) for handler in current.handlers):
            return True
        if not current.propagate:
            return False
        current = current.parent
    return False


def _print_first_callback_error(error: BaseException) -> None:
    """Print a callback's exception to stderr, as Python prints one that ends a thread."""
    stream = sys.stderr
    if stream is None:  # pythonw: no console
        return
    try:
        stream.write(
            "binance_options_ws: a callback raised an exception; delivery goes on, and "
            "later ones are only counted (client.stats.callback_errors). Pass "
            "on_error=... or configure logging to hear of each.\n"
        )
        traceback.print_exception(type(error), error, error.__traceback__, file=stream)
    except Exception:  # a closed or broken stderr must not stop the dispatcher
        pass
