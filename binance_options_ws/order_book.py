"""``OrderBook``: a local order book of one option, kept from a snapshot plus the diff stream.

The fstream endpoint's diff-depth stream (``<symbol>@depth@<speed>``) sends only
the levels that changed. To hold the whole book, start from a REST snapshot
(``GET /eapi/v1/depth``) and apply the changes that follow it, in order:

1. subscribe to the diff stream and keep its events aside;
2. fetch the snapshot; its ``last_update_id`` says which changes it already holds;
3. drop the kept events that end before it (``u`` < ``last_update_id``); the first
   one applied must not start after it (``pu`` <= ``last_update_id``): if it does,
   the snapshot was older than the stream, and another is fetched a little later;
4. from then on every event's ``pu`` must equal the previous event's ``u``.

When a check fails an update was missed: the book is marked out of sync and a
fresh snapshot is fetched (a *resync*), while new events are kept aside again.
The same happens when the client loses its connection: the events of the gap are
gone, so the book waits for the stream to resume and starts again.
:class:`OrderBook` does all of this in the background::

    from binance_options_ws import OrderBook, StreamClient

    with StreamClient(endpoint="fstream") as client:
        book = OrderBook(client, "BTC-261225-100000-C")
        book.wait_synced(timeout=10)
        print(book.best_bid, book.best_ask)

Snapshots are fetched on a thread of the book's own
(``binance-options-ws-N-order-book-<SYMBOL>``), so a slow REST answer never holds
up the client's other callbacks; events are applied on the client's dispatcher
thread.
"""

from __future__ import annotations

import collections
import itertools
import logging
import threading
from typing import Any, Callable, Deque, Dict, List, Optional, Tuple, Union

from ._retry import backoff, is_retryable, retry_delay
from ._timing import Deadline
from .client import StreamClient
from .dialects import StreamKind
from .endpoints import endpoints_with
from .exceptions import ClientClosedError, InvalidArgumentError
from .exchange_info import DEPTH_LIMITS, DepthSnapshot
from .models import DepthUpdate
from .rest import RestClient
from .status import StateChange
from .symbols import OptionSymbol

__all__ = ["OrderBook"]

_log = logging.getLogger("binance_options_ws")
_numbers = itertools.count(1)
# Events kept aside while a snapshot is fetched; beyond this the oldest go (the
# snapshot will be newer than them anyway).
#: Seconds between two looks at the book's state while waiting for it to sync.
_POLL = 0.05
_MAX_PENDING = 10_000
# Seconds a snapshot request of the book's own RestClient may take: close() cannot
# cut a request short, so this bounds how long the snapshot thread can outlive it.
_OWN_REST_TIMEOUT = 5.0

Level = Tuple[float, float]


