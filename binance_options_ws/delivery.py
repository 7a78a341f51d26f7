"""Handing events from the reader threads to user code without ever blocking a reader.

:class:`EventQueue` is what ``client.queue`` is: bounded, drop-oldest, with the
standard library queue's ``get``/``get_nowait``/``qsize``/``empty`` and
``queue.Empty``. :class:`CallbackDispatcher` runs user callbacks on one thread
of its own, in arrival order, and survives callbacks that raise.

Both are built on a ``collections.deque`` (whose appends and pops are atomic)
plus a ``threading.Event`` that is set only when a consumer may be asleep, so the
reader pays for one append and one flag check per event.
"""

from __future__ import annotations

import collections
import logging
import queue
import threading
import time
from typing import Any, Callable, Deque, Generic, Optional, Tuple, TypeVar

__all__ = ["CallbackDispatcher", "EventQueue"]

_log = logging.getLogger("binance_options_ws")
_T = TypeVar("_T")
# Longest single wait, so that Ctrl+C reaches a blocked main thread on every platform.
_WAIT_SLICE = 0.5


class EventQueue(Generic[_T]):
    """A bounded queue that drops its oldest item when full and never blocks a producer.

    Args:
        maxsize: The most items it holds; the oldest is dropped (and counted) to make room.
        on_overflow: Called with the number of items dropped so far, once per burst of
            drops (a burst ends when the queue is drained below half full).

    Example:
        >>> q = EventQueue(maxsize=2)
        >>> q.put(1); q.put(2); q.put(3)
        >>> q.get_nowait(), q.dropped
        (2, 1)
    """

    def __init__(
        self, maxsize: int = 10_000, on_overflow: Optional[Callable[[int], None]] = None
    ) -> None:
        if maxsize < 1:
            raise ValueError(f"maxsize must be at least 1, got {maxsize!r}")
        self.maxsize = maxsize
        self._items: Deque[_T] = collections.deque(maxlen=maxsize)
        self._ready = threading.Event()  # set when items may be waiting or the queue closed
        self._closed = False
        self._on_overflow = on_overflow
        self._in_burst = False
        #: How many items were dropped because the queue was full.
        self.dropped = 0

    def put(self, item: _T) -> None:
        """Add an item, dropping the oldest one if the queue is full. Never blocks."""
        items = self._items
        if len(items) >= self.maxsize:
            self.dropped += 1
            if not self._in_burst:
                self._in_burst = True
                if self._on_overflow is not None:
                    self._on_overflow(self.dropped)
        items.append(item)
        if not self._ready.is_set():
            self._ready.set()

    def get(self, block: bool = True, timeout: Optional[float] = None) -> _T:
        """Remove and return the oldest item.

        Args:
            block: Wait for an item when the queue is empty.
            timeout: The longest wait in seconds; None waits for ever.

        Raises:
            queue.Empty: If no item came in time (or at once, with ``block=False``),
                or the queue was closed and is empty.
        """
        items = self._items
        try:
            item = items.popleft()
        except IndexError:
            pass
        else:
            self._end_burst()
            return item
        if not block:
            raise queue.Empty
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            self._ready.clear()
            try:
                item = items.popleft()
            except IndexError:
                pass
            else:
                self._end_burst()
                return item
            if self._closed:
                raise queue.Empty
            wait = _WAIT_SLICE
            if deadline is not None:
                wait = min(wait, deadline - time.monotonic())
                if wait <= 0:
                    raise queue.Empty
            self._ready.wait(wait)

    def get_nowait(self) -> _T:
        """Remove and return the oldest item, or raise ``queue.Empty`` at once."""
        return self.get(block=False)

    def qsize(self) -> int:
        """How many items are waiting."""
        return len(self._items)

    def empty(self) -> bool:
        """True when no item is waiting."""
        return not self._items

    def full(self) -> bool:
        """True when the next put will drop the oldest item."""
        return len(self._items) >= self.maxsize

    def close(self) -> None:
        """Wake every waiting consumer; later gets on an empty queue raise ``queue.Empty``."""
        self._closed = True
        self._ready.set()

    @property
    def closed(self) -> bool:
        """True after :meth:`close`."""
        return self._closed

    def _end_burst(self) -> None:
        if self._in_burst and len(self._items) < self.maxsize // 2:
            self._in_burst = False


#: A unit of work for the dispatcher: a callable and its single argument.
_Job = Tuple[Callable[[Any], Any], Any]


class CallbackDispatcher:
    """Runs user callbacks on one named, daemonic thread, in the order they were queued.

    A callback that raises is logged with its traceback, counted and handed to
    ``on_error``; the next callback runs as usual.

    Args:
        name: The thread's name.
        maxsize: The most jobs waiting; the oldest is dropped (and counted) beyond it.
        on_error: Called (on the dispatcher thread) with each exception a callback raised.
        on_overflow: See :class:`EventQueue`.
    """

    def __init__(
        self,
        name: str,
        maxsize: int,
        on_error: Optional[Callable[[BaseException], None]] = None,
        on_overflow: Optional[Callable[[int], None]] = None,
    ) -> None:
        self._jobs: EventQueue[_Job] = EventQueue(maxsize, on_overflow)
        self._on_error = on_error
        self._stop = threading.Event()
        self.errors = 0
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    @property
    def dropped(self) -> int:
        """How many jobs were dropped because too many were waiting."""
        return self._jobs.dropped

    @property
    def thread(self) -> threading.Thread:
        """The dispatcher thread."""
        return self._thread

    def submit(self, function: Callable[[Any], Any], argument: Any) -> None:
        """Queue ``function(argument)``. Never blocks."""
        if not self._stop.is_set():
            self._jobs.put((function, argument))

    def stop(self, timeout: Optional[float]) -> bool:
        """Stop after the job in progress; queued jobs are discarded.

        Never joins the current thread (so a callback may close the client).

        Returns:
            True if the thread has ended.
        """
        self._stop.set()
        self._jobs.close()
        if self._thread is threading.current_thread():
            return False
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def _run(self) -> None:
        jobs, stop = self._jobs, self._stop
        while not stop.is_set():
            try:
                function, argument = jobs.get(timeout=None)
            except queue.Empty:
                continue  # closed: the loop condition ends it
            if stop.is_set():
                break
            try:
                function(argument)
            except Exception as exc:
                self.errors += 1
                _log.error("a callback raised %s: %s", type(exc).__name__, exc, exc_info=True)
                if self._on_error is not None and function is not self._on_error:
                    try:
                        self._on_error(exc)
                    except Exception:
                        _log.exception("the on_error callback raised too")
