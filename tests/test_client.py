"""StreamClient end to end, against the fake exchange (a real local WebSocket server).

Every test whose subject exists on both endpoints runs on both: the ``flavour``
fixture gives each test the stream names and payloads of one endpoint, and the
fake exchange serves both (``/stream`` for nbstream, ``/public/stream`` and
``/market/stream`` for fstream). What only fstream has is in
``test_client_fstream.py``.
"""

from __future__ import annotations

import json
import queue
import re
import threading
import time
from operator import attrgetter
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple

import attrs
import pytest

from binance_options_ws import (
    BookDepth,
    BookTicker,
    ClientClosedError,
    ConnectionFailedError,
    DepthUpdate,
    IndexPrice,
    InvalidArgumentError,
    InvalidStreamError,
    Kline,
    MarkPrice,
    NewSymbol,
    OpenInterest,
    RequestTimeoutError,
    ServerError,
    StateChange,
    StreamClient,
    Subscription,
    Ticker,
    Trade,
)
from binance_options_ws.testing import FakeExchange
from binance_options_ws.testing.waiting import wait_for

SYMBOL = "BTC-261225-100000-C"


def trade_payload(trade_id: int, symbol: str = SYMBOL) -> Dict[str, Any]:
    """A trade as nbstream sends it."""
    return {
        "e": "trade",
        "E": 1_700_000_000_000 + trade_id,
        "s": symbol,
        "t": trade_id,
        "p": "1000",
        "q": "1",
        "b": 1,
        "a": 2,
        "T": 1_700_000_000_000 + trade_id,
        "S": "1",
        "X": "MARKET",
    }


#: What every ticker carries on both endpoints (nbstream's "V" and "A" are fstream's
#: "v" and "q"; nbstream reads "v" as the vega).
TICKER_BASICS: Dict[str, Any] = {
    "e": "24hrTicker", "E": 1, "o": "1", "h": "1", "l": "1", "p": "0", "P": "0",
    "V": "1", "A": "1", "v": "1", "q": "1", "Q": "1", "F": 1, "L": 1, "n": 1,
}  # fmt: skip


def fstream_trade_payload(trade_id: int, symbol: str = SYMBOL) -> Dict[str, Any]:
    """A trade as fstream sends it (spec §2.1: no order ids, S is BUY/SELL, m added)."""
    return {
        "e": "trade",
        "E": 1_700_000_000_000 + trade_id,
        "T": 1_700_000_000_000 + trade_id,
        "s": symbol,
        "t": trade_id,
        "p": "1300.000",
        "q": "0.1000",
        "X": "MARKET",
        "S": "BUY",
        "m": False,
    }


@attrs.frozen
class Flavour:
    """What the end-to-end tests need to know about one endpoint.

    Attributes:
        endpoint: The client's ``endpoint`` argument.
        trade: The trade stream of ``SYMBOL``.
        underlying_trade: The trade stream of every BTC option.
        trade_payload: A trade payload, from its trade id.
        quiet: Two streams that carry only what a test publishes, on one path.
        quiet_method: The subscribe method that subscribes them.
        quiet_args: Its argument for each.
        quiet_other_case: ``quiet[0]`` spelt in the other case.
        quiet_symbols: The symbol of each one's events.
        quiet_class: The class of their events.
        quiet_payload: A payload, from a symbol and a price (a string).
        price: The price of a quiet stream's event.
        ticker: The ticker stream of an option symbol (``"BTC-261225-100000-C"``).
        trade_and_quiet_connections: How many connections serve ``trade`` and
            ``quiet[0]`` together (one per URL path).
        bad_levels: The error of ``subscribe_depth(SYMBOL, levels=15)``.
        unknown_stream: The error of ``subscribe("nonsense")``.
    """

    endpoint: str
    trade: str
    underlying_trade: str
    trade_payload: Callable[[int], Dict[str, Any]]
    quiet: Tuple[str, str]
    quiet_method: str
    quiet_args: Tuple[str, str]
    quiet_other_case: str
    quiet_symbols: Tuple[str, str]
    quiet_class: type
    quiet_payload: Callable[[str, str], Any]
    price: Callable[[Any], float]
    ticker: Callable[[str], str]
    trade_and_quiet_connections: int
    bad_levels: str
    unknown_stream: str

    def client(self, exchange: FakeExchange, **options: Any) -> StreamClient:
        """A client of this endpoint with short timers, so reliability tests take seconds."""
        settings: Dict[str, Any] = {
            "endpoint": self.endpoint,
            "request_timeout": 5.0,
            "backoff_initial": 0.05,
            "backoff_cap": 0.2,
        }
        settings.update(options)
        return StreamClient(exchange.url, **settings)

    def subscribe_quiet(
        self,
        client: StreamClient,
        which: int,
        callback: Optional[Callable[[Any], Any]] = None,
        **options: Any,
    ) -> Subscription:
        """Subscribe ``quiet[which]`` with the endpoint's own subscribe method."""
        method = getattr(client, self.quiet_method)
        return method(self.quiet_args[which], callback, **options)  # type: ignore[no-any-return]

    def publish_quiet(self, exchange: FakeExchange, which: int, price: str) -> None:
        """Publish one event of price ``price`` on ``quiet[which]``."""
        exchange.publish(self.quiet[which], self.quiet_payload(self.quiet_symbols[which], price))

    def open_a_connection(self, client: StreamClient) -> None:
        """Open a connection to the quiet streams' path, without subscribing ``quiet[0]``.

        ``start()`` does that on nbstream; on fstream it opens nothing (a path's
        connection opens with its first stream), so ``quiet[1]`` is subscribed.
        """
        if self.endpoint == "nbstream":
            client.start()
        else:
            self.subscribe_quiet(client, 1)


