"""A fake Binance options stream exchange: a real WebSocket server on 127.0.0.1.

:class:`FakeExchange` serves both stream endpoints at once, told apart by the path:

* the documented ``wss://nbstream.binance.com/eoptions``: raw ``/ws/<stream>``
  and combined ``/stream?streams=<a>/<b>`` connections, uppercase names
  (``BTCUSDT@index``);
* the 2026 ``wss://fstream.binance.com``: the same paths under ``/public`` (trades,
  tickers, book ticker, depth) and ``/market`` (index, mark price, kline, open
  interest, new symbols), lowercase names (``btcusdt@optionMarkPrice``);
* and, over plain HTTP, the REST order book ``GET /eapi/v1/depth`` that a local
  order book starts from.

It speaks the protocol of both: live control messages with their exact replies
and errors, the stream and message-rate limits, server pings and the pong
deadline, the connection lifetime. Data comes from :meth:`FakeExchange.publish`
or from an attached market (see :class:`~binance_options_ws.testing.SyntheticMarket`),
and every fault a client must survive can be injected while clients are connected.

The server runs a private asyncio event loop in one daemon thread named
``binance-options-ws-fake-exchange``; every public method is a plain, thread-safe
call. It needs the ``websockets`` library (``pip install binance-options-ws[testing]``).

Example:
    >>> import json, websocket
    >>> with FakeExchange() as exchange:
    ...     ws = websocket.create_connection(exchange.url + "/ws/BTCUSDT@index", timeout=5)
    ...     exchange.wait_until(lambda: exchange.connection_count == 1)
    ...     exchange.publish("BTCUSDT@index", {"e": "index", "s": "BTCUSDT", "p": "65000"})
    ...     json.loads(ws.recv())["p"]
    ...     ws.close()
    1
    '65000'
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import threading
import time
from types import TracebackType
from typing import Any, Callable, FrozenSet, List, Optional, Set, Type, TypeVar, Union

import attrs
from websockets.asyncio.server import serve

from ._control import MALFORMED_KINDS, malformed_message
from ._engine import REFUSAL_BODIES, _Engine, _Settings
from ._records import ConnectionInfo, ControlMessage, IncomingFrame, MarketFeed
from ._session import _connection_class, _FakeConnection

__all__ = ["ConnectionInfo", "ControlMessage", "FakeExchange", "IncomingFrame", "MarketFeed"]

_log = logging.getLogger("binance_options_ws.testing")
_T = TypeVar("_T")

_THREAD_NAME = "binance-options-ws-fake-exchange"
_CLOSE_TIMEOUT = 1.0  # how long a close handshake may take before the socket is aborted
_CALL_TIMEOUT = 5.0  # how long a public method waits for the event loop
_CLOSE_CODES = frozenset((1000, 1001, 1002, 1003, *range(1007, 1015), *range(3000, 5000)))


@attrs.define
class _Runtime:
    """One run of the server, from start() to stop(): its thread, loop and server."""

    thread: Optional[threading.Thread] = None
    ready: threading.Event = attrs.Factory(threading.Event)
    loop: Optional[asyncio.AbstractEventLoop] = None
    stop_event: Optional[asyncio.Event] = None
    port: int = 0
    error: Optional[BaseException] = None
    connections: Set[_FakeConnection] = attrs.Factory(set)
    resume_handle: Optional[asyncio.TimerHandle] = None


def _seconds(value: Optional[float], name: str) -> Optional[float]:
    if value is not None and not value > 0:
        raise ValueError(f"{name} must be a positive number of seconds or None, got {value!r}")
    return value


class FakeExchange:
    """A local server that behaves like Binance's options stream endpoints.

    Both endpoints are served at once; the path of a connection says which
    (append it to :attr:`url`):

    * nbstream, the documented endpoint: ``/ws``, ``/ws/<stream>``, ``/stream`` and
      ``/stream?streams=<a>/<b>``, with uppercase names such as ``BTCUSDT@index``;
    * fstream, the 2026 endpoint: the same paths under ``/public`` (trades,
      tickers, book ticker, depth: ``btc-261225-100000-c@optionTrade``) and under
      ``/market`` (index, mark price, kline, open interest, new symbols:
      ``!index@arr``), with lowercase names.

    So ``StreamClient(exchange.url, endpoint="fstream")`` connects to
    ``exchange.url + "/public/stream"`` and ``+ "/market/stream"``. Any other path
    is refused with HTTP 404; a path naming a stream that the endpoint's
    ``parse_stream`` (:func:`binance_options_ws.streams.parse_stream` or
    :func:`binance_options_ws.fstream.parse_stream`) cannot read, a stream of the
    other fstream path, or more than ``max_streams_per_connection`` streams, with
    HTTP 400. Control messages get the documented replies and error payloads.
    :attr:`connections` tells each connection's ``endpoint`` and ``url_path``.

    :attr:`rest_url` serves ``GET /eapi/v1/depth?symbol=<SYMBOL>&limit=<N>`` over
    plain HTTP: the attached market's order book as
    ``{"bids": [["price", "qty"], ...], "asks": [...], "T": ms, "lastUpdateId": id}``,
    consistent with the ``<symbol>@depth@<speed>`` diff stream. ``limit`` is one
    of 10, 20, 50, 100 (the default), 500, 1000, else HTTP 400 with code -1100;
    a symbol the market does not list gets HTTP 400 ``{"code": -1121, "msg":
    "Invalid symbol."}``.

    Choices where the documentation is silent:

    * Stream names are exact strings: ``btcusdt@index`` (nbstream) or
      ``BTC-261225-100000-C@optionTicker`` (fstream) is accepted and receives
      nothing, since data is published under ``BTCUSDT@index`` and
      ``btc-261225-100000-c@optionTicker``. A SUBSCRIBE naming something that the
      endpoint's ``parse_stream`` cannot read gets ``{"code": 2, "msg": "Invalid
      request: invalid stream name `<name>`"}``; one that would go over
      ``max_streams_per_connection`` gets code 2 ``Invalid request: too many
      streams: ...``; either changes nothing. UNSUBSCRIBE accepts any string.
      Subscribing twice keeps one entry.
    * On fstream, a SUBSCRIBE naming a stream of the other path gets code 2
      ``Invalid request: stream `!index@arr` is served on /market, not /public``
      and changes nothing (the real server's answer is not documented).
    * Data published by the market goes only to connections of the endpoint
      whose exact spelling the name is (see above); :meth:`publish` sends to
      every connection subscribed to the exact name, on either endpoint.
    * Missing ``params`` means an empty list; ``params`` that is not a list is
      code 2. ``too many parameters`` is LIST_SUBSCRIPTIONS with any params,
      GET_PROPERTY with more than one, SET_PROPERTY with more than two.
    * Method and property names are case-sensitive; unknown top-level keys are
      ignored; keys are checked in the order sent, so the first bad one gives the
      error; column numbers in messages are approximate. Error replies carry
      ``"id"`` whenever the request had a valid one.
    * The server pings every ``ping_interval`` seconds and closes (code 1011) a
      connection from which no pong (solicited or not) arrived in the last
      ``pong_timeout`` seconds, counted from the open.
    * Text, binary, ping and pong frames all count towards
      ``max_messages_per_second``; going over it in any 1-second window closes the
      connection with code 1008 and nothing more is answered on it.
    * A connection reaching ``max_connection_age`` is closed with code 1001.
    * Binary frames from clients are logged and otherwise ignored.
    * Compression (permessage-deflate) is not offered.
    * Limits, pings and faults are the same on every path. The REST route is
      not affected by :meth:`refuse_connections`, which refuses WebSocket
      handshakes only.
    * The REST book has at most 20 levels a side and accepts the symbol in any
      case; it is the book of the diff-depth stream: for the first diff event
      after it, ``U <= lastUpdateId + 1 <= u``. Without a market that has a
      ``depth_snapshot`` method every symbol is unknown.

    Args:
        host: The interface to listen on.
        port: The port; 0 picks a free one (so tests can run in parallel).
        market: None or False for no data but what :meth:`publish` sends; True for
            ``SyntheticMarket(seed=0)``; or any object with a ``poll`` method (a
            :class:`MarketFeed`), polled every ``market_poll_interval`` seconds.
            It serves both endpoints, and the REST route if it has a
            ``depth_snapshot`` method.
        max_streams_per_connection: Streams one connection may listen to (None: no limit).
        max_messages_per_second: Incoming messages allowed in any 1-second window
            (None: no limit).
        ping_interval: Seconds between server pings (None: never ping).
        pong_timeout: Seconds without a pong after which a connection is closed
            (None: never). Keep it longer than ``ping_interval``.
        max_connection_age: Seconds after which a connection is closed (None: never).
        market_poll_interval: Seconds between two polls of the market.

    Raises:
        ValueError: If a limit or interval is not positive.

    Example:
        >>> with FakeExchange(ping_interval=0.2, pong_timeout=0.5) as exchange:
        ...     print(exchange.url)  # doctest: +ELLIPSIS
        ws://127.0.0.1:...
        >>> with FakeExchange(market=True) as exchange:  # doctest: +SKIP
        ...     ws = websocket.create_connection(exchange.url + "/market/ws/!index@arr")
        ...     [item["e"] for item in json.loads(ws.recv())]
        ['indexPrice', 'indexPrice']
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        market: Union[bool, MarketFeed, None] = None,
        max_streams_per_connection: Optional[int] = 200,
        max_messages_per_second: Optional[int] = 10,
        ping_interval: Optional[float] = 300.0,
        pong_timeout: Optional[float] = 900.0,
        max_connection_age: Optional[float] = 86400.0,
        market_poll_interval: float = 0.02,
    ) -> None:
        for name, limit in (
            ("max_streams_per_connection", max_streams_per_connection),
            ("max_messages_per_second", max_messages_per_second),
        ):
            if limit is not None and (isinstance(limit, bool) or not limit > 0):
                raise ValueError(f"{name} must be a positive integer or None, got {limit!r}")
        poll_interval = _seconds(market_poll_interval, "market_poll_interval")
        assert poll_interval is not None
        self._host = host
        self._port = port
        self._engine = _Engine(
            _Settings(
                max_streams=max_streams_per_connection,
                max_rate=max_messages_per_second,
                ping_interval=_seconds(ping_interval, "ping_interval"),
                pong_timeout=_seconds(pong_timeout, "pong_timeout"),
                max_age=_seconds(max_connection_age, "max_connection_age"),
                poll_interval=poll_interval,
            )
        )
        if market is True:
            from .market import SyntheticMarket

            self._market: Optional[MarketFeed] = SyntheticMarket(seed=0)
        elif market is None or market is False:
            self._market = None
        else:
            self._market = market
        self._engine.market = self._market

        # Guards start/stop and self._runtime.
        self._lifecycle = threading.Lock()
        self._runtime: Optional[_Runtime] = None

    # ------------------------------------------------------------------
    # Lifecycle
    # ------------------------------------------------------------------

    def start(self) -> FakeExchange:
        """Start serving in a background thread; return once the port is bound.

        Calling it on a running exchange does nothing. A stopped exchange can be
        started again: it listens on the same port, so clients that reconnect to
        :attr:`url` find it back (connection ids keep increasing, logs are kept).

        Returns:
            The exchange itself.

        Raises:
            OSError: If the port cannot be bound.

        Example:
            >>> exchange = FakeExchange().start()
            >>> exchange.stop()
        """
        with self._lifecycle:
            if self._runtime is not None:
                return self
            runtime = _Runtime()
            thread = threading.Thread(
                target=self._run, args=(runtime,), name=_THREAD_NAME, daemon=True
            )
            runtime.thread = thread
            thread.start()
            runtime.ready.wait()
            if runtime.error is not None:
                thread.join()
                raise runtime.error
            self._port = runtime.port
            self._runtime = runtime
        return self

    def stop(self) -> None:
        """Close every connection (code 1001) and stop the server thread.

        Idempotent, returns within a second and leaves no thread behind (unless
        called from inside the exchange's own thread, e.g. from a market's
        ``poll``, where it only asks the thread to finish).

        Example:
            >>> exchange = FakeExchange().start()
            >>> exchange.stop(); exchange.stop()
        """
        with self._lifecycle:
            runtime, self._runtime = self._runtime, None
        if runtime is None:
            return
        assert runtime.loop is not None
        assert runtime.stop_event is not None
        with contextlib.suppress(RuntimeError):  # the loop already ended
            runtime.loop.call_soon_threadsafe(runtime.stop_event.set)
        if runtime.thread is not None and threading.current_thread() is not runtime.thread:
            runtime.thread.join(timeout=5.0)

    def __enter__(self) -> FakeExchange:
        return self.start()

    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        traceback: Optional[TracebackType],
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "running" if self._runtime is not None else "stopped"
        return f"<FakeExchange {state} on {self._host}:{self._port}>"

    # ------------------------------------------------------------------
    # What the exchange looks like from a test
    # ------------------------------------------------------------------

    @property
    def url(self) -> str:
        """The base URL of both endpoints: ``ws://127.0.0.1:<port>``.

        It stands for ``wss://nbstream.binance.com/eoptions`` (append ``/ws/<stream>``,
        ``/ws``, ``/stream`` or ``/stream?streams=<a>/<b>``) and for
        ``wss://fstream.binance.com`` (append the same after ``/public`` or ``/market``).

        Raises:
            RuntimeError: If the port is not known yet (port 0, never started).

        Example:
            >>> websocket.create_connection(exchange.url + "/stream")  # doctest: +SKIP
        """
        if self._port == 0:
            raise RuntimeError("the exchange picks its port when it starts: call start() first")
        return f"ws://{self._host}:{self._port}"

    @property
    def rest_url(self) -> str:
        """The base URL of the REST route: ``http://127.0.0.1:<port>``.

        Append ``/eapi/v1/depth?symbol=<SYMBOL>&limit=<N>``.

        Raises:
            RuntimeError: If the port is not known yet (port 0, never started).

        Example:
            >>> requests.get(exchange.rest_url + "/eapi/v1/depth",  # doctest: +SKIP
            ...              params={"symbol": "BTC-261225-100000-C"}).json()["lastUpdateId"]
            1234
        """
        return "http" + self.url[len("ws") :]

    @property
    def port(self) -> int:
        """The TCP port (0 until a port-0 exchange has started)."""
        return self._port

    @property
    def market(self) -> Optional[MarketFeed]:
        """The attached market, or None."""
        return self._market

    @property
    def connections(self) -> List[ConnectionInfo]:
        """Snapshots of the open connections, oldest first.

        A connection leaves this list as soon as the exchange starts closing it.

        Example:
            >>> [c.subscriptions for c in exchange.connections]  # doctest: +SKIP
            [('BTCUSDT@index',)]
        """
        return self._engine.snapshots()

    @property
    def connection_count(self) -> int:
        """How many connections are open.

        Example:
            >>> exchange.wait_until(lambda: exchange.connection_count == 2)  # doctest: +SKIP
        """
        return len(self._engine.open_sessions())

    @property
    def subscriptions(self) -> FrozenSet[str]:
        """The union of the open connections' subscriptions (exact strings).

        Example:
            >>> "BTCUSDT@index" in exchange.subscriptions  # doctest: +SKIP
            True
        """
        return self._engine.union()

    @property
    def control_log(self) -> List[ControlMessage]:
        """Every text message received, oldest first (the last 100,000).

        Example:
            >>> exchange.control_log[-1].message["method"]  # doctest: +SKIP
            'SUBSCRIBE'
        """
        with self._engine.lock:
            return list(self._engine.control_log)

    @property
    def incoming_log(self) -> List[IncomingFrame]:
        """Every frame received (text, binary, ping, pong, close), oldest first.

        Example:
            >>> [f.kind for f in exchange.incoming_log]  # doctest: +SKIP
            ['text', 'pong', 'close']
        """
        with self._engine.lock:
            return list(self._engine.incoming_log)

    def clear_logs(self) -> None:
        """Empty :attr:`control_log` and :attr:`incoming_log`.

        Example:
            >>> exchange.clear_logs(); exchange.control_log  # doctest: +SKIP
            []
        """
        with self._engine.lock:
            self._engine.control_log.clear()
            self._engine.incoming_log.clear()

    def wait_until(
        self, predicate: Callable[[], bool], timeout: float = 5.0, message: str = ""
    ) -> None:
        """Poll ``predicate`` until it is true, for tests.

        Args:
            predicate: A function of no arguments.
            timeout: Seconds to wait.
            message: What is awaited, for the error.

        Raises:
            AssertionError: If ``predicate`` is still false after ``timeout`` seconds.

        Example:
            >>> exchange.wait_until(lambda: exchange.connection_count == 1)  # doctest: +SKIP
        """
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() >= deadline:
                what = message or getattr(predicate, "__name__", "the condition")
                raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
            time.sleep(0.01)

    # ------------------------------------------------------------------
    # Data
    # ------------------------------------------------------------------

    def publish(self, stream: str, payload: Any) -> int:
        """Send ``payload`` to every connection subscribed to ``stream``.

        The payload is encoded to JSON once, and wrapped as
        ``{"stream": ..., "data": ...}`` once, for the connections whose
        ``combined`` property is true. Stalled connections get nothing.

        Either endpoint: whoever subscribed to exactly this name gets it.

        Args:
            stream: The exact stream name, e.g. ``"BTCUSDT@index"`` or ``"!index@arr"``.
            payload: The JSON-ready data (a dict, or a list for array streams).

        Returns:
            How many connections it was sent to.

        Raises:
            RuntimeError: If the exchange is not running.
            TypeError: If the payload cannot be encoded to JSON.

        Example:
            >>> exchange.publish("BTCUSDT@index", {"e": "index", "p": "1"})  # doctest: +SKIP
            1
        """
        runtime = self._require_runtime()
        deliveries = self._engine.prepare(stream, payload)
        if deliveries:
            self._post_to_loop(runtime, self._engine.deliver, deliveries)
        return len(deliveries)

    def send_raw(self, data: Union[str, bytes], connection_id: Optional[int] = None) -> int:
        """Send a frame as is: ``str`` as a text frame, ``bytes`` as a binary frame.

        On a stalled connection the frame waits for :meth:`resume`.

        Args:
            data: The frame's content.
            connection_id: One connection's id, or None for every open connection.

        Returns:
            How many connections it was sent to.

        Raises:
            TypeError: If ``data`` is neither ``str`` nor ``bytes``.
            ValueError: If no open connection has ``connection_id``.

        Example:
            >>> exchange.send_raw('{"e":"index","s":"BTCUSDT","p":"oops"}')  # doctest: +SKIP
            1
        """
        if not isinstance(data, (str, bytes, bytearray)):
            raise TypeError(f"data must be str or bytes, got {type(data).__name__}")
        frame: Union[str, bytes] = data if isinstance(data, str) else bytes(data)
        runtime = self._require_runtime()
        return self._call_in_loop(runtime, self._engine.send_each, connection_id, lambda _: frame)

    def send_malformed(self, kind: str, connection_id: Optional[int] = None) -> int:
        """Send a frame the real endpoint never sends, to test how a client copes.

        Kinds: ``"not_json"`` (an HTML error page's text), ``"truncated_json"`` (the
        first half of an index event), ``"unknown_event"`` (valid JSON with event
        type ``"futureEvent"``), ``"binary"`` (a binary frame; the endpoint only
        sends text) and ``"empty_array"`` (``[]``). The JSON ones are wrapped on
        combined connections, with stream names of the connection's endpoint.

        Args:
            kind: One of the kinds above.
            connection_id: One connection's id, or None for every open connection.

        Returns:
            How many connections it was sent to.

        Raises:
            ValueError: If ``kind`` is unknown (the message lists the valid kinds) or
                no open connection has ``connection_id``.

        Example:
            >>> exchange.send_malformed("truncated_json")  # doctest: +SKIP
            1
        """
        if kind not in MALFORMED_KINDS:
            raise ValueError(
                f"unknown malformed kind {kind!r}; valid kinds are {', '.join(MALFORMED_KINDS)}"
            )
        now_ms = int(time.time() * 1000)
        runtime = self._require_runtime()
        return self._call_in_loop(
            runtime,
            self._engine.send_each,
            connection_id,
            lambda session: malformed_message(
                kind, session.state.combined, now_ms, session.endpoint
            ),
        )

    # ------------------------------------------------------------------
    # Faults
    # ------------------------------------------------------------------

    def drop_connections(self) -> None:
        """Abort every TCP connection at once, without a close frame.

        Connections still in their opening handshake are aborted too.

        Example:
            >>> exchange.drop_connections()  # doctest: +SKIP
        """
        runtime = self._require_runtime()
        self._call_in_loop(runtime, self._engine.drop, runtime.connections)

    def close_connections(self, code: int = 1001, reason: str = "going away") -> None:
        """Start the closing handshake on every open connection, stalled ones included.

        Returns once the close frames are written; the handshakes finish in the
        background (a client that does not answer is aborted after a second).

        Args:
            code: The close code, e.g. 1001 (going away) or 1012 (service restart).
            reason: The close reason, at most 123 bytes of UTF-8.

        Raises:
            ValueError: If ``code`` cannot be sent in a close frame or ``reason`` is too long.

        Example:
            >>> exchange.close_connections(1012, "service restart")  # doctest: +SKIP
        """
        if code not in _CLOSE_CODES:
            raise ValueError(f"close code must be 1000-1003, 1007-1014 or 3000-4999, got {code!r}")
        if len(reason.encode()) > 123:
            raise ValueError("the close reason must be at most 123 bytes of UTF-8")
        runtime = self._require_runtime()
        assert runtime.loop is not None
        if threading.current_thread() is runtime.thread:
            self._engine.close_all(code, reason)
            return
        closing = self._engine.close_all_written(code, reason)
        asyncio.run_coroutine_threadsafe(closing, runtime.loop).result(timeout=_CALL_TIMEOUT)

    def stall(self, seconds: Optional[float] = None) -> None:
        """Go silent on every open connection, with the sockets left open.

        A stalled connection gets nothing (no data, pings, control replies or pongs)
        and nothing it sends is read, so its pings go unanswered, until
        :meth:`resume`. Data published meanwhile is lost for it, as with a frozen
        server; replies owed from before are sent on resume, and its pong deadline
        starts afresh. Connections opened during a stall are served normally, as a
        reconnect would reach a healthy server. What a client sent during the stall
        is read on resume and does not count towards the rate limit.

        Args:
            seconds: Resume by itself after this many seconds; None waits for
                :meth:`resume`.

        Raises:
            ValueError: If ``seconds`` is not positive.

        Example:
            >>> exchange.stall(2.0)  # doctest: +SKIP
        """
        _seconds(seconds, "seconds")
        runtime = self._require_runtime()
        self._call_in_loop(runtime, self._stall_in_loop, runtime, seconds)

    def resume(self) -> None:
        """End a :meth:`stall`: read and send again. Does nothing if not stalled.

        Example:
            >>> exchange.resume()  # doctest: +SKIP
        """
        runtime = self._require_runtime()
        self._call_in_loop(runtime, self._resume_in_loop, runtime)

    def refuse_connections(
        self, seconds: float, status: int = 429, retry_after: Optional[float] = None
    ) -> None:
        """Answer new handshakes with an HTTP error for ``seconds`` seconds.

        Open connections are not touched. The body is a JSON error shaped like
        Binance's REST errors. ``seconds <= 0`` stops refusing. It can be set
        before :meth:`start`.

        Args:
            seconds: How long to refuse.
            status: 429 (too many requests), 418 (IP banned) or 503 (unavailable).
            retry_after: Value of the ``Retry-After`` header, or None for no header.
                Whole numbers are written as integers (as Binance does); fractions
                as decimals (``"0.5"``), which strict HTTP parsers may reject.

        Raises:
            ValueError: If ``status`` is not 429, 418 or 503, or ``retry_after`` < 0.

        Example:
            >>> exchange.refuse_connections(5.0, status=429, retry_after=1)  # doctest: +SKIP
        """
        if status not in REFUSAL_BODIES:
            raise ValueError(f"status must be 429, 418 or 503, got {status!r}")
        if retry_after is not None and not retry_after >= 0:
            raise ValueError(f"retry_after must be >= 0 or None, got {retry_after!r}")
        with self._engine.lock:
            if seconds > 0:
                self._engine.refusal = (time.monotonic() + seconds, status, retry_after)
            else:
                self._engine.refusal = None

    def delay_control_replies(self, seconds: float) -> None:
        """Hold every later control reply for ``seconds`` before sending it; 0 turns it off.

        Data keeps flowing meanwhile, so a client may see data of a new
        subscription before the reply to its SUBSCRIBE.

        Raises:
            ValueError: If ``seconds`` is negative.

        Example:
            >>> exchange.delay_control_replies(0.5)  # doctest: +SKIP
        """
        if not seconds >= 0:
            raise ValueError(f"seconds must be >= 0, got {seconds!r}")
        with self._engine.lock:
            self._engine.reply_delay = float(seconds)

    def skip_depth_updates(self, symbol: str, count: int = 1) -> None:
        """Lose the next ``count`` diff-depth events of ``symbol``: a gap in the stream.

        The market computes those ``<symbol>@depth@<speed>`` events but does not
        send them, so the next event a client sees has a ``pu`` that is not the
        ``u`` of the last one it got, as after a lost message. The count is shared
        by the symbol's diff streams and waits for one if none is subscribed yet.

        Args:
            symbol: The option symbol, any case, e.g. ``"BTC-261225-100000-C"``.
            count: How many events to lose.

        Raises:
            RuntimeError: If the exchange is not running, or its market cannot skip
                (it has no ``skip_depth_updates`` method).
            ValueError: If the market does not list ``symbol`` or ``count`` is not
                a positive integer.

        Example:
            >>> exchange.skip_depth_updates("BTC-261225-100000-C")  # doctest: +SKIP
        """
        skip = getattr(self._market, "skip_depth_updates", None)
        if skip is None:
            raise RuntimeError("skip_depth_updates needs a market that can skip (SyntheticMarket)")
        runtime = self._require_runtime()
        self._call_in_loop(runtime, skip, symbol, count)

    # ------------------------------------------------------------------
    # Plumbing
    # ------------------------------------------------------------------

    def _require_runtime(self) -> _Runtime:
        runtime = self._runtime
        if runtime is None:
            raise RuntimeError("the exchange is not running: call start() first")
        return runtime

    def _call_in_loop(self, runtime: _Runtime, func: Callable[..., _T], *args: Any) -> _T:
        """Run ``func(*args)`` on the loop thread and return (or raise) what it does."""
        if threading.current_thread() is runtime.thread:
            return func(*args)
        future: concurrent.futures.Future[_T] = concurrent.futures.Future()

        def call() -> None:
            try:
                future.set_result(func(*args))
            except BaseException as exc:  # handed to the calling thread
                future.set_exception(exc)

        self._post_to_loop(runtime, call)
        return future.result(timeout=_CALL_TIMEOUT)

    def _post_to_loop(self, runtime: _Runtime, func: Callable[..., None], *args: Any) -> None:
        """Schedule ``func(*args)`` on the loop thread (run it now if this is that thread)."""
        assert runtime.loop is not None
        if threading.current_thread() is runtime.thread:
            func(*args)
            return
        try:
            runtime.loop.call_soon_threadsafe(func, *args)
        except RuntimeError:  # the loop is closed: stop() ran meanwhile
            raise RuntimeError("the exchange is not running: call start() first") from None

    def _stall_in_loop(self, runtime: _Runtime, seconds: Optional[float]) -> None:
        assert runtime.loop is not None
        if runtime.resume_handle is not None:
            runtime.resume_handle.cancel()
            runtime.resume_handle = None
        self._engine.pause()
        if seconds is not None:
            runtime.resume_handle = runtime.loop.call_later(seconds, self._resume_in_loop, runtime)

    def _resume_in_loop(self, runtime: _Runtime) -> None:
        if runtime.resume_handle is not None:
            runtime.resume_handle.cancel()
            runtime.resume_handle = None
        self._engine.unpause()

    def _run(self, runtime: _Runtime) -> None:
        """The thread's body: run the event loop until stop(), then tidy it away."""
        loop = asyncio.new_event_loop()
        runtime.loop = loop
        try:
            loop.run_until_complete(self._main(runtime))
        except BaseException as exc:
            if runtime.ready.is_set():
                _log.error("the fake exchange's event loop failed", exc_info=True)
            else:  # start() re-raises it
                runtime.error = exc
        finally:
            try:
                tasks = asyncio.all_tasks(loop)
                for task in tasks:
                    task.cancel()
                if tasks:
                    loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
                loop.run_until_complete(loop.shutdown_asyncgens())
                loop.run_until_complete(loop.shutdown_default_executor())
            finally:
                loop.close()
                runtime.ready.set()

    async def _main(self, runtime: _Runtime) -> None:
        runtime.stop_event = asyncio.Event()
        server = await serve(
            self._engine.handle,
            self._host,
            self._port,
            process_request=self._engine.process_request,
            create_connection=_connection_class(runtime.connections),
            compression=None,
            ping_interval=None,  # the engine pings by itself, see _Engine._watch()
            ping_timeout=None,
            close_timeout=_CLOSE_TIMEOUT,
            logger=_log,
        )
        runtime.port = server.sockets[0].getsockname()[1]
        feed = None
        if self._market is not None:
            feed = asyncio.ensure_future(self._engine.feed(self._market))
        runtime.ready.set()
        try:
            await runtime.stop_event.wait()
        finally:
            if feed is not None:
                feed.cancel()
            await self._engine.shut_down(server, runtime.connections)
