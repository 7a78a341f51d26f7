"""A fake Binance options stream exchange: a real WebSocket server on 127.0.0.1.

:class:`FakeExchange` serves both stream endpoints at once, told apart by the path:

* the documented ``wss://nbstream.binance.com/eoptions``: raw ``/ws/<stream>``
  and combined ``/stream?streams=<a>/<b>`` connections, uppercase names
  (``BTCUSDT@index``);
* the 2026 ``wss://fstream.binance.com``: the same paths under ``/public`` (trades,
  tickers, book ticker, depth) and ``/market`` (index, mark price, kline, open
  interest, new symbols), lowercase names (``btcusdt@optionMarkPrice``);
* any other endpoint registered in :data:`binance_options_ws.endpoints.ENDPOINTS`
  (a test's toy dialect, say), under ``/<path>`` for each of its paths;
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

import logging
import ssl
import threading
from types import TracebackType
from typing import Any, Callable, FrozenSet, List, Optional, Type, Union

# The testing extra: this is the module a missing websockets library must stop, with
# the hint of binance_options_ws.testing, whatever else is already imported.
import websockets  # noqa: F401

from ._engine import Engine, Settings
from ._faults import FaultInjection, check_seconds
from ._records import ConnectionInfo, ControlMessage, IncomingFrame, MarketFeed
from ._runtime import Runtime
from .waiting import wait_for

__all__ = ["ConnectionInfo", "ControlMessage", "FakeExchange", "IncomingFrame", "MarketFeed"]

_log = logging.getLogger("binance_options_ws.testing")


class FakeExchange(FaultInjection):
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
    ``exchange.url + "/public/stream"`` and ``+ "/market/stream"``. Every endpoint
    of the registry :data:`binance_options_ws.endpoints.ENDPOINTS`, read when a
    connection opens, is served the same way: a dialect whose ``paths`` are
    names under ``/<path>/ws`` and ``/<path>/stream``, the one whose paths are
    ``("",)`` at ``/ws`` and ``/stream``. Any other path is refused with HTTP 404;
    a path naming a stream that the endpoint dialect's ``parse_stream`` cannot
    read, a stream its ``route`` puts on another of its paths, or more than
    ``max_streams_per_connection`` streams, with HTTP 400. Control messages get
    the documented replies and error payloads. :attr:`connections` tells each
    connection's ``endpoint`` and ``url_path``.

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
    * On fstream (any endpoint with several paths), a SUBSCRIBE naming a stream
      of another path gets code 2 ``Invalid request: stream `!index@arr` is
      served on /market, not /public`` and changes nothing (the real server's
      answer is not documented).
    * Data published by the market goes only to connections of the endpoint
      whose exact spelling the name is (see above); :meth:`publish` sends to
      every connection subscribed to the exact name, on any endpoint. The
      market writes each endpoint's payloads with that dialect's renderer
      (:mod:`binance_options_ws.testing.renderers`); an endpoint without one
      gets only what :meth:`publish` sends.
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
      not affected by ``refuse_connections()``, which refuses WebSocket
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
            It serves every endpoint, and the REST route if it has a
            ``depth_snapshot`` method.
        max_streams_per_connection: Streams one connection may listen to (None: no limit).
        max_messages_per_second: Incoming messages allowed in any 1-second window
            (None: no limit).
        ping_interval: Seconds between server pings (None: never ping).
        pong_timeout: Seconds without a pong after which a connection is closed
            (None: never). Keep it longer than ``ping_interval``.
        max_connection_age: Seconds after which a connection is closed (None: never).
        market_poll_interval: Seconds between two polls of the market.
        ssl_context: A server-side TLS context (with its certificate loaded) to
            serve ``wss://`` and ``https://`` instead of ``ws://`` and ``http://``;
            clients then need a context that trusts that certificate
            (``StreamClient(exchange.url, ssl_context=...)``).

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
        ssl_context: Optional[ssl.SSLContext] = None,
    ) -> None:
        for name, limit in (
            ("max_streams_per_connection", max_streams_per_connection),
            ("max_messages_per_second", max_messages_per_second),
        ):
            if limit is not None and (isinstance(limit, bool) or not limit > 0):
                raise ValueError(f"{name} must be a positive integer or None, got {limit!r}")
        poll_interval = check_seconds(market_poll_interval, "market_poll_interval")
        assert poll_interval is not None
        self._host = host
        self._port = port
        if ssl_context is not None and not isinstance(ssl_context, ssl.SSLContext):
            raise ValueError(f"ssl_context must be an ssl.SSLContext or None, got {ssl_context!r}")
        self._ssl_context = ssl_context
        self._engine = Engine(
            Settings(
                max_streams=max_streams_per_connection,
                max_rate=max_messages_per_second,
                ping_interval=check_seconds(ping_interval, "ping_interval"),
                pong_timeout=check_seconds(pong_timeout, "pong_timeout"),
                max_age=check_seconds(max_connection_age, "max_connection_age"),
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
        self._runtime: Optional[Runtime] = None

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
            runtime = Runtime(
                self._engine, self._host, self._port, self._market, ssl_context=self._ssl_context
            )
            runtime.start()
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
        if runtime is not None:
            runtime.stop()

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
        """The base URL of every endpoint: ``ws://127.0.0.1:<port>`` (``wss://`` with TLS).

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
        scheme = "ws" if self._ssl_context is None else "wss"
        return f"{scheme}://{self._host}:{self._port}"

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
        return "http" + self.url[len("ws") :]  # https:// with TLS

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
        wait_for(predicate, timeout, message)

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
            runtime.post(self._engine.deliver, deliveries)
        return len(deliveries)

    # ------------------------------------------------------------------
    # Plumbing
    # ------------------------------------------------------------------

    def _require_runtime(self) -> Runtime:
        runtime = self._runtime
        if runtime is None:
            raise RuntimeError("the exchange is not running: call start() first")
        return runtime