NBSTREAM = Flavour(
    endpoint="nbstream",
    trade=f"{SYMBOL}@trade",
    underlying_trade="BTC@trade",
    trade_payload=trade_payload,
    quiet=("BTCUSDT@index", "ETHUSDT@index"),
    quiet_method="subscribe_index",
    quiet_args=("BTCUSDT", "ETHUSDT"),
    quiet_other_case="btcusdt@index",
    quiet_symbols=("BTCUSDT", "ETHUSDT"),
    quiet_class=IndexPrice,
    quiet_payload=lambda symbol, price: {"e": "index", "E": 1, "s": symbol, "p": price},
    price=attrgetter("price"),
    ticker=lambda symbol: f"{symbol}@ticker",
    trade_and_quiet_connections=1,
    bad_levels="levels must be one of 10, 20, 50, 100, got 15",
    unknown_stream="unknown stream",
)

# On fstream the quiet streams are mark prices, on /market, while trades and
# tickers are on /public: the tests that mix them run over two connections.
FSTREAM = Flavour(
    endpoint="fstream",
    trade=f"{SYMBOL.lower()}@optionTrade",
    underlying_trade="btcusdt@optionTrade",
    trade_payload=fstream_trade_payload,
    quiet=("btcusdt@optionMarkPrice", "ethusdt@optionMarkPrice"),
    quiet_method="subscribe_mark_price",
    quiet_args=("BTC", "ethusdt"),
    quiet_other_case="BTCUSDT@optionMarkPrice",
    quiet_symbols=(SYMBOL, "ETH-261225-3000-C"),
    quiet_class=MarkPrice,
    quiet_payload=lambda symbol, price: [{"e": "markPrice", "E": 1, "s": symbol, "mp": price}],
    price=attrgetter("mark_price"),
    ticker=lambda symbol: f"{symbol.lower()}@optionTicker",
    trade_and_quiet_connections=2,
    bad_levels="levels must be one of 5, 10, 20 on the fstream endpoint, got 15",
    unknown_stream="unknown fstream stream 'nonsense'",
)


@pytest.fixture(params=[NBSTREAM, FSTREAM], ids=attrgetter("endpoint"))
def flavour(request: pytest.FixtureRequest) -> Flavour:
    return request.param  # type: ignore[no-any-return]


@pytest.fixture
def exchange() -> Iterator[FakeExchange]:
    with FakeExchange() as fake:
        yield fake


@pytest.fixture
def client(exchange: FakeExchange, flavour: Flavour) -> Iterator[StreamClient]:
    with flavour.client(exchange) as c:
        yield c


def subscribe_messages(exchange: FakeExchange) -> List[Dict[str, Any]]:
    return [
        m.message
        for m in exchange.control_log
        if isinstance(m.message, dict) and m.message.get("method") == "SUBSCRIBE"
    ]


# ---------------------------------------------------------------- one test per stream method

STREAM_CASES = [
    (
        "subscribe_index",
        ("btcusdt",),
        "BTCUSDT@index",
        {"e": "index", "E": 1, "s": "BTCUSDT", "p": "100000.5"},
        IndexPrice,
        "price",
        100000.5,
    ),
    (
        "subscribe_kline",
        (SYMBOL, "1m"),
        f"{SYMBOL}@kline_1m",
        {
            "e": "kline",
            "E": 1,
            "s": SYMBOL,
            "k": {
                "t": 1,
                "T": 2,
                "i": "1m",
                "o": "5",
                "c": "6",
                "h": "7",
                "l": "4",
                "v": "0",
                "x": False,
            },
        },
        Kline,
        "high",
        7.0,
    ),
    (
        "subscribe_mark_price",
        ("eth",),
        "ETH@markPrice",
        [{"e": "markPrice", "E": 1, "s": "ETH-261225-3000-C", "mp": "30.3"}],
        MarkPrice,
        "mark_price",
        30.3,
    ),
    (
        "subscribe_new_symbols",
        (),
        "option_pair",
        {
            "e": "OPTION_PAIR",
            "E": 1,
            "u": "BTCUSDT",
            "s": SYMBOL,
            "d": "CALL",
            "sp": "100000",
            "ed": 1_798_185_600_000,
        },
        NewSymbol,
        "strike_price",
        100000.0,
    ),
    (
        "subscribe_open_interest",
        ("ETH", "261225"),
        "ETH@openInterest@261225",
        [{"e": "openInterest", "E": 1, "s": "ETH-261225-3000-C", "o": "12.5", "h": "1000"}],
        OpenInterest,
        "open_interest",
        12.5,
    ),
    (
        "subscribe_depth",
        (SYMBOL, 20, "100ms"),
        f"{SYMBOL}@depth20@100ms",
        {
            "e": "depth",
            "E": 1,
            "s": SYMBOL,
            "u": 5,
            "pu": 5,
            "b": [["10", "1"]],
            "a": [["11", "2"]],
        },
        BookDepth,
        "asks",
        ((11.0, 2.0),),
    ),
    (
        "subscribe_ticker",
        (SYMBOL.lower(),),
        f"{SYMBOL}@ticker",
        {**TICKER_BASICS, "s": SYMBOL, "c": "1200", "d": "0.51", "mp": "1190"},
        Ticker,
        "delta",
        0.51,
    ),
    (
        "subscribe_ticker_by_expiration",
        ("BTC", "261225"),
        "BTC@ticker@261225",
        [{**TICKER_BASICS, "s": SYMBOL, "c": "1200"}],
        Ticker,
        "last_price",
        1200.0,
    ),
    (
        "subscribe_trade",
        ("BTC",),
        "BTC@trade",
        trade_payload(7),
        Trade,
        "trade_id",
        7,
    ),
]

