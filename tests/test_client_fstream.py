"""StreamClient end to end on what only the fstream endpoint has, against the fake exchange.

Two URL paths (``/public``, ``/market``), each with its own connections, opened
only when needed; one index stream for every underlying, filtered per
subscription; fstream-only methods; the two uncertain stream forms. What both
endpoints share runs on both in ``test_client.py``.
"""

from __future__ import annotations

from typing import Any, Dict, Iterator, List, Set

import pytest

from binance_options_ws import (
    IndexPrice,
    InvalidArgumentError,
    InvalidStreamError,
    OpenInterest,
    StreamClient,
    Ticker,
    Trade,
)
from binance_options_ws.testing import ConnectionInfo, FakeExchange
from binance_options_ws.testing.waiting import wait_for

SYMBOL = "BTC-261225-100000-C"
TRADE = "btc-261225-100000-c@optionTrade"


def ftrade(trade_id: int, side: str) -> Dict[str, Any]:
    """An fstream trade with every field the exchange always sends."""
    return {"e": "trade", "E": 2, "T": 1, "s": SYMBOL, "t": trade_id, "p": "1", "q": "1", "S": side}


def fticker(last_price: str) -> Dict[str, Any]:
    """An fstream ticker with every field the exchange always sends."""
    return {
        "e": "24hrTicker", "E": 1, "s": SYMBOL, "c": last_price, "o": "1", "h": "1", "l": "1",
        "p": "0", "P": "0", "v": "1", "q": "1", "Q": "1", "F": 1, "L": 1, "n": 1,
    }  # fmt: skip


MARK_PRICE = "btcusdt@optionMarkPrice"

# Written out by hand from options-streams-2026.md §1.2, not computed with fstream.route.
PUBLIC_NAMES = [
    TRADE,
    "btcusdt@optionTrade",
    "btc-261225-100000-c@optionTicker",
    "btcusdt@optionTicker@261225",
    "btc-261225-100000-c@bookTicker",
    "btc-261225-100000-c@depth10@500ms",
    "btc-261225-100000-c@depth@100ms",
]
MARKET_NAMES = [
    "!index@arr",
    MARK_PRICE,
    "btc-261225-100000-c@kline_1m",
    "btcusdt@openInterest@261225",
    "!optionSymbol",
]


def fast_client(exchange: FakeExchange, **options: Any) -> StreamClient:
    """An fstream client with short timers."""
    settings: Dict[str, Any] = {
        "endpoint": "fstream",
        "request_timeout": 5.0,
        "backoff_initial": 0.05,
        "backoff_cap": 0.2,
    }
    settings.update(options)
    return StreamClient(exchange.url, **settings)


@pytest.fixture
def exchange() -> Iterator[FakeExchange]:
    with FakeExchange() as fake:
        yield fake


@pytest.fixture
def client(exchange: FakeExchange) -> Iterator[StreamClient]:
    with fast_client(exchange) as c:
        yield c


def by_path(exchange: FakeExchange) -> Dict[str, ConnectionInfo]:
    """The open connections by URL path; fails if a path has more than one."""
    connections = exchange.connections
    paths = {c.url_path: c for c in connections}
    assert len(paths) == len(connections), [c.path for c in connections]
    return paths  # type: ignore[return-value]


def sent(exchange: FakeExchange, method: str) -> Dict[str, List[str]]:
    """The stream names each path received in ``method`` requests, in order.

    Only the connections still open are known by path, so call it before any drop.
    """
    path_of = {c.id: c.url_path for c in exchange.connections}
    names: Dict[str, List[str]] = {}
    for entry in exchange.control_log:
        message = entry.message
        if isinstance(message, dict) and message.get("method") == method:
            names.setdefault(str(path_of[entry.connection_id]), []).extend(message["params"])
    return names


def index_payload(*prices: Any) -> List[Dict[str, Any]]:
    """A ``!index@arr`` payload (spec §2.6) from ``(symbol, price)`` pairs."""
    return [{"e": "indexPrice", "E": 1, "s": symbol, "p": price} for symbol, price in prices]