class OrderBook:
    """A local order book of one option from a REST snapshot plus the diff-depth stream.

    Needs a client on the fstream endpoint (only it has the diff stream). The book
    subscribes when created and unsubscribes on :meth:`close`.

    Args:
        client: A :class:`~binance_options_ws.StreamClient` with ``endpoint="fstream"``.
        symbol: The option symbol, e.g. ``"BTC-261225-100000-C"``.
        rest: Where snapshots come from; by default a ``RestClient()`` for Binance that
            goes through the client's ``proxy`` with its ``ssl_context`` (a
            :class:`~binance_options_ws.testing.FakeExchange`'s ``rest_url`` in tests).
        speed: The diff stream's speed, ``"100ms"`` (the default) or ``"500ms"``.
        limit: Levels per side in each snapshot: 10, 20, 50, 100, 500 or 1000.
        on_update: Called with the book after every change and after every sync, on
            the client's dispatcher thread (like any callback of the client).
        timeout: Seconds to wait for the exchange to confirm the subscription.

    Raises:
        InvalidArgumentError: The client is not on fstream, or ``limit`` is not allowed.
        InvalidStreamError: ``symbol`` or ``speed`` is not valid.

    Example:
        >>> book = OrderBook(client, "BTC-261225-100000-C")   # doctest: +SKIP
        >>> book.wait_synced(10); book.bids(5)                # doctest: +SKIP
    """

    def __init__(
        self,
        client: StreamClient,
        symbol: Union[str, OptionSymbol],
        *,
        rest: Optional[RestClient] = None,
        speed: Union[str, int] = "100ms",
        limit: int = 1000,
        on_update: Optional[Callable[[OrderBook], Any]] = None,
        timeout: Optional[float] = None,
    ) -> None:
        if (
            not isinstance(client, StreamClient)
            or StreamKind.DIFF_DEPTH not in client.dialect.kinds
        ):
            having = endpoints_with(StreamKind.DIFF_DEPTH)
            raise InvalidArgumentError(
                f"OrderBook needs a StreamClient on the {' or '.join(having)} endpoint, which "
                f"has the diff-depth stream: StreamClient(endpoint={having[0]!r}); got {client!r}"
            )
        if isinstance(limit, bool) or limit not in DEPTH_LIMITS:
            raise InvalidArgumentError(
                f"limit must be one of {', '.join(map(str, DEPTH_LIMITS))}, got {limit!r}"
            )
        if on_update is not None and not callable(on_update):
            raise InvalidArgumentError(f"on_update must be callable or None, got {on_update!r}")
        self.symbol: str = OptionSymbol.parse(symbol).name
        self._client = client
        self._own_rest = rest is None
        if rest is None:  # the client's way out: its proxy and TLS settings
            rest = RestClient(
                timeout=_OWN_REST_TIMEOUT, proxy=client.proxy, ssl_context=client.ssl_context
            )
        self._rest = rest
        self._limit = limit
        self._on_update = on_update
        self._lock = threading.Lock()  # protects everything below up to _failed
        self._bids: Dict[float, float] = {}
        self._asks: Dict[float, float] = {}
        self._update_id: Optional[int] = None
        self._synced = threading.Event()
        self._first = True  # the next event is the first after a snapshot
        self._pending: Deque[DepthUpdate] = collections.deque(maxlen=_MAX_PENDING)
        self._resyncs = 0
        self._awaiting = False  # a snapshot is wanted or being fetched
        self._snapshot_too_old = False  # the last one was: wait a little before the next
        self._generation = 0  # +1 on a lost connection: a snapshot fetched before is stale
        self._last_error: Optional[BaseException] = None
        self._failed: Optional[BaseException] = None  # an error no retry can mend
        self._want_snapshot = threading.Event()
        self._stop = threading.Event()  # the snapshot thread should end
        self._closed = False  # close() has run (guarded by _close_lock)
        self._close_lock = threading.Lock()
        self._thread = threading.Thread(
            target=self._fetch_loop,
            name=f"binance-options-ws-{next(_numbers)}-order-book-{self.symbol}",
            daemon=True,
        )
        self._thread.start()
        # The URL path of the diff stream: a lost connection there loses updates.
        self._path = client.dialect.route(client.dialect.diff_depth(self.symbol, speed))
        client.add_state_listener(self._on_client_state)
        try:
            self._subscription = client.subscribe_diff_depth(
                self.symbol, speed, self._on_event, timeout=timeout
            )
        except BaseException:
            client.remove_state_listener(self._on_client_state)
            self._stop.set()
            self._want_snapshot.set()
            if self._own_rest:
                self._rest.close()
            raise
        with self._lock:
            self._request_snapshot()

    def __repr__(self) -> str:
        state = "synced" if self.is_synced else "syncing"
        return (
            f"<OrderBook {self.symbol} {state} update {self._update_id} "
            f"bid {self.best_bid} ask {self.best_ask}>"
        )

    def __enter__(self) -> OrderBook:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # ------------------------------------------------------------------ reading

    @property
    def is_synced(self) -> bool:
        """True while the book is complete: a snapshot plus every change since."""
        return self._synced.is_set()

    def wait_synced(self, timeout: Optional[float] = None) -> bool:
        """Wait until the book is in sync. Returns False if ``timeout`` ran out first.

        Raises:
            BinanceAPIError: If the exchange refused the snapshot for good (an unknown
                symbol, say); the book stops trying.
            ClientClosedError: If the book or its client is closed.

        Example:
            >>> book.wait_synced(timeout=10)   # doctest: +SKIP
            True
        """
        deadline = Deadline(timeout)
        while True:
            if self._failed is not None:
                raise self._failed
            if self._stop.is_set() or self._client.closed:
                raise ClientClosedError(
                    f"the order book of {self.symbol} is closed (or its client is)"
                )
            left = deadline.timeout()
            if self._synced.wait(_POLL if left is None else min(_POLL, left)):
                return True
            if deadline.expired:
                return False

    def bids(self, limit: Optional[int] = None) -> List[Level]:
        """The bids as ``(price, quantity)``, best (highest price) first.

        Example:
            >>> book.bids(3)   # doctest: +SKIP
            [(5100.0, 0.5), (5000.0, 1.2), (4900.0, 3.0)]
        """
        with self._lock:
            levels = sorted(self._bids.items(), reverse=True)
        return levels if limit is None else levels[:limit]

    def asks(self, limit: Optional[int] = None) -> List[Level]:
        """The asks as ``(price, quantity)``, best (lowest price) first.

        Example:
            >>> book.asks(3)   # doctest: +SKIP
        """
        with self._lock:
            levels = sorted(self._asks.items())
        return levels if limit is None else levels[:limit]

    @property
    def best_bid(self) -> Optional[Level]:
        """The best bid ``(price, quantity)``, or None when there is none."""
        with self._lock:
            return max(self._bids.items()) if self._bids else None

    @property
    def best_ask(self) -> Optional[Level]:
        """The best ask ``(price, quantity)``, or None when there is none."""
        with self._lock:
            return min(self._asks.items()) if self._asks else None

    @property
    def update_id(self) -> Optional[int]:
        """The update id the book is at (None before the first snapshot)."""
        return self._update_id

    @property
    def resyncs(self) -> int:
        """How many times the book started again from a fresh snapshot, after a missed
        update or a lost connection."""
        return self._resyncs

    @property
    def last_error(self) -> Optional[BaseException]:
        """Why the last snapshot failed, while failing (retried with backoff); else None."""
        return self._last_error

    def close(self) -> None:
        """Unsubscribe and stop the snapshot thread. Safe to call more than once.

        A snapshot request in flight cannot be cut short; the thread waiting for it
        ends when it returns (5 s at most with the book's own REST client).

        Example:
            >>> book.close()   # doctest: +SKIP
        """
        with self._close_lock:
            if self._closed:
                return
            self._closed = True
        self._stop.set()
        self._want_snapshot.set()
        self._synced.clear()
        self._client.remove_state_listener(self._on_client_state)
        if not self._client.closed:
            try:
                self._subscription.unsubscribe(timeout=0.5)
            except Exception as exc:  # the client may be going away: nothing to undo
                _log.debug("order book %s: unsubscribe failed: %s", self.symbol, exc)
        if self._thread is not threading.current_thread():
            self._thread.join(0.4)
        if self._own_rest:
            self._rest.close()

    # ------------------------------------------------------------------ events

    def _on_event(self, event: DepthUpdate) -> None:
        """One diff event (on the client's dispatcher thread)."""
        if not isinstance(event, DepthUpdate) or event.symbol not in (None, self.symbol):
            return
        with self._lock:
            if not self._synced.is_set():
                self._pending.append(event)
                if not self._awaiting and self._failed is None:
                    self._request_snapshot()  # the stream is back after a lost connection
                return
            applied = self._apply(event)
        if applied and self._on_update is not None:
            self._on_update(self)

    def _apply(self, event: DepthUpdate) -> bool:
        """Apply one event to a synced book (``_lock`` held). False if it was skipped."""
        current, last = self._update_id, event.update_id
        if current is None or last is None:
            return False
        if self._first:
            if last < current:  # already in the snapshot
                return False
            if _starts_after(event, current):  # the snapshot was older than the stream
                self._snapshot_too_old = True
                return self._start_over(event)
        elif event.previous_update_id != current:
            return self._gap(event, f"expected pu {current}, got {event.previous_update_id}")
        self._first = False
        for side, levels in ((self._bids, event.bids), (self._asks, event.asks)):
            for price, quantity in levels:
                if quantity == 0:
                    side.pop(price, None)
                else:
                    side[price] = quantity
        self._update_id = last
        return True

    def _gap(self, event: DepthUpdate, detail: str) -> bool:
        """An update was missed (``_lock`` held): count a resync and start over."""
        _log.warning("order book %s: missed an update (%s); resyncing", self.symbol, detail)
        self._resyncs += 1
        return self._start_over(event)

    def _start_over(self, event: DepthUpdate) -> bool:
        """Go out of sync and ask for a snapshot (``_lock`` held); returns False.

        ``event`` is kept: the next snapshot may come before it.
        """
        self._synced.clear()
        self._pending.clear()
        self._pending.append(event)
        self._request_snapshot()
        return False

    def _request_snapshot(self) -> None:
        """Ask the snapshot thread for a snapshot (``_lock`` held)."""
        self._awaiting = True
        self._want_snapshot.set()

    def _on_client_state(self, change: StateChange) -> None:
        """Follow the client's connections (on the dispatcher thread, in order with the
        events; ``"closed"`` on the closing thread)."""
        if change.state == "closed":
            self._stop.set()
            self._want_snapshot.set()
            self._synced.clear()
        elif change.state == "disconnected" and change.path == self._path:
            # A connection of the diff stream's path ended: what it missed is gone. This
            # runs after the events that connection delivered before.
            self._lost_connection()

    def _lost_connection(self) -> None:
        """Start again after a lost connection (on the dispatcher thread)."""
        with self._lock:
            self._generation += 1
            if self._synced.is_set():
                self._resyncs += 1
                _log.warning("order book %s: connection lost; resyncing", self.symbol)
            self._synced.clear()
            self._pending.clear()
            self._awaiting = False  # the first event after the reconnect asks again

    # ------------------------------------------------------------------ snapshots

    def _fetch_loop(self) -> None:
        delays = backoff(0.5, 2.0, 30.0)
        while not self._stop.is_set():
            if not self._want_snapshot.wait(0.5):
                if self._client.closed:  # never outlive the client
                    return
                continue
            if self._stop.is_set() or self._client.closed:
                return
            self._want_snapshot.clear()
            if self._snapshot_too_old:  # asking again at once would give the same
                self._snapshot_too_old = False
                if self._stop.wait(next(delays)):
                    return
            generation = self._generation
            try:
                snapshot = self._rest.depth(self.symbol, self._limit)
            except Exception as exc:
                self._last_error = exc
                if not is_retryable(exc):  # the request itself is wrong
                    _log.error("order book %s: snapshot refused: %s", self.symbol, exc)
                    self._failed = exc
                    return
                self._retry_later(retry_delay(exc, delays), f"snapshot failed ({exc})")
                continue
            self._last_error = None
            outcome = self._install(snapshot, generation)
            if outcome == "too old":
                self._retry_later(next(delays), "the snapshot is older than the stream")
            elif outcome == "synced":
                delays = backoff(0.5, 2.0, 30.0)
                if self._on_update is not None:  # on the thread of every other update
                    self._client.call_soon(self._on_update, self)

    def _retry_later(self, delay: float, why: str) -> None:
        _log.warning("order book %s: %s; again in %.1f s", self.symbol, why, delay)
        if not self._stop.wait(delay):
            self._want_snapshot.set()

    def _install(self, snapshot: DepthSnapshot, generation: int) -> str:
        """Start the book from a snapshot and the events kept aside.

        Returns:
            ``"synced"``; ``"too old"`` when the kept events start after the snapshot
            (they stay kept, for a later one); or ``"stale"`` when the snapshot was
            taken before a lost connection, or the book closed meanwhile.
        """
        with self._lock:
            if generation != self._generation or self._stop.is_set():
                return "stale"
            last = snapshot.last_update_id
            kept = [e for e in self._pending if e.update_id is not None and e.update_id >= last]
            if kept and _starts_after(kept[0], last):
                self._pending = collections.deque(kept, maxlen=_MAX_PENDING)
                return "too old"
            self._awaiting = False
            self._bids = dict(snapshot.bids)
            self._asks = dict(snapshot.asks)
            self._update_id = last
            self._first = True
            self._synced.set()
            self._pending = collections.deque(maxlen=_MAX_PENDING)
            for event in kept:
                self._apply(event)
                if not self._synced.is_set():  # a gap among the kept events
                    return "gap"
        _log.info("order book %s: in sync at update %s", self.symbol, self._update_id)
        return "synced"


def _starts_after(event: DepthUpdate, update_id: int) -> bool:
    """Whether updates between ``update_id`` and ``event`` are missing."""
    return event.previous_update_id > update_id
