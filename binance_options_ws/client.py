"""``StreamClient``: subscribe to Binance options streams and receive typed events.

Everything a user calls is here (the one-method-per-stream ``subscribe_*`` methods
in ``_stream_methods.py``, which ``StreamClient`` inherits). The client connects on
the first subscribe, keeps the connection alive in background threads (pings,
reconnects with backoff, a seamless switch to a fresh connection before the
exchange's 24-hour cut, more connections past 200 streams), and hands you events
either on a queue or through callbacks::

    from binance_options_ws import StreamClient

    with StreamClient() as client:
        client.subscribe_index("BTCUSDT")
        for event in client.events(timeout=10):
            print(event.symbol, event.price)

Callbacks run on one dispatcher thread of the client, in arrival order, never on
the thread that reads the socket; a callback that raises is logged, counted and
handed to ``on_error``, and delivery goes on.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import logging
import queue as _queue
import signal
import ssl
import threading
import time
from typing import (
    Any,
    Callable,
    Dict,
    FrozenSet,
    Iterable,
    Iterator,
    List,
    Optional,
    Tuple,
    Type,
    TypeVar,
    Union,
)

from ._connection import DEFAULT_BATCH_DELAY
from ._delivery import CallbackDispatcher, EventQueue
from ._pool import ConnectionFactory, Pool
from ._reporting import Reporter
from ._routing import Router
from ._settings import pool_settings
from ._stream_methods import StreamMethods
from ._timing import Deadline, check_timeout, positive
from .dialects import Dialect, StreamName
from .endpoints import DEFAULT_ENDPOINT, get_endpoint, other_endpoint
from .exceptions import (
    ClientClosedError,
    InvalidArgumentError,
    InvalidArgumentTypeError,
    InvalidStreamError,
    InvalidStreamTypeError,
)
from .models import Event
from .recording import PathLike, Recorder, RecordingOptions
from .status import ClientStats, StateChange, StateListener
from .subscription import E, Subscription

__all__ = ["ClientStats", "StateChange", "StateListener", "StreamClient", "Subscription"]

_log = logging.getLogger("binance_options_ws")
_T = TypeVar("_T")
#: The client's own class in ``with``: ``with replay(path) as client`` is a ReplayClient.
_Client = TypeVar("_Client", bound="StreamClient")
_client_numbers = itertools.count(1)

#: What ``subscribe`` accepts: one stream name or several.
Streams = Union[str, StreamName, Iterable[Union[str, StreamName]]]
#: Seconds a user-facing ``close()`` may take at most.
_CLOSE_BUDGET = 0.9


@contextlib.contextmanager
def _ctrl_c_ignored() -> Iterator[None]:
    """Ignore Ctrl+C while the block runs, on the main thread (elsewhere none arrives)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