# The payloads are the examples of options-streams-2026.md §2; each checks a field
# whose wire key differs from nbstream's where there is one.
_FSTREAM_INDEX = [
    {"e": "indexPrice", "E": 1763092572229, "s": "ETHUSDT", "p": "3224.51976744"},
    {"e": "indexPrice", "E": 1763092572229, "s": "BTCUSDT", "p": "99102.32326087"},
]
_FSTREAM_TICKER = {
    "e": "24hrTicker",
    "E": 1764080707933,
    "s": SYMBOL,
    "p": "0.0000",
    "P": "0.00",
    "w": "200.0000",
    "c": "200.0000",
    "Q": "1.0000",
    "o": "200.0000",
    "h": "200.0000",
    "l": "200.0000",
    "v": "9.0000",
    "q": "1800.0000",
    "O": 1764051060000,
    "C": 1764080707933,
    "F": 1,
    "L": 22,
    "n": 9,
}
_FSTREAM_DEPTH = {
    "e": "depthUpdate",
    "E": 1762866729459,
    "T": 1762866729358,
    "s": SYMBOL,
    "U": 465,
    "u": 465,
    "pu": 464,
    "b": [["1100.000", "0.6000"]],
    "a": [["1300.000", "0.6000"]],
}
_SYMBOL_LOW = SYMBOL.lower()

FSTREAM_CASES = [
    (  # one stream for every underlying: the symbol keeps only BTCUSDT's events
        "subscribe_index",
        ("btcusdt",),
        "!index@arr",
        _FSTREAM_INDEX,
        IndexPrice,
        "price",
        99102.32326087,
    ),
    (  # and without one, every underlying's
        "subscribe_index",
        (),
        "!index@arr",
        _FSTREAM_INDEX,
        IndexPrice,
        "price",
        3224.51976744,
    ),
    (
        "subscribe_kline",
        (SYMBOL, "1m"),
        f"{_SYMBOL_LOW}@kline_1m",
        {
            "e": "kline",
            "E": 1638747660000,
            "s": SYMBOL,
            "k": {
                "t": 1638747660000,
                "T": 1638747719999,
                "s": SYMBOL,
                "i": "1m",
                "f": 12,
                "L": 15,
                "o": "1000",
                "c": "1000",
                "h": "1000",
                "l": "1000",
                "v": "0",
                "n": 4,
                "x": False,
                "q": "0",
                "V": "0",
                "Q": "0",
            },
        },
        Kline,
        "first_trade_id",
        12,
    ),
    (
        "subscribe_mark_price",
        ("eth",),
        "ethusdt@optionMarkPrice",
        [
            {
                "s": "ETH-261225-3000-C",
                "mp": "770.543",
                "E": 1762867543321,
                "e": "markPrice",
                "i": "104334.60217391",
                "P": "0.000",
                "bo": "0.000",
                "ao": "900.000",
                "bq": "0.0000",
                "aq": "0.2000",
                "b": "-1.0",
                "a": "0.98161161",
                "hl": "924.652",
                "ll": "616.435",
                "vo": "0.9408058",
                "rf": "0.0",
                "d": "0.11111964",
                "t": "-164.26702615",
                "g": "0.00001245",
                "v": "30.63855919",
            }
        ],
        MarkPrice,
        "delta",
        0.11111964,
    ),
    (
        "subscribe_new_symbols",
        (),
        "!optionSymbol",
        {
            "e": "optionSymbol",
            "E": 1669356423908,
            "s": "BTC-250926-140000-C",
            "ps": "BTCUSDT",
            "qa": "USDT",
            "d": "CALL",
            "sp": "21000",
            "dt": 4133404800000,
            "u": 1,
            "ot": 1569398400000,
            "cs": "TRADING",
        },
        NewSymbol,
        "underlying",
        "BTCUSDT",
    ),
    (
        "subscribe_open_interest",
        ("ETH", "261225"),
        "ethusdt@openInterest@261225",
        [
            {
                "e": "openInterest",
                "E": 1668759300045,
                "s": "ETH-261225-2700-C",
                "o": "1580.87",
                "h": "1912992.178168204",
            }
        ],
        OpenInterest,
        "open_interest",
        1580.87,
    ),
    (
        "subscribe_depth",
        (SYMBOL, 20, "100ms"),
        f"{_SYMBOL_LOW}@depth20@100ms",
        _FSTREAM_DEPTH,
        BookDepth,
        "asks",
        ((1300.0, 0.6),),
    ),
    (
        "subscribe_ticker",
        (SYMBOL,),
        f"{_SYMBOL_LOW}@optionTicker",
        _FSTREAM_TICKER,
        Ticker,
        "volume",
        9.0,
    ),
    (
        "subscribe_ticker_by_expiration",
        ("BTC", "261225"),
        "btcusdt@optionTicker@261225",
        [_FSTREAM_TICKER],
        Ticker,
        "last_price",
        200.0,
    ),
    (
        "subscribe_trade",
        ("BTC",),
        "btcusdt@optionTrade",
        fstream_trade_payload(7),
        Trade,
        "side",
        "BUY",
    ),
    (
        "subscribe_book_ticker",
        (SYMBOL,),
        f"{_SYMBOL_LOW}@bookTicker",
        {
            "e": "bookTicker",
            "u": 2472,
            "s": SYMBOL,
            "b": "5000.000",
            "B": "0.2000",
            "a": "5100.000",
            "A": "0.1000",
            "T": 1763041762942,
            "E": 1763041762942,
        },
        BookTicker,
        "best_ask_price",
        5100.0,
    ),
    (
        "subscribe_diff_depth",
        (SYMBOL, "100ms"),
        f"{_SYMBOL_LOW}@depth@100ms",
        _FSTREAM_DEPTH,
        DepthUpdate,
        "first_update_id",
        465,
    ),
]