# ---------------------------------------------------------------- paths and routing


def test_start_opens_nothing_and_each_path_opens_with_its_first_stream(
    exchange: FakeExchange, client: StreamClient
) -> None:
    assert client.start() is client
    assert client.stats.connections == 0
    # A market stream first: had start() opened /public (the first path) it would
    # have connected in the same supervisor round and shown up here, as id 1.
    client.subscribe_mark_price("BTC")
    [market] = exchange.connections
    assert (market.id, market.path, market.url_path) == (1, "/market/stream", "market")
    assert market.subscriptions == (MARK_PRICE,)
    client.subscribe_index()  # the same path: no new connection
    assert [c.id for c in exchange.connections] == [1]
    client.subscribe_trade(SYMBOL)
    first, public = exchange.connections
    assert first.id == market.id
    assert (public.id, public.path, public.url_path) == (2, "/public/stream", "public")
    assert public.subscriptions == (TRADE,)
    assert client.stats.connections == 2


def test_each_stream_goes_to_its_own_path_and_only_there(
    exchange: FakeExchange, client: StreamClient
) -> None:
    mixed = [name for pair in zip(PUBLIC_NAMES, MARKET_NAMES) for name in pair]
    mixed += PUBLIC_NAMES[len(MARKET_NAMES) :]
    subscription = client.subscribe(mixed)
    assert subscription.streams == tuple(mixed)
    paths = by_path(exchange)
    assert sorted(paths) == ["market", "public"]
    assert sorted(paths["public"].subscriptions) == sorted(PUBLIC_NAMES)
    assert sorted(paths["market"].subscriptions) == sorted(MARKET_NAMES)
    subscribed = sent(exchange, "SUBSCRIBE")
    assert sorted(subscribed["public"]) == sorted(PUBLIC_NAMES)  # each once, nothing else
    assert sorted(subscribed["market"]) == sorted(MARKET_NAMES)
    for name in mixed:  # one connection gets each stream's data
        assert exchange.publish(name, {"e": "unused"}) == 1


def test_unsubscribe_and_list_subscriptions_span_both_paths(
    exchange: FakeExchange, client: StreamClient
) -> None:
    ticker, kline = "btc-261225-100000-c@optionTicker", "btc-261225-100000-c@kline_1m"
    client.subscribe_trade(SYMBOL)
    client.subscribe_ticker(SYMBOL)
    client.subscribe_mark_price("btcusdt")
    client.subscribe_kline(SYMBOL, "1m")
    assert sorted(client.list_subscriptions()) == sorted([TRADE, ticker, MARK_PRICE, kline])
    # Any case (but kline_1M is a month), both paths in one call:
    client.unsubscribe([ticker.upper(), f"{SYMBOL}@kline_1m"])
    assert sent(exchange, "UNSUBSCRIBE") == {"public": [ticker], "market": [kline]}
    assert sorted(client.list_subscriptions()) == sorted([TRADE, MARK_PRICE])
    assert sorted(client.subscriptions) == sorted([TRADE, MARK_PRICE])
    paths = by_path(exchange)
    assert paths["public"].subscriptions == (TRADE,)
    assert paths["market"].subscriptions == (MARK_PRICE,)
    exchange.publish(ticker, fticker("1"))
    exchange.publish(TRADE, ftrade(3, "SELL"))
    event = client.get(timeout=5)
    assert isinstance(event, Trade)  # nothing from the unsubscribed ticker came first
    assert (event.trade_id, event.side) == (3, "SELL")