class StreamClient(StreamMethods):
    """A connection to Binance's options market streams, run in background threads.

    One method per stream builds the endpoint's name and subscribes it:
    ``subscribe_index``, ``subscribe_kline``, ``subscribe_mark_price``,
    ``subscribe_new_symbols``, ``subscribe_open_interest``, ``subscribe_depth``,
    ``subscribe_ticker``, ``subscribe_ticker_by_expiration``, ``subscribe_trade``,
    and on fstream ``subscribe_book_ticker`` and ``subscribe_diff_depth`` (they are
    written in ``_stream_methods.py``, one layer down); :meth:`subscribe` takes any
    stream names. Events go to :attr:`queue` (:meth:`get`, :meth:`events`) or to
    your callbacks. Each method returns a :class:`Subscription` typed by its events
    (``subscribe_trade`` a ``Subscription[Trade]``, whose callback takes a ``Trade``
    and whose own ``get()`` and ``events()`` give ``Trade`` objects).

    Args:
        base_url: Where to connect; None (the default) means the endpoint's own URL,
            ``wss://nbstream.binance.com/eoptions`` or ``wss://fstream.binance.com``
            (a :class:`~binance_options_ws.testing.FakeExchange`'s ``url`` in tests).
        endpoint: ``"nbstream"`` (the default: the original endpoint, which Binance's
            options WebSocket documentation described until 2025) or ``"fstream"``
            (where Binance moved the options streams in 2026: new stream names,
            lowercase symbols, two URL paths; recommended for live data). The
            subscribe methods and events work the same on both; see the README.
            The name of an endpoint added with
            :func:`binance_options_ws.endpoints.register`, or its ``Dialect``, works
            too.
        queue_size: The most events kept waiting in :attr:`queue`; when full the
            oldest is dropped and counted in ``stats.dropped_events``.
        on_error: Called with every exception a callback raised, and with the
            errors found in bad data from the network.
        on_state: Called with a :class:`StateChange` on every connection change.
        request_timeout: Seconds to wait for the exchange to confirm a request.
        connect_timeout: Seconds allowed to open a connection.
        ping_interval: Seconds between the client's pings.
        stale_timeout: A connection that received nothing at all (no data, no pong)
            for this long is treated as dead and replaced; at least twice
            ``ping_interval``.
        reconnect: Reconnect after an unexpected drop (forever, with backoff).
        max_connection_age: Replace a connection after this many seconds, before the
            exchange cuts it at 24 hours; None never replaces.
        rollover_overlap: Seconds the old and the new connection overlap in a rollover.
        backoff_initial: The first reconnect delay, in seconds.
        backoff_factor: How much the delay grows after each failed attempt.
        backoff_cap: The longest reconnect delay, in seconds.
        max_streams_per_connection: Streams per connection before another one opens
            (None: the endpoint's limit, 200).
        max_messages_per_second: The exchange's limit on messages a connection sends
            (None: the endpoint's limit, 10).
        batch_delay: Seconds a busy connection may hold messages back so that its
            reader wakes up once per several messages instead of once per message:
            when messages come more than about two per ``batch_delay``, the reader
            reads only every ``batch_delay`` seconds (0 to 0.1). That saves 35-40 %
            of the CPU at 2,000 messages a second and half at 10,000, and adds
            at most ``batch_delay`` of latency; sparser messages are read as they
            arrive. 0 reads every message the moment it arrives. The default is
            1.5 ms, or 0 on Windows before Python 3.11, where a wait lasts at least
            a 15.6 ms clock tick (so any other value adds that much there).
        record_to: A directory to record every frame received to (gzip JSON lines,
            see :mod:`binance_options_ws.recording`), to play back later with
            :func:`binance_options_ws.replay`; or
            :class:`~binance_options_ws.recording.RecordingOptions` (uncompressed, or
            another file size); None (the default) records nothing.
        proxy: The proxy to connect through: a URL such as
            ``"http://user:password@10.0.0.1:3128"`` or ``"socks5h://10.0.0.1:1080"``;
            True (the default) takes it from the environment as requests does
            (``HTTPS_PROXY`` for ``wss://``, ``HTTP_PROXY`` for ``ws://``, then
            ``ALL_PROXY``; hosts in ``NO_PROXY`` go direct); None connects directly,
            whatever the environment says.
        ssl_context: The TLS settings of the connection, for a private certificate
            authority or a company proxy that inspects TLS:
            ``ssl.create_default_context(cafile="company-ca.pem")``. None (the
            default) uses the system's authorities. Certificates are always
            verified unless the context you pass says otherwise (then a warning
            is logged).

    Example:
        >>> client = StreamClient()                      # doctest: +SKIP
        >>> client.subscribe_ticker("BTC-261225-100000-C", print)  # doctest: +SKIP
    """

    def __init__(
        self,
        base_url: Optional[str] = None,
        *,
        endpoint: Union[str, Dialect] = DEFAULT_ENDPOINT,
        queue_size: int = 10_000,
        on_error: Optional[Callable[[BaseException], Any]] = None,
        on_state: Optional[Callable[[StateChange], Any]] = None,
        request_timeout: float = 10.0,
        connect_timeout: float = 10.0,
        ping_interval: float = 20.0,
        stale_timeout: float = 60.0,
        reconnect: bool = True,
        max_connection_age: Optional[float] = 23 * 60 * 60,
        rollover_overlap: float = 1.0,
        backoff_initial: float = 0.5,
        backoff_factor: float = 2.0,
        backoff_cap: float = 30.0,
        max_streams_per_connection: Optional[int] = None,
        max_messages_per_second: Optional[int] = None,
        batch_delay: float = DEFAULT_BATCH_DELAY,
        proxy: Union[str, bool, None] = True,
        ssl_context: Optional[ssl.SSLContext] = None,
        record_to: Union[PathLike, RecordingOptions, None] = None,
    ) -> None:
        self._endpoint = get_endpoint(endpoint)
        self._number = next(_client_numbers)
        self._name = f"binance-options-ws-{self._number}"
        self._settings = pool_settings(
            self._endpoint,
            base_url,
            name=self._name,
            queue_size=queue_size,
            on_error=on_error,
            on_state=on_state,
            request_timeout=request_timeout,
            connect_timeout=connect_timeout,
            ping_interval=ping_interval,
            stale_timeout=stale_timeout,
            reconnect=reconnect,
            max_connection_age=max_connection_age,
            rollover_overlap=rollover_overlap,
            backoff_initial=backoff_initial,
            backoff_factor=backoff_factor,
            backoff_cap=backoff_cap,
            max_streams_per_connection=max_streams_per_connection,
            max_messages_per_second=max_messages_per_second,
            batch_delay=batch_delay,
            proxy=proxy,
            ssl_context=ssl_context,
        )
        self._proxy_option: Union[str, bool, None] = None if proxy is False else proxy
        self._lock = threading.RLock()  # protects _pool and _closed
        self._closed = threading.Event()
        self._pool: Optional[Pool] = None
        self._reporter = Reporter(on_error, on_state, self._closed.is_set)
        #: The events of subscriptions without a callback (``get``, ``get_nowait``, ...).
        self.queue: EventQueue[Event] = EventQueue(queue_size, self._reporter.overflow)
        self._dispatcher = CallbackDispatcher(
            f"{self._name}-dispatcher",
            queue_size,
            self._reporter.callback_error,
            self._reporter.overflow,
        )
        self._reporter.attach(self._dispatcher.submit)
        self._router = Router(self._endpoint, self.queue.put, self._dispatcher.submit)
        # The queues of the subscriptions read on their own (Subscription.get), for
        # close() and the drop count; guarded by _lock.
        self._own_queues: List[EventQueue[Any]] = []
        self._queue_of: Dict[Subscription[Any], EventQueue[Any]] = {}
        self._recorder: Optional[Recorder] = None
        if record_to is not None:
            try:
                self._recorder = Recorder(
                    record_to,
                    endpoint=self._endpoint.name,
                    url=self._settings.base_url,
                    name=self._name,
                    on_error=functools.partial(self.call_soon, self._reporter.callback_error),
                )
            except BaseException:
                self._dispatcher.stop(0.5)
                raise

    def __repr__(self) -> str:
        state = "closed" if self.closed else f"{len(self._router.streams())} streams"
        return f"<StreamClient {self._endpoint.name} {self._settings.base_url} ({state})>"

    @property
    def proxy(self) -> Union[str, bool, None]:
        """The ``proxy`` option: a proxy URL, True (from the environment) or None (none).

        Helpers that make requests of their own (``OrderBook``'s snapshots) go the same way.

        Example:
            >>> StreamClient(proxy=None).proxy   # doctest: +SKIP
        """
        return self._proxy_option

    @property
    def ssl_context(self) -> Optional[ssl.SSLContext]:
        """The ``ssl_context`` option (None: the system's certificate authorities).

        Example:
            >>> StreamClient().ssl_context is None   # doctest: +SKIP
            True
        """
        return self._settings.ssl_context

    @property
    def endpoint(self) -> str:
        """The endpoint this client talks to: ``"nbstream"`` or ``"fstream"``."""
        return self._endpoint.name

    @property
    def dialect(self) -> Dialect:
        """The grammar of this client's endpoint: its stream names, paths and limits.

        Example:
            >>> StreamClient(endpoint="fstream").dialect.paths   # doctest: +SKIP
            ('public', 'market')
        """
        return self._endpoint

    # ------------------------------------------------------------------ lifecycle

    def __enter__(self: _Client) -> _Client:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def closed(self) -> bool:
        """True once :meth:`close` has been called."""
        return self._closed.is_set()

    def start(self) -> StreamClient:
        """Connect now rather than on the first subscribe. Returns the client.

        On fstream, whose two URL paths each get a connection only when one of their
        streams is subscribed, this connects nothing yet.

        Example:
            >>> client = StreamClient().start()   # doctest: +SKIP
        """
        self._ensure_pool().start()
        return self

    def close(self) -> None:
        """Close every connection and stop every thread of the client, within a second.

        Safe to call more than once, from any thread, including from a callback.
        Events already in the queue can still be read with :meth:`get`.

        Example:
            >>> client.close()   # doctest: +SKIP
        """
        with self._lock:
            if self._closed.is_set():
                return
            self._closed.set()
            pool = self._pool
        deadline = time.monotonic() + _CLOSE_BUDGET
        alive = pool.close(deadline) if pool is not None else []
        if self._recorder is not None and not self._recorder.close(
            max(0.0, deadline - time.monotonic())
        ):
            alive.append(self._recorder.thread)
        self.queue.close()
        with self._lock:
            own_queues = list(self._own_queues)
        for own in own_queues:
            own.close()
        stopped = self._dispatcher.stop(max(0.0, deadline - time.monotonic()))
        if not stopped and self._dispatcher.thread is not threading.current_thread():
            alive.append(self._dispatcher.thread)
        if alive:
            _log.warning("threads still running after close(): %s", [t.name for t in alive])
        self._reporter.closed()

    def run_forever(self) -> None:
        """Block until the client is closed (by a callback or another thread) or Ctrl+C.

        Ctrl+C closes the client and returns quietly, so a callback-driven script
        can end with ``client.run_forever()``; more Ctrl+C while it closes (within a
        second) are ignored.

        Example:
            >>> client.subscribe_trade("BTC", print)   # doctest: +SKIP
            >>> client.run_forever()                   # doctest: +SKIP
        """
        try:
            while not self._closed.wait(0.5):
                pass
        except KeyboardInterrupt:
            _log.info("interrupted: closing")
            with _ctrl_c_ignored():
                self.close()

    # ------------------------------------------------------------------ receiving

    def get(self, timeout: Optional[float] = None) -> Event:
        """The next event from the queue, whatever its type (the union ``Event``).

        To read events of one type, typed, read their subscription instead
        (``client.subscribe_trade("BTC").get()`` gives a ``Trade``).

        Args:
            timeout: Seconds to wait (a number, 0 or more); None waits until an
                event comes.

        Returns:
            The oldest waiting event.

        Raises:
            queue.Empty: If no event came within ``timeout``.
            ClientClosedError: If the client is closed and the queue is empty (a
                ``close()`` from another thread ends the wait at once).
            InvalidArgumentTypeError: If ``timeout`` is not a number (a ``TypeError``).
            InvalidArgumentError: If ``timeout`` is negative.

        Example:
            >>> event = client.get(timeout=5)   # doctest: +SKIP
        """
        check_timeout("timeout", timeout)
        try:
            return self.queue.get(timeout=timeout)
        except _queue.Empty:
            if self.closed and self.queue.empty():
                raise ClientClosedError("the client is closed and no event is left") from None
            within = "" if timeout is None else f" within {timeout:g} s"
            raise _queue.Empty(f"no event came{within}{self._why_empty()}") from None

    def _why_empty(self) -> str:
        """Why the queue may stay empty, for the message of ``queue.Empty``."""
        if self._router.feeds_the_queue():
            return ""
        if not self._router.streams():
            return (
                ": nothing is subscribed yet (subscribe first, e.g. client.subscribe_trade('BTC'))"
            )
        return (
            ": no subscription delivers to this queue (each has a callback, or is read "
            "on its own with its get() or events())"
        )

    def events(self, timeout: Optional[float] = None) -> Iterator[Event]:
        """Iterate over queued events until the client closes or ``timeout`` runs out.

        Every event is typed as the union ``Event``; narrow it with ``isinstance``,
        or read one subscription's events, typed, with its own ``events()``.

        Args:
            timeout: Stop after this many seconds in total (a number, 0 or more);
                None runs until close.

        Yields:
            Events, oldest first.

        Raises:
            InvalidArgumentTypeError: If ``timeout`` is not a number (a ``TypeError``),
                at the call.
            InvalidArgumentError: If ``timeout`` is negative, at the call.

        Example:
            >>> for event in client.events(timeout=10):   # doctest: +SKIP
            ...     print(event)
        """
        check_timeout("timeout", timeout)
        return self._events(Deadline(timeout))

    def _events(self, deadline: Deadline) -> Iterator[Event]:
        try:
            while True:
                if deadline.expired:
                    return
                try:
                    yield self.queue.get(timeout=deadline.timeout())
                except _queue.Empty:
                    if self.closed:
                        return
        except KeyboardInterrupt:
            self.close()
            raise

    @property
    def stats(self) -> ClientStats:
        """Counters: messages, events, errors, drops, reconnects, rollovers.

        Example:
            >>> client.stats.events   # doctest: +SKIP
            1234
        """
        pool = self._pool
        counts = pool.counters() if pool is not None else {}
        conns = pool.open_connections() if pool is not None else []
        now = time.monotonic()
        return ClientStats(
            messages=counts.get("messages", 0),
            events=counts.get("events", 0),
            parse_errors=counts.get("parse_errors", 0),
            callback_errors=self._dispatcher.errors,
            dropped_events=self.queue.dropped
            + self._dispatcher.dropped
            + sum(own.dropped for own in list(self._own_queues)),
            unrouted_events=self._router.unrouted,
            reconnects=pool.reconnects if pool is not None else 0,
            rollovers=pool.rollovers if pool is not None else 0,
            connections=len(conns),
            last_message_age=tuple(round(now - c.last_received, 3) for c in conns),
        )

    @property
    def recorder(self) -> Optional[Recorder]:
        """What records this client's frames (``record_to``), or None.

        Its ``files``, ``frames``, ``dropped`` and ``error`` say how the recording goes.

        Example:
            >>> client.recorder.files   # doctest: +SKIP
            ['recordings/nbstream-20261202T160000Z-0001.jsonl.gz']
        """
        return self._recorder

    @property
    def subscriptions(self) -> List[str]:
        """The streams this client is subscribed to (as it knows them, without asking).

        Example:
            >>> client.subscriptions   # doctest: +SKIP
            ['BTCUSDT@index']
        """
        return self._router.streams()

    # ------------------------------------------------------------------ following the client

    def add_state_listener(self, listener: StateListener) -> None:
        """Call ``listener`` with a :class:`StateChange` on every change of the connections.

        Like ``on_state``, listeners run on the client's dispatcher thread, in order
        with the events: a ``"disconnected"`` change comes after every event its
        connection delivered. The last change, ``"closed"``, runs on the thread that
        called :meth:`close`. A listener that raises is logged and counted like a
        callback. Helpers built on the client (``OrderBook``) follow it this way.

        Args:
            listener: A function taking one :class:`StateChange`.

        Raises:
            InvalidArgumentError: If ``listener`` is not callable.

        Example:
            >>> client.add_state_listener(lambda change: print(change.state))   # doctest: +SKIP
        """
        if not callable(listener):
            raise InvalidArgumentError(f"listener must be callable, got {listener!r}")
        self._reporter.add_listener(listener)

    def remove_state_listener(self, listener: StateListener) -> None:
        """Stop calling a listener added with :meth:`add_state_listener` (no error if absent).

        Example:
            >>> client.remove_state_listener(my_listener)   # doctest: +SKIP
        """
        self._reporter.remove_listener(listener)

    def call_soon(self, function: Callable[[_T], object], argument: _T) -> None:
        """Run ``function(argument)`` on the client's dispatcher thread, after the events
        already handed to callbacks.

        For helpers built on the client that want their own callbacks to run where
        the event callbacks run, one at a time. What ``function`` raises is logged
        and counted like a callback error; after :meth:`close` nothing runs.

        Example:
            >>> client.call_soon(print, "after the events so far")   # doctest: +SKIP
        """
        if not self.closed:
            self._dispatcher.submit(function, argument)

    # ------------------------------------------------------------------ subscribing

    def subscribe(
        self,
        stream: Streams,
        callback: Optional[Callable[[Event], object]] = None,
        *,
        timeout: Optional[float] = None,
    ) -> Subscription[Event]:
        """Subscribe to one stream name or a list of them.

        Names are checked (and symbols put in the endpoint's case) before anything
        is sent; many names go out together in as few SUBSCRIBE messages as the
        limits allow. Subscribing a stream that is already subscribed only adds the
        callback.

        Args:
            stream: A name such as ``"BTCUSDT@index"`` (or, on fstream,
                ``"btcusdt@optionTrade"``), or a list of names.
            callback: Called with each event on the client's dispatcher thread; None
                sends the events to :attr:`queue`.
            timeout: Seconds to wait for the exchange's confirmation (default
                ``request_timeout``).

        Returns:
            A :class:`Subscription` handle.

        Raises:
            InvalidStreamError: A name is not a valid stream.
            ServerError: The exchange answered with an error.
            RequestTimeoutError: The exchange did not confirm in time.
            ConnectionFailedError: No connection could be opened in time.
            ClientClosedError: The client is closed.

        Example:
            >>> client.subscribe(["BTCUSDT@index", "ETHUSDT@index"])   # doctest: +SKIP
        """
        if isinstance(stream, (str, StreamName)):
            raw: List[Union[str, StreamName]] = [stream]
        elif isinstance(stream, Iterable):
            raw = list(stream)
        else:
            raise InvalidStreamTypeError(
                f"stream must be a stream name or a list of them, got {stream!r}"
            )
        if not raw:
            raise InvalidStreamError("subscribe needs at least one stream name, got an empty list")
        names = tuple(dict.fromkeys(self._parse_stream(name).name for name in raw))
        return self._subscribe_names(names, None, callback, timeout)

    def _subscribe_names(
        self,
        names: Tuple[str, ...],
        event_class: Optional[Type[E]],
        callback: Optional[Callable[[E], object]],
        timeout: Optional[float],
        symbols: Optional[FrozenSet[str]] = None,
    ) -> Subscription[E]:
        if callback is not None and not callable(callback):
            raise InvalidArgumentTypeError(
                f"callback must be a function or None, got {callback!r} ({type(callback).__name__})"
            )
        if timeout is not None:
            check_timeout("timeout", timeout)
            positive("timeout", timeout)
        pool = self._ensure_pool()
        subscription: Subscription[E] = Subscription(
            names,
            callback,
            symbols,
            event_class=event_class,
            cancel=self._cancel,
            is_active=self._is_active,
            own_queue=self._own_queue,
            is_closed=self._closed.is_set,
        )
        self._router.add(subscription)
        try:
            pool.subscribe(names, timeout)
        except BaseException:
            self._router.forget(subscription)
            raise
        return subscription

    def unsubscribe(
        self, stream: Union[Streams, Subscription[Any]], *, timeout: Optional[float] = None
    ) -> None:
        """Unsubscribe a stream (every callback on it), a list of streams, or a Subscription.

        Blocks until the exchange confirms.

        Raises:
            InvalidStreamError: A name is not a valid stream.
            ServerError: The exchange answered with an error.
            RequestTimeoutError: The exchange did not confirm in time.

        Example:
            >>> client.unsubscribe("BTCUSDT@index")   # doctest: +SKIP
        """
        if isinstance(stream, Subscription):
            self._cancel(stream, timeout)
            return
        if isinstance(stream, (str, StreamName)):
            raw: List[Union[str, StreamName]] = [stream]
        elif isinstance(stream, Iterable):
            raw = list(stream)
        else:
            raise InvalidStreamTypeError(
                f"unsubscribe takes a stream name, a list of them or a Subscription, got {stream!r}"
            )
        names = [self._parse_stream(name).name for name in raw]
        self._check_open()
        self._close_own_queues(self._router.forget_streams(names))
        if self._pool is not None:
            self._pool.unsubscribe(names, timeout)

    def list_subscriptions(self, *, timeout: Optional[float] = None) -> List[str]:
        """Ask the exchange which streams this client's connections are subscribed to.

        Example:
            >>> client.list_subscriptions()   # doctest: +SKIP
            ['BTCUSDT@index']
        """
        self._check_open()
        if self._pool is None:
            return []
        return self._pool.list_subscriptions(timeout)

    def set_property(self, name: str, value: bool, *, timeout: Optional[float] = None) -> None:
        """Send the documented SET_PROPERTY request to every connection.

        The only property is ``"combined"``. The client reads each event's stream
        from the combined envelope to route it, so it must stay ``True``.

        Raises:
            InvalidArgumentError: For any other property, or ``combined=False``.

        Example:
            >>> client.set_property("combined", True)   # doctest: +SKIP
        """
        self._check_open()
        if name != "combined":
            raise InvalidArgumentError(f"the only property is 'combined', got {name!r}")
        if value is not True:
            raise InvalidArgumentError(
                f"combined must stay True, got {value!r}: the client tells streams apart by the "
                "combined envelope {'stream': ..., 'data': ...}. To read raw payloads, use "
                "parse_message() on your own connection."
            )
        if self._pool is not None:
            self._pool.call_all("SET_PROPERTY", ["combined", True], timeout)

    def get_property(self, name: str, *, timeout: Optional[float] = None) -> Any:
        """Send the documented GET_PROPERTY request and return the exchange's answer.

        Returns None when no connection is open.

        Example:
            >>> client.get_property("combined")   # doctest: +SKIP
            True
        """
        self._check_open()
        if name != "combined":
            raise InvalidArgumentError(f"the only property is 'combined', got {name!r}")
        if self._pool is None:
            return None
        results = self._pool.call_all("GET_PROPERTY", [name], timeout)
        return results[0] if results else None

    # ------------------------------------------------------------------ internals

    def _parse_stream(self, name: Union[str, StreamName]) -> StreamName:
        """Check a name on this client's endpoint; a name of the other one says so.

        A :class:`StreamName` is read again from its text: one built by another
        endpoint's builders must not slip through to a server that stays silent.
        """
        text = name.name if isinstance(name, StreamName) else name
        try:
            return self._endpoint.parse_stream(text)
        except InvalidStreamError:
            found = other_endpoint(text, self._endpoint) if isinstance(text, str) else None
            if found is None:
                raise
        here = self._endpoint.name
        instead = f"; on {here} it is {found.name!r}" if found.name else f" ({found.problem})"
        raise InvalidStreamError(
            f"{text!r} is a stream of the {found.endpoint} endpoint, not of {here}{instead}; "
            f"or create the client with StreamClient(endpoint={found.endpoint!r})"
        ) from None

    def _check_open(self) -> None:
        if self._closed.is_set():
            raise ClientClosedError(
                "this StreamClient is closed; create a new one (tip: `with StreamClient() as c:`)"
            )

    def _ensure_pool(self) -> Pool:
        with self._lock:
            self._check_open()
            if self._pool is None:
                self._pool = Pool(
                    self._settings,
                    self._router.deliver,
                    self._reporter.state,
                    self._reporter.problem,
                    connection_factory=self._connection_factory(),
                    tap=self._recorder.add if self._recorder is not None else None,
                )
            return self._pool

    def _connection_factory(self) -> Optional[ConnectionFactory]:
        """Where the pool's connections come from: None for sockets to ``base_url``.

        The hook a subclass overrides to feed the same pool, parser and routing from
        elsewhere (:class:`binance_options_ws.playback.ReplayClient` plays a recording).
        """
        return None

    def _queues(self) -> List[EventQueue[Any]]:
        """Every queue events may wait in: :attr:`queue` and the subscriptions' own.

        For a subclass that must not overfill them
        (:class:`binance_options_ws.playback.ReplayClient` at ``speed=None``).
        """
        with self._lock:
            return [self.queue, *self._own_queues]

    def _is_active(self, subscription: Subscription[Any]) -> bool:
        return not self.closed and self._router.is_live(subscription)

    def _own_queue(self, subscription: Subscription[Any]) -> EventQueue[Any]:
        """Give ``subscription`` a queue of its own (its first ``get`` or ``events``)."""
        own: EventQueue[Any] = EventQueue(self.queue.maxsize, self._reporter.overflow)
        with self._lock:
            self._own_queues.append(own)
            self._queue_of[subscription] = own
            if self.closed or not self._router.is_live(subscription):
                own.close()  # nothing will come: a reader finds it ended at once
            else:
                self._router.set_queue(subscription, own, self.queue)
        return own

    def _close_own_queues(self, ended: Iterable[Subscription[Any]]) -> None:
        """Wake the readers of ended subscriptions; their queues' events stay readable."""
        with self._lock:
            for sub in ended:
                own = self._queue_of.pop(sub, None)
                if own is not None:
                    own.close()

    def _cancel(self, subscription: Subscription[Any], timeout: Optional[float]) -> None:
        """End one subscription (what ``Subscription.unsubscribe`` does)."""
        if not self._router.is_live(subscription) or self.closed:
            self._router.forget(subscription)
            self._close_own_queues([subscription])
            return
        unused = self._router.forget(subscription)
        self._close_own_queues([subscription])
        if unused and self._pool is not None:
            self._pool.unsubscribe(unused, timeout)