def _stream_params() -> List[Any]:
    params = []
    for flavour, cases in ((NBSTREAM, STREAM_CASES), (FSTREAM, FSTREAM_CASES)):
        for case in cases:
            name = case[0] if case[1] or case[0] != "subscribe_index" else "subscribe_index-all"
            params.append(pytest.param(flavour, *case, id=f"{flavour.endpoint}-{name}"))
    return params


@pytest.mark.parametrize(
    ("flavour", "method", "args", "stream", "payload", "cls", "field", "value"),
    _stream_params(),
    indirect=["flavour"],
)
def test_each_stream_method_subscribes_and_delivers_typed_events(
    exchange: FakeExchange,
    client: StreamClient,
    method: str,
    args: Tuple[Any, ...],
    stream: str,
    payload: Any,
    cls: type,
    field: str,
    value: Any,
) -> None:
    subscription = getattr(client, method)(*args)
    assert subscription.streams == (stream,)
    assert stream in exchange.subscriptions
    exchange.publish(stream, payload)
    event = client.get(timeout=5)
    assert isinstance(event, cls)
    assert getattr(event, field) == value
    assert event.stream == stream


def test_subscribe_with_a_callback_delivers_on_the_dispatcher_thread(
    exchange: FakeExchange, client: StreamClient, flavour: Flavour
) -> None:
    received: queue.Queue[Any] = queue.Queue()
    client.subscribe_trade(SYMBOL, lambda event: received.put((event, threading.current_thread())))
    exchange.publish(flavour.trade, flavour.trade_payload(1))
    event, thread = received.get(timeout=5)
    assert isinstance(event, Trade)
    assert event.trade_id == 1
    assert thread.name.endswith("-dispatcher")
    assert client.queue.empty()  # callback events do not also go to the queue


def test_callbacks_run_in_arrival_order(
    exchange: FakeExchange, client: StreamClient, flavour: Flavour
) -> None:
    seen: List[int] = []
    client.subscribe_trade(SYMBOL, lambda event: seen.append(event.trade_id))
    for trade_id in range(1, 201):
        exchange.publish(flavour.trade, flavour.trade_payload(trade_id))
    wait_for(lambda: len(seen) == 200, what="200 trades")
    assert seen == list(range(1, 201))


# ---------------------------------------------------------------- subscribe semantics


def test_a_list_of_streams_goes_out_in_few_subscribe_messages(
    exchange: FakeExchange, client: StreamClient, flavour: Flavour
) -> None:
    names = [flavour.ticker(f"BTC-261225-{strike}-C") for strike in range(50_000, 150_000, 1_000)]
    subscription = client.subscribe(names)
    assert len(subscription.streams) == 100
    assert exchange.subscriptions >= set(names)
    messages = subscribe_messages(exchange)
    assert 1 <= len(messages) <= 2
    assert all(len(json.dumps(m)) <= 4096 for m in messages)


def test_subscribing_again_adds_the_callback_without_a_new_subscribe(
    exchange: FakeExchange, client: StreamClient, flavour: Flavour
) -> None:
    first: List[Any] = []
    second: List[Any] = []
    client.subscribe_trade(SYMBOL, first.append)
    client.subscribe_trade(SYMBOL, second.append)
    assert len(subscribe_messages(exchange)) == 1
    exchange.publish(flavour.trade, flavour.trade_payload(1))
    wait_for(lambda: bool(first and second), what="both callbacks")


def test_bad_names_are_rejected_before_anything_is_sent(
    exchange: FakeExchange, client: StreamClient, flavour: Flavour
) -> None:
    with pytest.raises(InvalidStreamError, match=flavour.bad_levels):
        client.subscribe_depth(SYMBOL, levels=15)
    with pytest.raises(InvalidStreamError, match=flavour.unknown_stream):
        client.subscribe([flavour.quiet[0], "nonsense"])
    with pytest.raises(InvalidStreamError, match="empty"):
        client.subscribe([])
    with pytest.raises(InvalidArgumentError, match="callback"):
        client.subscribe(flavour.quiet[0], callback="print")  # type: ignore[arg-type]
    assert exchange.control_log == []


