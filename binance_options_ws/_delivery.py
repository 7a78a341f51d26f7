"""Handing events from the reader threads to user code without ever blocking a reader.

:class:`EventQueue` is what ``client.queue`` is: bounded, drop-oldest, with the
standard library queue's ``get``/``get_nowait``/``qsize``/``empty`` and
``queue.Empty``. :class:`CallbackDispatcher` runs user callbacks on one thread
of its own, in arrival order, and survives callbacks that raise.

Under the GIL, waking a thread costs more than parsing an event, so the queue is
built to wake its consumer as seldom as latency allows:

* Items live in a ``collections.deque`` (appends and pops are atomic). A consumer
  that finds it empty parks on a lock of its own (a wait in C, where
  ``threading.Condition`` runs a dozen lines of Python on both sides) and a
  ``put`` releases that lock. When nobody waits, a put is an append and a check.
* When events come back to back, the consumer drains the queue faster than the
  reader fills it, and would be woken once per event, handing the GIL over and
  back each time. So a reader hands its events over in a :class:`Batch`, passed
  with each item to :meth:`EventQueue.put` (and :meth:`CallbackDispatcher.submit`),
  and sets ``batch.more`` while its socket already holds the next frame: a
  consumer that is *napping* is then woken once, when the reader has drained its
  socket and calls ``batch.end()``, instead of once per event. A consumer naps
  (sleeps at most ``_NAP`` seconds) only if, since it last went to sleep, a put
  found it parked while a batch had more to come; otherwise it sleeps longer and
  every put wakes it at once. A batch therefore adds at most ``_NAP`` to an
  event's latency, and nothing when events are sparse.
"""

from __future__ import annotations

import _thread
import collections
import contextlib
import logging
import math
import queue
import threading
import time
from typing import Any, Callable, Deque, Dict, Generic, List, Optional, Tuple, TypeVar

__all__ = ["Batch", "CallbackDispatcher", "EventQueue"]

_log = logging.getLogger("binance_options_ws")
_T = TypeVar("_T")
# Longest single wait, so that Ctrl+C reaches a blocked main thread on every platform.
_WAIT_SLICE = 0.5
# Longest sleep of a consumer whose wake-up a reader may be holding back.
_NAP = 0.002

#: A parked consumer: the lock it waits on (locked until a put releases it), and
#: whether it is napping (a put in a batch with more to come may leave it asleep).
_Waiter = Tuple["_thread.LockType", bool]