def test_reconnect_restores_each_paths_streams_on_that_path(
    exchange: FakeExchange, client: StreamClient
) -> None:
    trades: List[Trade] = []
    prices: List[IndexPrice] = []
    client.subscribe_trade(SYMBOL, trades.append)
    client.subscribe_ticker(SYMBOL)
    client.subscribe_index("BTCUSDT", prices.append)
    client.subscribe_kline(SYMBOL, "1m")
    public = {TRADE, "btc-261225-100000-c@optionTicker"}
    market = {"!index@arr", "btc-261225-100000-c@kline_1m"}
    before = {c.id for c in exchange.connections}
    exchange.clear_logs()
    exchange.drop_connections()

    def restored() -> bool:
        connections = exchange.connections
        return (
            len(connections) == 2
            and not before & {c.id for c in connections}
            and exchange.subscriptions == public | market
        )

    exchange.wait_until(restored, 5, "both paths restored on new connections")
    paths = by_path(exchange)
    assert set(paths["public"].subscriptions) == public
    assert set(paths["market"].subscriptions) == market
    subscribed = sent(exchange, "SUBSCRIBE")
    assert sorted(subscribed["public"]) == sorted(public)
    assert sorted(subscribed["market"]) == sorted(market)
    assert client.stats.reconnects >= 2
    exchange.publish("!index@arr", index_payload(("ETHUSDT", "1"), ("BTCUSDT", "2")))
    exchange.publish(TRADE, ftrade(9, "BUY"))
    wait_for(lambda: bool(trades) and bool(prices), what="events on both paths")
    assert [t.trade_id for t in trades] == [9]
    assert [(p.symbol, p.price) for p in prices] == [("BTCUSDT", 2.0)]  # still filtered


# ---------------------------------------------------------------- one index stream, filtered


def test_index_subscriptions_each_see_only_their_symbol(
    exchange: FakeExchange, client: StreamClient
) -> None:
    btc: List[IndexPrice] = []
    eth: List[IndexPrice] = []
    every: List[IndexPrice] = []
    for_btc = client.subscribe_index("BTCUSDT", btc.append)
    for_eth = client.subscribe_index("eth", eth.append)  # a base asset means its USDT pair
    for_all = client.subscribe_index(callback=every.append)
    assert for_btc.streams == for_eth.streams == for_all.streams == ("!index@arr",)
    assert for_btc.symbols == frozenset({"BTCUSDT"})
    assert for_eth.symbols == frozenset({"ETHUSDT"})
    assert for_all.symbols is None
    assert sent(exchange, "SUBSCRIBE") == {"market": ["!index@arr"]}

    exchange.publish(
        "!index@arr", index_payload(("BTCUSDT", "1"), ("ETHUSDT", "2"), ("SOLUSDT", "3"))
    )
    wait_for(lambda: len(every) == 3, what="the first round")
    # One dispatcher thread, in arrival order: every earlier callback has run.
    assert [(e.symbol, e.price) for e in btc] == [("BTCUSDT", 1.0)]
    assert [(e.symbol, e.price) for e in eth] == [("ETHUSDT", 2.0)]
    assert [e.symbol for e in every] == ["BTCUSDT", "ETHUSDT", "SOLUSDT"]

    for_btc.unsubscribe()
    assert "!index@arr" in exchange.subscriptions  # the others still use it
    assert sent(exchange, "UNSUBSCRIBE") == {}
    exchange.publish(
        "!index@arr", index_payload(("BTCUSDT", "4"), ("ETHUSDT", "5"), ("SOLUSDT", "6"))
    )
    wait_for(lambda: len(every) == 6, what="the second round")
    assert [e.price for e in btc] == [1.0]
    assert [e.price for e in eth] == [2.0, 5.0]

    for_eth.unsubscribe()
    for_all.unsubscribe()
    assert sent(exchange, "UNSUBSCRIBE") == {"market": ["!index@arr"]}
    assert exchange.subscriptions == frozenset()
    assert client.subscriptions == []


def test_index_subscriptions_without_a_callback_queue_only_their_symbols(
    exchange: FakeExchange, client: StreamClient
) -> None:
    client.subscribe_index("BTCUSDT")
    client.subscribe_index("ETHUSDT")
    exchange.publish(
        "!index@arr", index_payload(("ETHUSDT", "1"), ("SOLUSDT", "2"), ("BTCUSDT", "3"))
    )
    exchange.publish("!index@arr", index_payload(("SOLUSDT", "4"), ("BTCUSDT", "5")))
    received = [client.get(timeout=5) for _ in range(3)]
    assert [(e.symbol, e.price) for e in received] == [  # type: ignore[union-attr]
        ("ETHUSDT", 1.0),
        ("BTCUSDT", 3.0),
        ("BTCUSDT", 5.0),  # no SOLUSDT event in between
    ]
    assert client.queue.empty()