def test_an_error_reply_raises_server_error(exchange: FakeExchange, flavour: Flavour) -> None:
    exchange.stop()
    with (
        FakeExchange(max_streams_per_connection=3) as small,
        flavour.client(small, max_streams_per_connection=5) as client,
    ):
        with pytest.raises(ServerError) as excinfo:
            client.subscribe([flavour.ticker(f"BTC-261225-{k}000-C") for k in range(90, 95)])
        assert "SUBSCRIBE" in str(excinfo.value)
        assert client.subscriptions == []


def test_unsubscribe_and_list_subscriptions(
    exchange: FakeExchange, client: StreamClient, flavour: Flavour
) -> None:
    client.subscribe(list(flavour.quiet))
    assert sorted(client.list_subscriptions()) == sorted(flavour.quiet)
    client.unsubscribe(flavour.quiet_other_case)
    assert client.list_subscriptions() == [flavour.quiet[1]]
    assert exchange.subscriptions == {flavour.quiet[1]}
    flavour.publish_quiet(exchange, 0, "1")
    flavour.publish_quiet(exchange, 1, "2")
    assert client.get(timeout=5).symbol == flavour.quiet_symbols[1]  # type: ignore[union-attr]


def test_subscription_handle_unsubscribes_only_its_own_callback(
    exchange: FakeExchange, client: StreamClient, flavour: Flavour
) -> None:
    kept: List[Any] = []
    dropped: List[Any] = []
    client.subscribe_trade(SYMBOL, kept.append)
    handle = client.subscribe_trade(SYMBOL, dropped.append)
    handle.unsubscribe()
    handle.unsubscribe()  # twice is harmless
    assert not handle.active
    assert flavour.trade in exchange.subscriptions  # still used by the first
    exchange.publish(flavour.trade, flavour.trade_payload(1))
    wait_for(lambda: bool(kept), what="the kept callback")
    assert dropped == []


def test_set_and_get_property(
    exchange: FakeExchange, client: StreamClient, flavour: Flavour
) -> None:
    flavour.subscribe_quiet(client, 0)
    assert client.get_property("combined") is True
    client.set_property("combined", True)
    with pytest.raises(InvalidArgumentError, match="combined must stay True"):
        client.set_property("combined", False)
    with pytest.raises(InvalidArgumentError, match="only property"):
        client.get_property("speed")


def test_a_reply_that_never_comes_times_out(
    exchange: FakeExchange, client: StreamClient, flavour: Flavour
) -> None:
    flavour.open_a_connection(client)
    exchange.wait_until(lambda: exchange.connection_count == 1, 5, "a connection")
    before = client.subscriptions
    exchange.delay_control_replies(3.0)
    started = time.monotonic()
    with pytest.raises(RequestTimeoutError, match="did not confirm"):
        flavour.subscribe_quiet(client, 0, timeout=0.5)
    assert time.monotonic() - started < 2.0
    assert client.subscriptions == before  # [] on nbstream
    assert flavour.quiet[0] not in client.subscriptions


def test_a_wrong_url_fails_fast_with_a_clear_error(
    exchange: FakeExchange, flavour: Flavour
) -> None:
    with StreamClient(
        exchange.url + "/nowhere", endpoint=flavour.endpoint, request_timeout=5
    ) as client:
        started = time.monotonic()
        with pytest.raises(ConnectionFailedError, match="404"):
            flavour.subscribe_quiet(client, 0)
        assert time.monotonic() - started < 3.0


# ---------------------------------------------------------------- staying connected


def test_abrupt_drop_reconnects_resubscribes_and_events_resume(
    exchange: FakeExchange, flavour: Flavour
) -> None:
    states: List[StateChange] = []
    seen: List[int] = []
    paths = flavour.trade_and_quiet_connections
    with flavour.client(exchange, on_state=states.append) as client:
        client.subscribe_trade(SYMBOL, lambda event: seen.append(event.trade_id))
        flavour.subscribe_quiet(client, 0)
        exchange.drop_connections()
        wait_for(lambda: client.stats.reconnects >= paths, what="a reconnect")
        exchange.wait_until(
            lambda: (
                exchange.subscriptions == {flavour.trade, flavour.quiet[0]}
                and exchange.connection_count == paths
            ),
            5,
            "the streams restored on the new connection(s)",
        )
        exchange.publish(flavour.trade, flavour.trade_payload(2))
        flavour.publish_quiet(exchange, 0, "3")
        wait_for(lambda: seen == [2], what="the trade after the reconnect")
        assert flavour.price(client.get(timeout=5)) == 3.0
        # 2 first, then 1 restore batch per connection
        assert len(subscribe_messages(exchange)) == 2 + paths
    names = [s.state for s in states]
    assert "disconnected" in names
    assert "reconnecting" in names
    assert names.count("connected") >= 2 * paths


def test_a_going_away_close_reconnects(exchange: FakeExchange, flavour: Flavour) -> None:
    with flavour.client(exchange) as client:
        flavour.subscribe_quiet(client, 0)
        exchange.close_connections(1001, "going away")
        wait_for(lambda: client.stats.reconnects == 1, what="a reconnect")
        exchange.wait_until(lambda: exchange.subscriptions == {flavour.quiet[0]}, 5, "restore")


