"""Which events go where: the client's table from stream names to the queue and callbacks.

Each subscription adds its target (the queue, or a callback) to the routes of its
streams; a subscription for some symbols only (the fstream index) adds a filtered
route. :meth:`Router.deliver` runs on the reader threads for every frame's events:
it looks each event's stream up, puts it on the queue or hands it to the
dispatcher, and never waits.
"""

from __future__ import annotations

import threading
from typing import Any, Callable, Dict, FrozenSet, List, Optional, Sequence, Set, Tuple, Union

import attrs

from ._delivery import Batch
from .dialects import Dialect
from .exceptions import InvalidStreamError
from .models import Event, Message
from .subscription import Callback, Subscription

__all__ = ["Router"]


@attrs.frozen
class _Only:
    """A route that passes on only the events of some symbols."""

    target: Optional[Callback]  # None: the queue
    symbols: FrozenSet[str]


_Handler = Union[Callback, _Only, None]
#: How many spellings of stream names the router remembers before it starts afresh.
_MAX_SPELLINGS = 10_000
_UNSEEN = ""  # no stream name is empty: marks a spelling not read yet


def _handlers(subs: Sequence[Subscription]) -> Tuple[_Handler, ...]:
    """Where a stream's events go: each target once, filtered only if every one of its
    subscriptions is (then by the union of their symbols)."""
    wanted: Dict[Optional[Callback], Optional[FrozenSet[str]]] = {}
    for sub in subs:
        if sub.callback in wanted:
            known = wanted[sub.callback]
            wanted[sub.callback] = (
                None if known is None or sub.symbols is None else (known | sub.symbols)
            )
        else:
            wanted[sub.callback] = sub.symbols
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
        self._subs: Dict[str, List[Subscription]] = {}
        self._live: Set[Subscription] = set()
        # stream -> handlers (None = the queue); replaced whole, read without a lock.
        self._routes: Dict[str, Tuple[_Handler, ...]] = {}
        # An event's stream as it arrived -> the subscribed spelling (None: none).
        self._canonical: Dict[str, Optional[str]] = {}
        self.unrouted = 0  # events for streams nobody is subscribed to (reader threads only)

    def streams(self) -> List[str]:
        """The subscribed streams, in the order they were first subscribed."""
        with self._lock:
            return list(self._subs)

    def is_live(self, subscription: Subscription) -> bool:
        """Whether ``subscription`` still receives events."""
        return subscription in self._live

    def add(self, subscription: Subscription) -> None:
        """Route the events of ``subscription``'s streams to its target."""
        with self._lock:
            self._live.add(subscription)
            for name in subscription.streams:
                self._subs.setdefault(name, []).append(subscription)
            self._rebuild(subscription.streams)

    def forget(self, subscription: Subscription) -> List[str]:
        """Stop routing to ``subscription``; returns the streams nobody uses any more."""
        unused = []
        with self._lock:
            self._live.discard(subscription)
            for name in subscription.streams:
                subs = self._subs.get(name, [])
                if subscription in subs:
                    subs.remove(subscription)
                if not subs:
                    self._subs.pop(name, None)
                    unused.append(name)
            self._rebuild(subscription.streams)
        return unused

    def forget_streams(self, names: Sequence[str]) -> None:
        """Stop routing ``names`` to anyone; their subscriptions end."""
        with self._lock:
            for name in names:
                for sub in self._subs.pop(name, ()):
                    self._live.discard(sub)
            self._rebuild(names)

    def _rebuild(self, names: Sequence[str]) -> None:
        """Recompute the handlers of ``names`` (``_lock`` held)."""
        routes = dict(self._routes)
        for name in names:
            subs = self._subs.get(name)
            if subs:
                routes[name] = _handlers(subs)
            else:
                routes.pop(name, None)
        self._routes = routes

    def deliver(self, messages: List[Message], batch: Optional[Batch] = None) -> None:
        """Route one frame's events (on a reader thread: no waiting here).

        ``batch`` is the reader's: consumers are woken once per batch, not per event.
        """
        routes = self._routes
        put = self._put
        for event in messages:
            handlers = routes.get(event.stream)  # type: ignore[union-attr, arg-type]
            if handlers is None:
                handlers = self._route_miss(event)
                if handlers is None:
                    continue
            handler: Any
            for handler in handlers:
                if handler.__class__ is _Only:  # a subscription for some symbols only
                    if getattr(event, "symbol", None) not in handler.symbols:
                        continue
                    handler = handler.target
                if handler is None:
                    put(event, batch)  # type: ignore[arg-type]
                else:
                    self._submit(handler, event, batch)

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