def test_a_filtered_and_an_unfiltered_subscription_deliver_each_event_once(
    exchange: FakeExchange, client: StreamClient
) -> None:
    seen: List[str] = []
    client.subscribe_index("BTCUSDT")  # the queue, BTCUSDT only
    client.subscribe("!index@arr")  # the queue, every pair
    client.subscribe_index("BTCUSDT", lambda e: seen.append(e.symbol))
    client.subscribe_index("ETHUSDT", lambda e: seen.append(e.symbol))  # another callback
    exchange.publish("!index@arr", index_payload(("BTCUSDT", "1"), ("ETHUSDT", "2")))
    received = [client.get(timeout=5) for _ in range(2)]
    assert [e.symbol for e in received] == ["BTCUSDT", "ETHUSDT"]  # type: ignore[union-attr]
    wait_for(lambda: len(seen) == 2, what="both callbacks")
    assert sorted(seen) == ["BTCUSDT", "ETHUSDT"]
    assert client.queue.empty()


def test_a_callback_given_as_the_index_symbol_gets_a_hint(client: StreamClient) -> None:
    with pytest.raises(InvalidArgumentError, match=r"subscribe_index\(callback=callback\)"):
        client.subscribe_index(print)  # type: ignore[arg-type]


# ---------------------------------------------------------------- names of one endpoint only


def test_fstream_only_methods_raise_on_nbstream_before_anything_is_sent(
    exchange: FakeExchange,
) -> None:
    with StreamClient(exchange.url, request_timeout=5) as client:
        assert client.endpoint == "nbstream"
        needs = r"{} needs the fstream endpoint.*endpoint='fstream'"
        with pytest.raises(InvalidArgumentError, match=needs.format("subscribe_book_ticker")):
            client.subscribe_book_ticker(SYMBOL)
        with pytest.raises(InvalidArgumentError, match=needs.format("subscribe_diff_depth")):
            client.subscribe_diff_depth(SYMBOL, "100ms")
        with pytest.raises(InvalidArgumentError, match="needs an index pair"):
            client.subscribe_index()
        assert client.subscriptions == []
        assert client.stats.connections == 0
    assert exchange.control_log == []
    assert exchange.connection_count == 0


@pytest.mark.parametrize(
    ("name", "counterpart"),
    [
        ("BTCUSDT@index", "!index@arr"),
        (f"{SYMBOL}@ticker", "btc-261225-100000-c@optionTicker"),
        ("BTC@trade", "btcusdt@optionTrade"),
        ("BTC@markPrice", "btcusdt@optionMarkPrice"),
        ("option_pair", "!optionSymbol"),
    ],
)
def test_nbstream_names_are_rejected_on_fstream_before_anything_is_sent(
    exchange: FakeExchange, client: StreamClient, name: str, counterpart: str
) -> None:
    with pytest.raises(InvalidStreamError) as caught:
        client.subscribe(name)
    message = str(caught.value)
    assert "is a stream of the nbstream endpoint, not of fstream" in message
    assert f"on fstream it is {counterpart!r}" in message
    assert "StreamClient(endpoint='nbstream')" in message
    with pytest.raises(InvalidStreamError, match="nbstream"):
        client.subscribe([TRADE, name])  # all or nothing
    with pytest.raises(InvalidStreamError, match="nbstream"):
        client.unsubscribe(name)
    assert client.subscriptions == []
    assert exchange.control_log == []
    assert exchange.connection_count == 0