def test_refused_handshake_honours_retry_after(exchange: FakeExchange, flavour: Flavour) -> None:
    exchange.refuse_connections(1.0, status=429, retry_after=1.0)
    with flavour.client(exchange) as client:
        started = time.monotonic()
        flavour.subscribe_quiet(client, 0)  # waits for the ban to pass, then succeeds
        assert time.monotonic() - started >= 0.9
        refused = [f for f in exchange.incoming_log if f.kind == "text"]
        assert refused  # the SUBSCRIBE reached the server once it let us in


def test_a_stalled_connection_is_detected_and_replaced(
    exchange: FakeExchange, flavour: Flavour
) -> None:
    with flavour.client(exchange, ping_interval=0.2, stale_timeout=1.0) as client:
        flavour.subscribe_quiet(client, 0)
        [first] = exchange.connections
        # Silent, sockets open, no pongs, for good: a stall that ended by itself could end
        # before a slow machine's supervisor had looked. New connections are served.
        exchange.stall()
        wait_for(lambda: client.stats.reconnects >= 1, timeout=10, what="stall detection")
        exchange.wait_until(
            lambda: any(
                c.id != first.id and flavour.quiet[0] in c.subscriptions
                for c in exchange.connections
            ),
            10,
            "resubscribed on a new connection",
        )
        flavour.publish_quiet(exchange, 0, "5")
        assert flavour.price(client.get(timeout=5)) == 5.0


def test_a_quiet_stream_alone_is_not_a_dead_connection(
    exchange: FakeExchange, flavour: Flavour
) -> None:
    with flavour.client(exchange, ping_interval=0.1, stale_timeout=0.5) as client:
        flavour.subscribe_quiet(client, 0)
        deadline = time.monotonic() + 1.5  # three stale timeouts with no data at all
        while time.monotonic() < deadline:
            time.sleep(0.05)
        assert client.stats.reconnects == 0  # pongs kept it alive


def test_rollover_before_the_lifetime_cut_has_no_gap_and_no_duplicate(
    flavour: Flavour,
) -> None:
    with (
        FakeExchange(max_connection_age=4.0) as exchange,
        flavour.client(exchange, max_connection_age=1.0, rollover_overlap=0.3) as client,
    ):
        seen: List[int] = []
        client.subscribe_trade(SYMBOL, lambda event: seen.append(event.trade_id))
        flavour.subscribe_quiet(client, 0)
        stop = time.monotonic() + 4.5
        trade_id = 0
        while time.monotonic() < stop:
            trade_id += 1
            exchange.publish(flavour.trade, flavour.trade_payload(trade_id))
            time.sleep(0.004)
        wait_for(lambda: len(seen) >= trade_id, timeout=5, what="every trade")
        time.sleep(0.2)  # a late duplicate would arrive now
        assert client.stats.rollovers >= 2 * flavour.trade_and_quiet_connections
        assert client.stats.reconnects == 0
        # Each trade once, none missing. (While two connections overlap, each frame comes
        # from whichever reads it first, so the order across them is not promised.)
        assert len(seen) == len(set(seen))
        assert sorted(seen) == list(range(1, trade_id + 1))
        assert exchange.subscriptions == {flavour.trade, flavour.quiet[0]}
        # Rollovers go on (one starts half an age after the last): between two of them
        # each path has one connection.
        exchange.wait_until(
            lambda: exchange.connection_count == flavour.trade_and_quiet_connections,
            5,
            "one connection per path between rollovers",
        )


def test_more_than_200_streams_spread_over_two_connections(
    exchange: FakeExchange, flavour: Flavour
) -> None:
    names = [flavour.ticker(f"BTC-261225-{strike}-P") for strike in range(10_000, 260_000, 1_000)]
    assert len(names) == 250
    with flavour.client(exchange) as client:
        client.subscribe(names)
        assert exchange.connection_count == 2
        assert sorted(len(c.subscriptions) for c in exchange.connections) == [50, 200]
        assert sorted(client.list_subscriptions()) == sorted(names)
        client.unsubscribe(names[:210])
        assert sorted(client.list_subscriptions()) == sorted(names[210:])
        exchange.publish(names[-1], {**TICKER_BASICS, "s": "x", "c": "1"})
        assert client.get(timeout=5).stream == names[-1]


def test_outgoing_messages_never_exceed_the_rate_limit(
    exchange: FakeExchange, flavour: Flavour
) -> None:
    names = [flavour.ticker(f"ETH-261225-{strike}-C") for strike in range(1_000, 6_000, 20)]
    with flavour.client(exchange, ping_interval=0.05) as client:
        client.subscribe(names)  # 250: two connections
        for name in names[:20]:
            client.unsubscribe(name)
        client.list_subscriptions()
        exchange.drop_connections()
        wait_for(lambda: client.stats.reconnects >= 2, what="both connections back")
        exchange.wait_until(lambda: len(exchange.subscriptions) == 230, 10, "the restore")
        time.sleep(0.5)  # pings keep going meanwhile
    by_connection: Dict[int, List[float]] = {}
    for frame in exchange.incoming_log:
        if frame.kind in ("text", "ping", "pong", "binary"):
            by_connection.setdefault(frame.connection_id, []).append(frame.time)
    busiest = 0
    for times in by_connection.values():
        for i, start in enumerate(times):
            busiest = max(busiest, sum(1 for t in times[i:] if t - start < 1.0))
    assert 0 < busiest <= 10


# ---------------------------------------------------------------- user code and bad data


