"""Which events go where: the client's table from stream names to the queue and callbacks.

Each subscription adds its target (the client's queue, a queue of its own, or a
callback) to the routes of its streams; a subscription for some symbols only (the
fstream index) adds a filtered route. A subscription typed by its events (every
``subscribe_<stream>`` method's) takes no :class:`~binance_options_ws.UnknownEvent`:
one arriving on its streams goes only to the subscriptions of any event
(``client.subscribe(names)``), or is counted as unrouted. :meth:`Router.deliver`
runs on the reader threads for every frame's events: it looks each event's stream
up, puts it on a queue or hands it to the dispatcher, and never waits.
"""

from __future__ import annotations

import threading
from typing import (
    Any,
    Callable,
    Dict,
    FrozenSet,
    List,
    Mapping,
    Optional,
    Sequence,
    Set,
    Tuple,
    Union,
)

import attrs

from ._delivery import Batch, EventQueue
from .dialects import Dialect
from .exceptions import InvalidStreamError
from .models import Event, Message, UnknownEvent
from .subscription import Callback, Subscription

__all__ = ["Router"]


#: Where a subscription's events go: a callback (run by the dispatcher), a queue of
#: the subscription's own (put on the reader thread), or None for the client's queue.
_Target = Union[Callback, "EventQueue[Any]", None]


@attrs.frozen
class _Only:
    """A route that passes on only the events of some symbols."""

    target: _Target
    symbols: FrozenSet[str]


_Handler = Union[Callback, "EventQueue[Any]", _Only, None]
#: How many spellings of stream names the router remembers before it starts afresh.
_MAX_SPELLINGS = 10_000
_UNSEEN = ""  # no stream name is empty: marks a spelling not read yet


def _handlers(
    subs: Sequence[Subscription[Any]], queues: Mapping[Subscription[Any], EventQueue[Any]]
) -> Tuple[_Handler, ...]:
    """Where a stream's events go: each target once, filtered only if every one of its
    subscriptions is (then by the union of their symbols)."""
    wanted: Dict[_Target, Optional[FrozenSet[str]]] = {}
    for sub in subs:
        target: _Target = sub.callback if sub.callback is not None else queues.get(sub)
        if target in wanted:
            known = wanted[target]
            wanted[target] = None if known is None or sub.symbols is None else (known | sub.symbols)
        else:
            wanted[target] = sub.symbols
    return tuple(
        target if symbols is None else _Only(target, symbols) for target, symbols in wanted.items()
    )


