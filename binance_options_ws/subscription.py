"""``Subscription``: the handle every subscribe method returns, typed by its events.

``subscribe_trade`` returns a ``Subscription[Trade]``: its callback takes a
:class:`~binance_options_ws.Trade`, and its own :meth:`~Subscription.get` and
:meth:`~Subscription.events` give ``Trade`` objects, so a type checker knows every
field without a cast.

Example:
    >>> sub = client.subscribe_trade("BTC")   # doctest: +SKIP
    >>> sub.streams, sub.active                # doctest: +SKIP
    (('BTC@trade',), True)
"""

from __future__ import annotations

import queue as _queue
import threading
from typing import Any, Callable, FrozenSet, Generic, Iterator, Optional, Tuple, TypeVar

from ._delivery import EventQueue
from ._timing import Deadline, check_timeout
from .exceptions import ClientClosedError, InvalidArgumentError, SubscriptionEndedError

__all__ = ["Callback", "E", "Subscription"]

#: The event type of a subscription (``Trade`` for ``subscribe_trade``, and so on).
E = TypeVar("E")

#: A function that receives one event (of any type).
Callback = Callable[[Any], object]


class Subscription(Generic[E]):
    """A handle on what one subscribe call subscribed, typed by the events it delivers.

    Every subscribe method returns one: ``subscribe_trade`` a ``Subscription[Trade]``,
    ``subscribe_index`` a ``Subscription[IndexPrice]``, ``client.subscribe(names)`` a
    ``Subscription[Event]``. A subscription hands over only events of its type: an
    :class:`~binance_options_ws.UnknownEvent` arriving on its streams is counted in
    ``client.stats.unrouted_events`` instead.

    **Reading it on its own.** A subscription made without a callback delivers to
    the client's shared queue (``client.get()``, ``client.events()``) until its own
    :meth:`get` or :meth:`events` is first called. That first call gives it a queue
    of its own, as large as the client's (``queue_size``, oldest dropped and
    counted), and moves there its events still waiting in the shared queue, in
    order; from then on its events go to its own queue only. An event that another
    subscription without a callback also receives stays in the shared queue too.
    So no event is lost between the subscribe and the first read, and code that
    reads only the shared queue sees every event as before.

    Attributes:
        streams: The stream names, exactly as sent to the exchange.
        callback: The callback given to subscribe, or None (events go to a queue).
        symbols: The symbols this subscription keeps, or None for every event of its
            streams (``subscribe_index("BTCUSDT")`` on fstream, whose index stream
            carries every underlying, keeps only ``BTCUSDT``).
        event_class: The class of the events it delivers, or None for any event
            (``client.subscribe(names)``).

    Example:
        >>> trades = client.subscribe_trade("BTC")      # doctest: +SKIP
        >>> for trade in trades.events(timeout=10):     # doctest: +SKIP
        ...     print(trade.price * trade.quantity)
        >>> trades.unsubscribe()                        # doctest: +SKIP
    """

    def __init__(
        self,
        streams: Tuple[str, ...],
        callback: Optional[Callable[[E], object]],
        symbols: Optional[FrozenSet[str]],
        *,
        event_class: Optional[type] = None,
        cancel: Callable[[Subscription[Any], Optional[float]], None],
        is_active: Callable[[Subscription[Any]], bool],
        own_queue: Optional[Callable[[Subscription[Any]], EventQueue[Any]]] = None,
        is_closed: Optional[Callable[[], bool]] = None,
    ) -> None:
        self.streams = streams
        self.callback = callback
        self.symbols = symbols
        self.event_class = event_class
        self._cancel = cancel
        self._is_active = is_active
        self._own_queue = own_queue
        self._is_closed = is_closed
        self._queue: Optional[EventQueue[E]] = None
        self._queue_lock = threading.Lock()  # protects _queue's one creation

    @property
    def active(self) -> bool:
        """True until :meth:`unsubscribe` (or the client closes)."""
        return self._is_active(self)

    def unsubscribe(self, *, timeout: Optional[float] = None) -> None:
        """Stop this subscription's delivery; streams nobody else uses are unsubscribed.

        Blocks until the exchange confirms. Calling it twice does nothing. Events
        already in the subscription's own queue can still be read with :meth:`get`.

        Example:
            >>> sub.unsubscribe()   # doctest: +SKIP
        """
        self._cancel(self, timeout)

    def get(self, timeout: Optional[float] = None) -> E:
        """The next event of this subscription, from its own queue.

        The first call gives the subscription its own queue, with its events that
        were waiting in the client's queue (see the class docstring): from then on
        its events no longer reach the client's queue.

        Args:
            timeout: Seconds to wait (a number, 0 or more); None waits until an
                event comes.

        Returns:
            The oldest waiting event, of the subscription's type.

        Raises:
            queue.Empty: If no event came within ``timeout``.
            ClientClosedError: If the client is closed and no event is left (a
                ``close()`` from another thread ends the wait at once).
            SubscriptionEndedError: If the subscription ended and no event is left.
            InvalidArgumentError: If the subscription was made with a callback,
                which receives its events.
            InvalidArgumentTypeError: If ``timeout`` is not a number (a ``TypeError``).

        Example:
            >>> trade = client.subscribe_trade("BTC").get(timeout=10)   # doctest: +SKIP
            >>> trade.price * trade.quantity                            # doctest: +SKIP
            1534.2
        """
        check_timeout("timeout", timeout)
        events = self._take_queue()
        try:
            return events.get(timeout=timeout)
        except _queue.Empty:
            if events.empty():
                self._check_open()
            raise

    def events(self, timeout: Optional[float] = None) -> Iterator[E]:
        """Iterate over this subscription's events until it ends or ``timeout`` runs out.

        Like :meth:`get`, the first call gives the subscription its own queue.

        Args:
            timeout: Stop after this many seconds in total (a number, 0 or more);
                None runs until the subscription ends or the client closes.

        Yields:
            Events of the subscription's type, oldest first.

        Raises:
            InvalidArgumentError: If the subscription was made with a callback.
            InvalidArgumentTypeError: If ``timeout`` is not a number (a ``TypeError``).

        Example:
            >>> for trade in client.subscribe_trade("BTC").events(timeout=10):  # doctest: +SKIP
            ...     print(trade.symbol, trade.price)
        """
        check_timeout("timeout", timeout)
        events = self._take_queue()
        return self._iterate(events, Deadline(timeout))

    def _iterate(self, events: EventQueue[E], deadline: Deadline) -> Iterator[E]:
        while not deadline.expired:
            try:
                yield events.get(timeout=deadline.timeout())
            except _queue.Empty:
                if events.closed and events.empty():
                    return

    def _take_queue(self) -> EventQueue[E]:
        """This subscription's own queue, made (and routed to) on the first call."""
        events = self._queue
        if events is not None:
            return events
        if self.callback is not None:
            name = getattr(self.callback, "__name__", repr(self.callback))
            raise InvalidArgumentError(
                f"this subscription hands its events to its callback {name}, so it has no "
                "queue to read; subscribe without a callback to read it with get() or events()"
            )
        if self._own_queue is None:
            raise InvalidArgumentError("this subscription has no client to read events from")
        with self._queue_lock:
            if self._queue is None:
                self._queue = self._own_queue(self)
            return self._queue

    def _check_open(self) -> None:
        if self._is_closed is not None and self._is_closed():
            raise ClientClosedError(
                "the client is closed and no event of this subscription is left"
            )
        if not self.active:
            raise SubscriptionEndedError(
                f"the subscription to {list(self.streams)} has ended and no event of it is left"
            )

    def __repr__(self) -> str:
        target = "queue"
        if self.callback is not None:
            target = getattr(self.callback, "__name__", "callback")
        elif self._queue is not None:
            target = "its own queue"
        ended = "" if self.active else " (ended)"
        only = f" for {sorted(self.symbols)}" if self.symbols is not None else ""
        kind = f"[{self.event_class.__name__}]" if self.event_class is not None else ""
        return f"<Subscription{kind} {list(self.streams)}{only} -> {target}{ended}>"