def test_a_raising_callback_is_counted_reported_and_delivery_goes_on(
    exchange: FakeExchange, flavour: Flavour
) -> None:
    errors: List[BaseException] = []
    good: List[int] = []

    def bad(event: Any) -> None:
        raise RuntimeError("boom")

    with flavour.client(exchange, on_error=errors.append) as client:
        client.subscribe_trade(SYMBOL, bad)
        client.subscribe_trade("BTC", lambda event: good.append(event.trade_id))
        for trade_id in (1, 2):
            exchange.publish(flavour.trade, flavour.trade_payload(trade_id))
            exchange.publish(flavour.underlying_trade, flavour.trade_payload(trade_id))
        wait_for(lambda: good == [1, 2] and len(errors) == 2, what="delivery after errors")
        assert all(isinstance(e, RuntimeError) for e in errors)
        assert client.stats.callback_errors == 2
        assert client.stats.reconnects == 0


def test_a_slow_consumer_loses_the_oldest_events_and_memory_stays_bounded(
    exchange: FakeExchange, flavour: Flavour
) -> None:
    with flavour.client(exchange, queue_size=10) as client:
        client.subscribe_trade(SYMBOL)
        for trade_id in range(1, 101):
            exchange.publish(flavour.trade, flavour.trade_payload(trade_id))
        wait_for(lambda: client.stats.events == 100, what="100 events read")
        assert client.queue.qsize() == 10
        assert client.stats.dropped_events == 90
        kept = [client.queue.get_nowait().trade_id for _ in range(10)]  # type: ignore[union-attr]
        assert kept == list(range(91, 101))
        with pytest.raises(queue.Empty):
            client.queue.get_nowait()


@pytest.mark.parametrize(
    "kind", ["not_json", "truncated_json", "binary", "empty_array", "unknown_event"]
)
def test_malformed_frames_are_counted_and_never_fatal(
    exchange: FakeExchange, flavour: Flavour, kind: str
) -> None:
    errors: List[BaseException] = []
    with flavour.client(exchange, on_error=errors.append) as client:
        flavour.subscribe_quiet(client, 0)
        exchange.send_malformed(kind)
        flavour.publish_quiet(exchange, 0, "9")
        event = client.get(timeout=5)
        while not isinstance(event, flavour.quiet_class):  # an unknown event may come first
            event = client.get(timeout=5)
        assert flavour.price(event) == 9.0
        if kind in ("not_json", "truncated_json", "binary"):
            assert client.stats.parse_errors == 1
            wait_for(lambda: len(errors) == 1, what="on_error")
        assert client.stats.reconnects == 0


# ---------------------------------------------------------------- closing and threads


def test_close_from_inside_a_callback(exchange: FakeExchange, flavour: Flavour) -> None:
    done = threading.Event()
    client = flavour.client(exchange)

    def stop(event: Any) -> None:
        client.close()
        done.set()

    client.subscribe_trade(SYMBOL, stop)
    exchange.publish(flavour.trade, flavour.trade_payload(1))
    assert done.wait(5)
    assert client.closed
    # the conftest fixture checks that no thread of the client is left


def test_close_is_fast_idempotent_and_later_calls_fail_clearly(
    exchange: FakeExchange, flavour: Flavour
) -> None:
    client = flavour.client(exchange)
    flavour.subscribe_quiet(client, 0)
    started = time.monotonic()
    client.close()
    client.close()
    assert time.monotonic() - started < 1.0
    with pytest.raises(ClientClosedError, match="closed"):
        flavour.subscribe_quiet(client, 1)
    with pytest.raises(ClientClosedError):
        client.get(timeout=0.1)
    exchange.wait_until(lambda: exchange.connection_count == 0, 5, "the server saw the close")


def test_events_iterator_ends_on_timeout_and_on_close(
    exchange: FakeExchange, client: StreamClient, flavour: Flavour
) -> None:
    flavour.subscribe_quiet(client, 0)
    flavour.publish_quiet(exchange, 0, "1")
    started = time.monotonic()
    received = list(client.events(timeout=0.5))
    assert 0.45 <= time.monotonic() - started < 2.0
    assert [flavour.price(e) for e in received] == [1.0]
    threading.Timer(0.2, client.close).start()
    assert list(client.events()) == []


def test_two_clients_in_one_process_do_not_interfere(
    exchange: FakeExchange, flavour: Flavour
) -> None:
    with flavour.client(exchange) as first, flavour.client(exchange) as second:
        flavour.subscribe_quiet(first, 0)
        flavour.subscribe_quiet(second, 1)
        flavour.publish_quiet(exchange, 0, "1")
        flavour.publish_quiet(exchange, 1, "2")
        assert first.get(timeout=5).symbol == flavour.quiet_symbols[0]  # type: ignore[union-attr]
        assert second.get(timeout=5).symbol == flavour.quiet_symbols[1]  # type: ignore[union-attr]
        assert first.queue.empty()
        assert second.queue.empty()


def test_constructor_options_are_checked() -> None:
    with pytest.raises(InvalidArgumentError, match="base_url must start with ws:// or wss://"):
        StreamClient("https://example.com")
    with pytest.raises(InvalidArgumentError, match="queue_size"):
        StreamClient(queue_size=0)
    with pytest.raises(InvalidArgumentError, match="ping_interval must be a positive number"):
        StreamClient(ping_interval=-1)
    with pytest.raises(InvalidArgumentError, match="backoff_factor must be a positive number"):
        StreamClient(backoff_factor="fast")  # type: ignore[arg-type]