class Router:
    """The subscriptions of one client, and the routes of their events.

    Args:
        dialect: The client's endpoint, to read a stream name an event arrives with
            in another spelling (any case) back to the subscribed one.
        put: Puts an event on the client's queue (never blocks), with the reader's
            batch.
        submit: Hands ``(callback, event)`` to the dispatcher (never blocks), with
            the reader's batch.
    """

    def __init__(
        self,
        dialect: Dialect,
        put: Callable[[Event, Optional[Batch]], None],
        submit: Callable[[Callable[[Any], Any], Any, Optional[Batch]], None],
    ) -> None:
        self._dialect = dialect
        self._put = put
        self._submit = submit
        self._lock = threading.Lock()  # guards _subs and _live, and the rebuilds of _routes
        # Held by deliver() for each frame, and by set_queue() while it moves events.
        self._deliver_lock = threading.Lock()
        self._subs: Dict[str, List[Subscription[Any]]] = {}
        self._live: Set[Subscription[Any]] = set()
        # The subscriptions read on their own (Subscription.get), and their queues.
        self._queues: Dict[Subscription[Any], EventQueue[Any]] = {}
        # stream -> handlers (None = the queue); replaced whole, read without a lock.
        self._routes: Dict[str, Tuple[_Handler, ...]] = {}
        # stream -> the handlers of its untyped subscriptions, for an UnknownEvent.
        self._unknown_routes: Dict[str, Tuple[_Handler, ...]] = {}
        # An event's stream as it arrived -> the subscribed spelling (None: none).
        self._canonical: Dict[str, Optional[str]] = {}
        self.unrouted = 0  # events for streams nobody is subscribed to (reader threads only)

    def streams(self) -> List[str]:
        """The subscribed streams, in the order they were first subscribed."""
        with self._lock:
            return list(self._subs)

    def feeds_the_queue(self) -> bool:
        """Whether a live subscription delivers to the client's queue (no callback,
        not read on its own)."""
        with self._lock:
            return any(sub.callback is None and sub not in self._queues for sub in self._live)

    def is_live(self, subscription: Subscription[Any]) -> bool:
        """Whether ``subscription`` still receives events."""
        return subscription in self._live

    def set_queue(
        self,
        subscription: Subscription[Any],
        queue: EventQueue[Any],
        shared: EventQueue[Any],
    ) -> None:
        """Route ``subscription``'s events to a queue of its own, with those waiting in
        the client's ``shared`` queue: no event of it stays behind there.

        The readers wait meanwhile (the time to look through ``shared``), so that no
        event is on its way to ``shared`` while they move. An event that another
        subscription reads from ``shared`` stays there too.
        """
        with self._deliver_lock:
            with self._lock:
                self._queues[subscription] = queue
                self._rebuild(subscription.streams)
                others = [
                    sub
                    for name in subscription.streams
                    for sub in self._subs.get(name, ())
                    if sub is not subscription and sub.callback is None and sub not in self._queues
                ]
            moved = shared.take(
                lambda event: self._wants(subscription, event),
                lambda event: any(self._wants(sub, event) for sub in others),
            )
            queue.put_first(moved)

    def _wants(self, subscription: Subscription[Any], event: Any) -> bool:
        """Whether ``event`` (from the client's queue) is one of ``subscription``'s."""
        stream = event.stream
        stream = self._canonical.get(stream) or stream
        if stream not in subscription.streams:
            return False
        kind = subscription.event_class
        if kind is not None and event.__class__ is not kind:
            return False
        symbols = subscription.symbols
        return symbols is None or getattr(event, "symbol", None) in symbols

    def add(self, subscription: Subscription[Any]) -> None:
        """Route the events of ``subscription``'s streams to its target."""
        with self._lock:
            self._live.add(subscription)
            for name in subscription.streams:
                self._subs.setdefault(name, []).append(subscription)
            self._rebuild(subscription.streams)

    def forget(self, subscription: Subscription[Any]) -> List[str]:
        """Stop routing to ``subscription``; returns the streams nobody uses any more."""
        unused = []
        with self._lock:
            self._live.discard(subscription)
            self._queues.pop(subscription, None)
            for name in subscription.streams:
                subs = self._subs.get(name, [])
                if subscription in subs:
                    subs.remove(subscription)
                if not subs:
                    self._subs.pop(name, None)
                    unused.append(name)
            self._rebuild(subscription.streams)
        return unused

    def forget_streams(self, names: Sequence[str]) -> List[Subscription[Any]]:
        """Stop routing ``names`` to anyone; their subscriptions end, and are returned."""
        ended: List[Subscription[Any]] = []
        with self._lock:
            for name in names:
                for sub in self._subs.pop(name, ()):
                    self._live.discard(sub)
                    self._queues.pop(sub, None)
                    ended.append(sub)
            self._rebuild(names)
        return ended

    def _rebuild(self, names: Sequence[str]) -> None:
        """Recompute the handlers of ``names`` (``_lock`` held)."""
        routes = dict(self._routes)
        unknown_routes = dict(self._unknown_routes)
        for name in names:
            subs = self._subs.get(name)
            if subs:
                routes[name] = _handlers(subs, self._queues)
                unknown_routes[name] = _handlers(
                    [sub for sub in subs if sub.event_class is None], self._queues
                )
            else:
                routes.pop(name, None)
                unknown_routes.pop(name, None)
        self._unknown_routes = unknown_routes
        self._routes = routes

    def deliver(self, messages: List[Message], batch: Optional[Batch] = None) -> None:
        """Route one frame's events (on a reader thread: no waiting here).

        ``batch`` is the reader's: consumers are woken once per batch, not per event.
        """
        with self._deliver_lock:
            self._deliver(messages, batch)

    def _deliver(self, messages: List[Message], batch: Optional[Batch]) -> None:
        routes = self._routes
        put = self._put
        for event in messages:
            handlers = routes.get(event.stream)  # type: ignore[union-attr]
            if handlers is None:
                handlers = self._route_miss(event)
                if handlers is None:
                    continue
            if event.__class__ is UnknownEvent:  # for the untyped subscriptions only
                handlers = self._unknown_handlers(event)
            handler: Any
            for handler in handlers:
                if handler.__class__ is _Only:  # a subscription for some symbols only
                    if getattr(event, "symbol", None) not in handler.symbols:
                        continue
                    handler = handler.target
                if handler is None:
                    put(event, batch)  # type: ignore[arg-type]
                elif handler.__class__ is EventQueue:  # a subscription's own queue
                    handler.put(event, batch)
                else:
                    self._submit(handler, event, batch)

    def _unknown_handlers(self, event: Message) -> Tuple[_Handler, ...]:
        """The handlers of an UnknownEvent: those of its stream's untyped subscriptions."""
        stream = getattr(event, "stream", None)
        unknown_routes = self._unknown_routes
        handlers = unknown_routes.get(stream) if stream else None
        if handlers is None and stream:
            canonical = self._canonical.get(stream)  # read by _route_miss just before
            handlers = unknown_routes.get(canonical) if canonical else None
        if not handlers:
            self.unrouted += 1
            return ()
        return handlers

    def _route_miss(self, event: Message) -> Optional[Tuple[_Handler, ...]]:
        stream = getattr(event, "stream", None)
        if stream is not None:
            canonical = self._canonical.get(stream, _UNSEEN)
            if canonical is _UNSEEN:
                if len(self._canonical) >= _MAX_SPELLINGS:  # names from the network: bounded
                    self._canonical.clear()
                try:
                    canonical = self._dialect.parse_stream(stream).name
                except InvalidStreamError:
                    canonical = None
                self._canonical[stream] = canonical
            if canonical is not None:
                handlers = self._routes.get(canonical)  # one read: the dict may be swapped
                if handlers is not None:
                    return handlers
        self.unrouted += 1
        return None