@pytest.mark.parametrize(
    "name",
    [TRADE, "!index@arr", "btc-261225-100000-c@optionTicker", MARK_PRICE, "!optionSymbol"],
)
def test_fstream_names_are_rejected_on_nbstream_before_anything_is_sent(
    exchange: FakeExchange, name: str
) -> None:
    with StreamClient(exchange.url, request_timeout=5) as client:
        with pytest.raises(InvalidStreamError, match="is a stream of the fstream endpoint"):
            client.subscribe(["BTCUSDT@index", name])
        assert client.subscriptions == []
    assert exchange.control_log == []
    assert exchange.connection_count == 0


def test_fstream_parameters_are_checked_before_anything_is_sent(
    exchange: FakeExchange, client: StreamClient
) -> None:
    with pytest.raises(InvalidStreamError, match="levels must be one of 5, 10, 20"):
        client.subscribe_depth(SYMBOL, levels=50)
    with pytest.raises(InvalidStreamError, match="speed must be one of 100ms, 500ms"):
        client.subscribe_diff_depth(SYMBOL, "1000ms")
    with pytest.raises(InvalidStreamError, match="interval must be one of"):
        client.subscribe_kline(SYMBOL, "8h")  # nbstream has it, fstream does not
    with pytest.raises(InvalidStreamError, match="not an option symbol"):
        client.subscribe_mark_price(SYMBOL)
    assert exchange.control_log == []


def test_names_go_out_in_fstream_spelling_whatever_the_case_given(
    exchange: FakeExchange, client: StreamClient
) -> None:
    subscription = client.subscribe(
        ["BTC-261225-100000-C@OPTIONTRADE", "BTCUSDT@optionMarkPrice", "!INDEX@ARR"]
    )
    assert subscription.streams == (TRADE, MARK_PRICE, "!index@arr")
    assert sent(exchange, "SUBSCRIBE") == {"public": [TRADE], "market": [MARK_PRICE, "!index@arr"]}


def test_the_uncertain_forms_are_sent_as_given_and_deliver(
    exchange: FakeExchange, client: StreamClient
) -> None:
    open_interest = "btcusdt@optionOpenInterest@261225"  # the January 2026 name
    ticker = "btcusdt@optionTicker261225"  # the SDK template, without the second @
    subscription = client.subscribe([open_interest, ticker])
    assert subscription.streams == (open_interest, ticker)
    assert sent(exchange, "SUBSCRIBE") == {"market": [open_interest], "public": [ticker]}
    exchange.publish(
        open_interest,
        [{"e": "openInterest", "E": 1, "s": "BTC-261225-90000-C", "o": "7.5", "h": "9.5"}],
    )
    event = client.get(timeout=5)
    assert isinstance(event, OpenInterest)
    assert (event.stream, event.open_interest) == (open_interest, 7.5)
    exchange.publish(ticker, [fticker("12")])
    event = client.get(timeout=5)
    assert isinstance(event, Ticker)
    assert (event.stream, event.last_price) == (ticker, 12.0)


# ---------------------------------------------------------------- settings


def test_the_default_url_is_fstreams_and_nothing_connects() -> None:
    seen: Set[str] = set()
    for client in (StreamClient(endpoint="fstream"), StreamClient(None, endpoint="fstream")):
        with client:
            assert client.endpoint == "fstream"
            assert repr(client) == "<StreamClient fstream wss://fstream.binance.com (0 streams)>"
            assert client.stats.connections == 0
            seen.add(repr(client))
    assert len(seen) == 1
    with StreamClient() as default:
        assert default.endpoint == "nbstream"
        assert "wss://nbstream.binance.com/eoptions" in repr(default)
    with pytest.raises(InvalidArgumentError, match="endpoint must be one of 'nbstream', 'fstream'"):
        StreamClient(endpoint="eoptions")


@pytest.mark.parametrize("url", ["wss://fstream.binance.com/public/", "ws://127.0.0.1:9/market"])
def test_a_base_url_with_a_path_is_refused_with_the_root_to_use(url: str) -> None:
    root = r"'wss://fstream\.binance\.com', without /public"
    with pytest.raises(InvalidArgumentError, match=root):
        StreamClient(url, endpoint="fstream")