@pytest.mark.parametrize("value", [-0.001, 0.5, 2, "1ms", True, None])
def test_a_bad_batch_delay_names_the_value_and_the_range(value: object) -> None:
    with pytest.raises(
        InvalidArgumentError,
        match=rf"batch_delay must be a number of seconds from 0 to 0\.1 .*, "
        rf"got {re.escape(repr(value))}$",
    ):
        StreamClient(batch_delay=value)  # type: ignore[arg-type]


@pytest.mark.parametrize("value", [0, 0.1])
def test_batch_delay_reaches_the_connections(
    exchange: FakeExchange, flavour: Flavour, value: float
) -> None:
    with flavour.client(exchange, batch_delay=value) as client:
        flavour.subscribe_quiet(client, 0)
        flavour.publish_quiet(exchange, 0, "1")
        assert flavour.price(client.get(timeout=5)) == 1.0
        assert client._pool is not None
        connections = [c for shard in client._pool.shards() for c in shard.connections()]
        assert connections
        assert all(c._batch_delay == value for c in connections)


_CTRL_C_SCRIPT = """
import signal
import sys
import threading
import time

import binance_options_ws.client
from binance_options_ws import StreamClient
from binance_options_ws.testing import FakeExchange

# Ctrl+C raises KeyboardInterrupt, as in a script started from a terminal: a test run
# started in the background (nohup, a CI step) would have its children ignore SIGINT.
signal.signal(signal.SIGINT, signal.default_int_handler)


def announce():  # "ready" once the main thread waits inside the client's call
    main = threading.main_thread().ident
    inside = binance_options_ws.client.__file__
    while True:
        frame = sys._current_frames().get(main)
        files = []
        while frame is not None:
            files.append(frame.f_code.co_filename)
            frame = frame.f_back
        if inside in files and files[0] != inside:
            print("ready", flush=True)
            return
        time.sleep(0.01)


with FakeExchange() as exchange:
    client = StreamClient(exchange.url)
    client.subscribe_index("BTCUSDT")
    threading.Thread(target=announce, daemon=True).start()
    if sys.argv[1] == "run_forever":
        client.run_forever()
        print("returned", client.closed, flush=True)
    else:
        try:
            for event in client.events():
                pass
        except KeyboardInterrupt:
            print("interrupted", client.closed, flush=True)
"""


@pytest.mark.parametrize("how", ["run_forever", "events"])
def test_ctrl_c_ends_a_blocked_script_cleanly(how: str, tmp_path: Any) -> None:
    import signal
    import subprocess
    import sys

    script = tmp_path / "script.py"
    script.write_text(_CTRL_C_SCRIPT)
    process = subprocess.Popen(
        [sys.executable, str(script), how],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        assert process.stdout.readline().strip() == "ready"
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=10)
    finally:
        process.kill()
    expected = "returned True" if how == "run_forever" else "interrupted True"
    assert out.strip() == expected, err
    assert process.returncode == 0, err
    assert "Traceback" not in err


def test_an_error_reply_without_an_id_answers_the_waiting_request() -> None:
    # The exchange's document prints error replies as {"code": 2, "msg": ...}, with no id.
    # Such a reply answers the request still waiting, at once, with the exchange's code.
    with FakeExchange() as exchange, StreamClient(exchange.url, request_timeout=5.0) as client:
        client.start()
        wait_for(lambda: exchange.connection_count == 1, what="the connection")
        exchange.delay_control_replies(3.0)  # the real reply comes late

        def answer_with_an_error() -> None:
            wait_for(lambda: subscribe_messages(exchange), what="the SUBSCRIBE")
            exchange.send_raw('{"code": 2, "msg": "Invalid request: unknown stream"}')

        helper = threading.Thread(target=answer_with_an_error, name="test-error-reply")
        helper.start()
        started = time.monotonic()
        with pytest.raises(ServerError) as caught:
            client.subscribe_index("BTCUSDT")
        helper.join(5)
        assert time.monotonic() - started < 2.0  # not the request timeout
        assert caught.value.code == 2
        assert "unknown stream" in str(caught.value)


def test_an_unsolicited_error_reply_reaches_on_error_with_its_code() -> None:
    errors: List[BaseException] = []
    with FakeExchange() as exchange, StreamClient(exchange.url, on_error=errors.append) as client:
        client.subscribe_index("BTCUSDT")  # nothing is waiting once it is confirmed
        exchange.send_raw('{"code": -1, "msg": "something odd"}')
        wait_for(lambda: errors, what="the error on on_error")
    [error] = errors
    assert isinstance(error, ServerError)
    assert (error.code, error.msg) == (-1, "something odd")


@pytest.mark.parametrize("timeout", [0.3, 0.7])
def test_a_timeout_error_names_the_timeout_the_caller_gave(timeout: float) -> None:
    with FakeExchange() as exchange, StreamClient(exchange.url, request_timeout=10.0) as client:
        client.start()
        wait_for(lambda: exchange.connection_count == 1, what="the connection")
        exchange.delay_control_replies(5.0)
        with pytest.raises(RequestTimeoutError) as caught:
            client.subscribe_index("BTCUSDT", timeout=timeout)
        assert f"within {timeout:g} s" in str(caught.value)
        with pytest.raises(RequestTimeoutError) as caught:
            client.list_subscriptions(timeout=timeout)
        assert f"within {timeout:g} s" in str(caught.value)