class Batch:
    """One producer's items, handed over in batches: the wake-ups held back, and the pace.

    A connection's reader thread makes one and passes it, with every item, to
    :meth:`EventQueue.put` and :meth:`CallbackDispatcher.submit` (through its
    listener, the pool and the client). A batch is what it reads without waiting
    in between; the same object serves one batch after another.

    *Wake-ups.* The reader sets :attr:`more` while it already has its next frame:
    the wake-ups its puts owe to *napping* consumers are then held back, and
    :meth:`end`, called once it has nothing more at once, wakes them.

    *Pace.* With a ``delay``, a busy reader waits until :attr:`resume_at` before it
    reads again, so that the next batch is several items, for one wake-up (at most
    ``delay`` more latency for them). Busy: a batch of several items, or, from
    quiet, one that began less than half ``delay`` after the previous one; a busy
    reader stays busy while its batches hold several items. Below about two items
    per ``delay``, waiting would cost a wake-up per item as before, and latency on
    top.

    Args:
        delay: The longest wait, in seconds, from the start of a batch to the next
            read (the connection's ``batch_delay``); 0 never waits.

    Attributes:
        more: True while the producer will put more items at once; set and
            cleared by the producer only.
        resume_at: The monotonic time before which the producer should not read
            again (``-inf`` unless busy): set by :meth:`end`.

    Example:
        >>> batch = Batch(); batch.more = True
        >>> batch.end(); batch.more
        False
    """

    __slots__ = (
        "_busy",
        "_count",
        "_delay",
        "_previous",
        "_start",
        "_waiters",
        "more",
        "resume_at",
    )

    def __init__(self, delay: float = 0.0) -> None:
        self.more: bool = False
        # The wake-up held back for each queue: one at most, so that a producer that
        # never runs dry (a socket that never drains) holds a bounded number. A later
        # one replaces the earlier, whose consumer has woken up by itself (or will,
        # within _NAP: another consumer of the same queue).
        self._waiters: Dict[object, _thread.LockType] = {}
        self._delay = delay
        self._busy = False
        self._start = self._previous = -math.inf  # when this batch and the last began
        self._count = 0  # items in the batch being read
        self.resume_at: float = -math.inf

    @property
    def held(self) -> int:
        """How many consumers' wake-ups are held back (one per queue at most)."""
        return len(self._waiters)

    def add(self, now: float, count: int) -> None:
        """Count items read at ``now`` (monotonic); the first after :meth:`end` begin a batch.

        Args:
            now: When they were read, in seconds of :func:`time.monotonic`.
            count: How many.

        Example:
            >>> batch = Batch(delay=0.01); batch.add(100.0, 3); batch.end()
            >>> batch.resume_at
            100.01
        """
        if not self._count:
            self._previous, self._start = self._start, now
        self._count += count

    def end(self) -> None:
        """The producer has nothing more at once: wake the consumers held back, and pace.

        Sets :attr:`resume_at` for the next read.

        Example:
            >>> batch = Batch(); batch.more = True
            >>> batch.end()
        """
        self.more = False
        waiters = self._waiters
        if waiters:
            self._waiters = {}
            for waiter in waiters.values():
                waiter.release()
        delay = self._delay
        if delay and self._count:
            self._busy = self._count > 1 or (
                not self._busy and self._start - self._previous < delay / 2
            )
            self.resume_at = self._start + delay if self._busy else -math.inf
        self._count = 0

    def _keep(self, queue: object, waiter: _thread.LockType) -> None:
        """Hold back a napping consumer's wake-up until :meth:`end`."""
        self._waiters[queue] = waiter


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
        # Parked consumers, oldest first; a put pops one and releases it.
        self._waiters: Deque[_Waiter] = collections.deque()
        self._closed = False
        self._on_overflow = on_overflow
        self._in_burst = False
        # Puts that found a consumer parked while their batch had more to come,
        # and the count when a consumer last went to sleep: a difference means that
        # events are coming back to back, so the consumer naps.
        self._burst_puts = 0
        self._burst_puts_seen = 0
        #: How many items were dropped because the queue was full.
        self.dropped: int = 0

    def put(self, item: _T, batch: Optional[Batch] = None) -> None:
        """Add an item, dropping the oldest one if the queue is full. Never blocks.

        Args:
            item: The item.
            batch: The producer's :class:`Batch`, if it hands items over in batches:
                while ``batch.more`` is set, a napping consumer is woken by
                ``batch.end()`` rather than by this put.

        Example:
            >>> q = EventQueue(); q.put("event")
            >>> q.get_nowait()
            'event'
        """
        items = self._items
        if len(items) >= self.maxsize:
            self.dropped += 1
            if not self._in_burst:
                self._in_burst = True
                if self._on_overflow is not None:
                    self._on_overflow(self.dropped)
        items.append(item)  # the deque's maxlen drops the oldest
        if self._waiters:
            self._wake_one(batch)

    def take(self, wanted: Callable[[_T], bool], shared: Callable[[_T], bool]) -> List[_T]:
        """The waiting items ``wanted`` picks, oldest first; those not ``shared`` are removed.

        Never blocks: a consumer may take an item meanwhile, and then it is not
        returned.

        Args:
            wanted: Whether an item is one to return.
            shared: Whether a returned item also stays in this queue (another
                consumer of it wants it too).

        Example:
            >>> q = EventQueue(); q.put(1); q.put(2); q.put(3)
            >>> q.take(lambda n: n != 2, lambda n: n == 3), q.qsize()
            ([1, 3], 2)
        """
        items = self._items
        taken: List[_T] = []
        for item in [item for item in list(items) if wanted(item)]:
            if not shared(item):
                try:
                    items.remove(item)
                except ValueError:  # a consumer took it meanwhile
                    continue
            taken.append(item)
        return taken

    def put_first(self, first: List[_T]) -> None:
        """Put ``first`` before the items waiting, in order; what does not fit is dropped.

        Example:
            >>> q = EventQueue(); q.put(3); q.put_first([1, 2])
            >>> [q.get_nowait() for _ in range(3)]
            [1, 2, 3]
        """
        room = self.maxsize - len(self._items)
        if len(first) > room:  # keep the newest of them
            self.dropped += len(first) - max(room, 0)
            first = first[len(first) - max(room, 0) :]
        self._items.extendleft(reversed(first))
        for _ in first:
            if not self._waiters:
                break
            self._wake_one(None)

    def _wake_one(self, batch: Optional[Batch]) -> None:
        try:
            waiter, napping = self._waiters.popleft()
        except IndexError:  # it stopped waiting meanwhile
            return
        if batch is not None and batch.more:  # more puts are coming at once:
            self._burst_puts += 1  # the consumer will nap next time
            if napping:
                batch._keep(self, waiter)
                return
        waiter.release()

    def get(self, block: bool = True, timeout: Optional[float] = None) -> _T:
        """Remove and return the oldest item.

        Args:
            block: Wait for an item when the queue is empty.
            timeout: The longest wait in seconds; None waits for ever.

        Raises:
            queue.Empty: If no item came in time (or at once, with ``block=False``),
                or the queue was closed and is empty.
        """
        try:
            item = self._items.popleft()
        except IndexError:
            if not block:
                raise queue.Empty from None
            return self._wait(timeout)
        if self._in_burst:
            self._end_burst()
        return item

    def _wait(self, timeout: Optional[float]) -> _T:
        deadline = None if timeout is None else time.monotonic() + timeout
        items, waiters = self._items, self._waiters
        while True:
            burst_puts = self._burst_puts
            napping = burst_puts != self._burst_puts_seen
            lock = _thread.allocate_lock()
            lock.acquire()
            waiter = (lock, napping)
            waiters.append(waiter)  # before looking, so that no put can be missed
            got = woken = False
            try:
                try:
                    item = items.popleft()
                    got = True
                except IndexError:
                    if self._closed:
                        raise queue.Empty from None
                    wait = _NAP if napping else _WAIT_SLICE
                    if deadline is not None:
                        wait = min(wait, deadline - time.monotonic())
                        if wait <= 0:
                            raise queue.Empty from None
                    self._burst_puts_seen = burst_puts
                    woken = lock.acquire(True, wait)
            finally:
                if not woken:  # still parked, unless a put popped it just now
                    with contextlib.suppress(ValueError):
                        waiters.remove(waiter)
            if got:
                if self._in_burst:
                    self._end_burst()
                if items and waiters:  # a put may have woken us after we looked:
                    self._wake_one(None)  # pass the wake-up on to the next consumer
                return item

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
        while True:
            try:
                lock, _ = self._waiters.popleft()
            except IndexError:
                return
            lock.release()

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

    A callback that raises is counted and handed to ``on_error``, which logs it (the
    client's :class:`~binance_options_ws._reporting.Reporter` does, rate-limited), or
    logged with its traceback when there is no ``on_error``; the next callback runs
    as usual.

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

    def submit(
        self, function: Callable[[Any], Any], argument: Any, batch: Optional[Batch] = None
    ) -> None:
        """Queue ``function(argument)``. Never blocks.

        Args:
            function: The callback.
            argument: Its one argument.
            batch: The producer's :class:`Batch`, as for :meth:`EventQueue.put`.
        """
        if not self._stop.is_set():
            self._jobs.put((function, argument), batch)

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
            # Whatever a callback raises, SystemExit and KeyboardInterrupt included, the
            # dispatcher goes on: the error is the callback's, not the stream's.
            except BaseException as exc:
                self.errors += 1
                if self._on_error is not None and function is not self._on_error:
                    try:
                        self._on_error(exc)  # the client's logs it (rate-limited): Reporter
                    except BaseException:
                        _log.exception("the on_error callback raised too")
                else:
                    _log.error("a callback raised %s: %s", type(exc).__name__, exc, exc_info=True)
