"""Tests of the fake exchange's 2026 fstream endpoint: paths, payloads, REST depth, gaps.

The server tests drive plain websocket-client sockets and ``requests`` against a
real :class:`FakeExchange` on port 0; the market tests poll a
:class:`SyntheticMarket` directly, with a fixed clock.
"""

from __future__ import annotations

import datetime
import json
import re
import struct
import threading
import time
from collections import defaultdict
from typing import Any, Callable, Collection, Dict, Iterable, Iterator, List, Optional, Tuple

import attrs
import pytest
import requests
import websocket
from websocket import ABNF

from binance_options_ws import (
    BookDepth,
    BookTicker,
    DepthUpdate,
    IndexPrice,
    Kline,
    MarkPrice,
    NewSymbol,
    OpenInterest,
    Ticker,
    Trade,
    fstream,
    parse_message,
)
from binance_options_ws.testing import FakeExchange, SyntheticMarket

Connect = Callable[..., websocket.WebSocket]
MakeExchange = Callable[..., FakeExchange]
Book = Dict[str, Dict[float, float]]

START = datetime.datetime(2026, 1, 5, 12, 0)  # a Monday, noon UTC
T0 = 1767614400000  # START in milliseconds since the epoch
SECOND = 1000

#: Fields that only the nbstream endpoint sends: None in fstream events.
NBSTREAM_ONLY: Dict[type, Tuple[str, ...]] = {
    Ticker: (
        "best_bid_price",
        "best_ask_price",
        "best_bid_quantity",
        "best_ask_quantity",
        "bid_iv",
        "ask_iv",
        "mark_iv",
        "mark_price",
        "delta",
        "theta",
        "gamma",
        "vega",
        "max_buy_price",
        "min_sell_price",
        "estimated_exercise_price",
        "transaction_time",
    ),
    Trade: ("direction", "buy_order_id", "sell_order_id"),
    NewSymbol: ("min_quantity",),
}

#: The response examples of the 2026 specification, with their JSON types.
SPEC_EXAMPLES: Dict[str, Any] = {
    "trade": {
        "e": "trade",
        "E": 1762856064204,
        "T": 1762856064203,
        "s": "BTC-251123-126000-C",
        "t": 4,
        "p": "1300.000",
        "q": "0.1000",
        "X": "MARKET",
        "S": "BUY",
        "m": False,
    },
    "24hrTicker": {
        "e": "24hrTicker",
        "E": 1764080707933,
        "s": "ETH-251226-3000-C",
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
    },
    "bookTicker": {
        "e": "bookTicker",
        "u": 2472,
        "s": "BTC-251226-110000-C",
        "b": "5000.000",
        "B": "0.2000",
        "a": "5100.000",
        "A": "0.1000",
        "T": 1763041762942,
        "E": 1763041762942,
    },
    "depthUpdate": {
        "e": "depthUpdate",
        "E": 1762866729459,
        "T": 1762866729358,
        "s": "BTC-251123-126000-C",
        "U": 465,
        "u": 465,
        "pu": 464,
        "b": [["1100.000", "0.6000"]],
        "a": [["1300.000", "0.6000"]],
    },
    "indexPrice": {"e": "indexPrice", "E": 1763092572229, "s": "ETHUSDT", "p": "3224.51976744"},
    "markPrice": {
        "s": "BTC-251120-126000-C",
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
    },
    "kline": {
        "e": "kline",
        "E": 1638747660000,
        "s": "BTC-200630-9000-P",
        "k": {
            "t": 1638747660000,
            "T": 1638747719999,
            "s": "BTC-200630-9000-P",
            "i": "1m",
            "f": 0,
            "L": 0,
            "o": "1000",
            "c": "1000",
            "h": "1000",
            "l": "1000",
            "v": "0",
            "n": 0,
            "x": False,
            "q": "0",
            "V": "0",
            "Q": "0",
        },
    },
    "openInterest": {
        "e": "openInterest",
        "E": 1668759300045,
        "s": "ETH-221125-2700-C",
        "o": "1580.87",
        "h": "1912992.178168204",
    },
    "optionSymbol": {
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
}


# --------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------


def shape(value: Any) -> Any:
    """The JSON structure of a value: key names and value types (lists by their first item)."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    return type(value).__name__


def same_shape(item: Any, example: Any) -> bool:
    """Like ``shape(item) == shape(example)``, but an empty list matches any list."""
    if isinstance(example, dict):
        return (
            isinstance(item, dict)
            and item.keys() == example.keys()
            and all(same_shape(item[key], example[key]) for key in example)
        )
    if isinstance(example, list):
        return isinstance(item, list) and all(same_shape(each, example[0]) for each in item)
    return shape(item) == shape(example)


def missing_fields(event: Any) -> List[str]:
    """The fields of an fstream event that are None, but for those only nbstream sends."""
    unsent = NBSTREAM_ONLY.get(type(event), ())
    return [
        field.name
        for field in attrs.fields(type(event))
        if getattr(event, field.name) is None and field.name not in unsent
    ]


def near_money(market: SyntheticMarket, asset: str, count: int, expiry_index: int = 0) -> List[str]:
    """The ``count`` symbols of one expiry whose strikes are nearest the index."""
    expiry = market.expirations(asset)[expiry_index].strftime("%y%m%d")
    spot = market.index_price(f"{asset}USDT")
    chain = [s for s in market.symbols(asset) if s.split("-")[1] == expiry]
    return sorted(chain, key=lambda s: abs(float(s.split("-")[2]) - spot))[:count]


def first_expiry(market: SyntheticMarket, asset: str = "BTC") -> str:
    return market.expirations(asset)[0].strftime("%y%m%d")


def to_book(bids: Iterable[Any], asks: Iterable[Any]) -> Book:
    return {
        "bids": {float(p): float(q) for p, q in bids},
        "asks": {float(p): float(q) for p, q in asks},
    }


def apply(book: Book, event: Dict[str, Any]) -> None:
    """Apply one diff-depth event: set each level's quantity, drop those at 0."""
    for side, key in (("bids", "b"), ("asks", "a")):
        for price, quantity in event[key]:
            if float(quantity) == 0:
                book[side].pop(float(price), None)
            else:
                book[side][float(price)] = float(quantity)


@pytest.fixture
def make_exchange() -> Iterator[MakeExchange]:
    """Start exchanges with the given options; stop them all after the test."""
    started: List[FakeExchange] = []

    def make(**options: Any) -> FakeExchange:
        exchange = FakeExchange(**options).start()
        started.append(exchange)
        return exchange

    yield make
    for exchange in started:
        exchange.stop()


@pytest.fixture
def exchange(make_exchange: MakeExchange) -> FakeExchange:
    return make_exchange()


@pytest.fixture
def connect() -> Iterator[Connect]:
    """Open websocket-client sockets; close them (without a handshake) after the test."""
    sockets: List[websocket.WebSocket] = []

    def open_socket(url: str, timeout: float = 5.0) -> websocket.WebSocket:
        ws = websocket.WebSocket()
        sockets.append(ws)
        ws.connect(url, timeout=timeout)
        return ws

    yield open_socket
    for ws in sockets:
        ws.shutdown()


def open_client(exchange: FakeExchange, connect: Connect, path: str) -> websocket.WebSocket:
    """Connect to ``path`` and wait until the exchange lists the connection."""
    count = exchange.connection_count
    ws = connect(exchange.url + path)
    exchange.wait_until(lambda: exchange.connection_count == count + 1, message="the connection")
    return ws


def request(ws: websocket.WebSocket, message: Dict[str, Any]) -> Any:
    """Send one control message and return its reply, skipping data that arrives first."""
    ws.send(json.dumps(message))
    while True:
        reply = json.loads(ws.recv())
        if isinstance(reply, dict) and ("id" in reply or "code" in reply):
            return reply


def collect(
    ws: websocket.WebSocket, done: Callable[[Dict[str, List[Any]]], bool], timeout: float = 10.0
) -> Dict[str, List[Any]]:
    """Read combined messages into ``{stream: [data, ...]}`` until ``done`` says so."""
    received: Dict[str, List[Any]] = defaultdict(list)
    deadline = time.monotonic() + timeout
    while not done(received):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AssertionError(f"timed out; received only {sorted(received)}")
        ws.settimeout(remaining)
        message = json.loads(ws.recv())
        if isinstance(message, dict) and "stream" in message:
            received[message["stream"]].append(message["data"])
    return received


def read_until_close(ws: websocket.WebSocket, timeout: float = 5.0) -> int:
    """Read frames until a close frame and return its code."""
    ws.settimeout(timeout)
    while True:
        opcode, frame = ws.recv_data_frame(control_frame=True)
        if opcode == ABNF.OPCODE_CLOSE:
            (code,) = struct.unpack("!H", frame.data[:2])
            return int(code)


class _Listing:
    """A market wrapper that lists an expiry inside its own poll (the market is not thread-safe)."""

    def __init__(self, market: SyntheticMarket) -> None:
        self.market = market
        self._lock = threading.Lock()
        self._wanted: List[Tuple[str, datetime.date]] = []

    def list_new_expiry(self, underlying: str, expiration: datetime.date) -> None:
        with self._lock:
            self._wanted.append((underlying, expiration))

    def poll(self, now_ms: int, subscribed: Collection[str]) -> List[Tuple[str, object]]:
        with self._lock:
            wanted, self._wanted = self._wanted, []
        for underlying, expiration in wanted:
            self.market.list_new_expiry(underlying, expiration, now_ms=now_ms)
        return self.market.poll(now_ms, subscribed)

    def depth_snapshot(self, symbol: str, limit: int, now_ms: int) -> Dict[str, object]:
        return self.market.depth_snapshot(symbol, limit, now_ms)


# --------------------------------------------------------------------------
# Paths
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "endpoint", "url_path", "combined", "subscriptions"),
    [
        ("/ws", "nbstream", None, False, ()),
        ("/stream?streams=BTCUSDT@index", "nbstream", None, True, ("BTCUSDT@index",)),
        ("/public/ws", "fstream", "public", False, ()),
        ("/public/ws/", "fstream", "public", False, ()),
        ("/public/ws/btcusdt@optionTrade", "fstream", "public", False, ("btcusdt@optionTrade",)),
        ("/public/stream", "fstream", "public", True, ()),
        (
            "/public/stream?streams=btcusdt@optionTrade/btc-261225-100000-c@depth@100ms",
            "fstream",
            "public",
            True,
            ("btcusdt@optionTrade", "btc-261225-100000-c@depth@100ms"),
        ),
        ("/market/ws/!index@arr", "fstream", "market", False, ("!index@arr",)),
        ("/market/ws/%21index%40arr", "fstream", "market", False, ("!index@arr",)),
        (
            "/market/stream?streams=!index@arr/btcusdt@optionMarkPrice",
            "fstream",
            "market",
            True,
            ("!index@arr", "btcusdt@optionMarkPrice"),
        ),
    ],
)
def test_the_path_chooses_the_endpoint(
    exchange: FakeExchange,
    connect: Connect,
    path: str,
    endpoint: str,
    url_path: Optional[str],
    combined: bool,
    subscriptions: Tuple[str, ...],
) -> None:
    ws = open_client(exchange, connect, path)
    [info] = exchange.connections
    assert (info.path, info.endpoint, info.url_path) == (path, endpoint, url_path)
    assert (info.combined, info.subscriptions) == (combined, subscriptions)
    reply = request(ws, {"method": "GET_PROPERTY", "params": ["combined"], "id": 1})
    assert reply == {"result": combined, "id": 1}


@pytest.mark.parametrize(
    ("path", "status", "words"),
    [
        ("/public", 404, "Unknown path"),
        ("/public/", 404, "Unknown path"),
        ("/private/ws", 404, "Unknown path"),
        ("/public/market/ws", 404, "Unknown path"),
        ("/public/ws/BTCUSDT@index", 400, "nbstream endpoint"),  # a legacy name on fstream
        ("/ws/btcusdt@optionTrade", 400, "Invalid stream name"),  # an fstream name on nbstream
        ("/market/ws/btcusdt@optionTrade", 400, "served on /public, not /market"),
        ("/public/stream?streams=btcusdt@optionTrade/!index@arr", 400, "on /market, not /public"),
        ("/public/ws/btc-261225-100000-c@depth50@100ms", 400, "levels must be one of 5, 10, 20"),
    ],
)
def test_bad_fstream_paths_are_refused_at_the_handshake(
    exchange: FakeExchange, connect: Connect, path: str, status: int, words: str
) -> None:
    with pytest.raises(websocket.WebSocketBadStatusException) as caught:
        connect(exchange.url + path)
    assert caught.value.status_code == status
    assert words in (caught.value.resp_body or b"").decode()
    assert exchange.connection_count == 0


@pytest.mark.parametrize(
    ("path", "name", "served"),
    [
        ("/public/ws", "!index@arr", "market"),
        ("/public/ws", "btcusdt@optionMarkPrice", "market"),
        ("/public/ws", "btc-261225-100000-c@kline_1m", "market"),
        ("/public/ws", "btcusdt@openInterest@261225", "market"),
        ("/public/ws", "!optionSymbol", "market"),
        ("/market/ws", "btcusdt@optionTrade", "public"),
        ("/market/ws", "btc-261225-100000-c@optionTicker", "public"),
        ("/market/ws", "btcusdt@optionTicker@261225", "public"),
        ("/market/ws", "btc-261225-100000-c@bookTicker", "public"),
        ("/market/ws", "btc-261225-100000-c@depth10@500ms", "public"),
        ("/market/ws", "btc-261225-100000-c@depth@100ms", "public"),
    ],
)
def test_subscribing_on_the_wrong_path_is_refused(
    exchange: FakeExchange, connect: Connect, path: str, name: str, served: str
) -> None:
    ws = open_client(exchange, connect, path)
    here = path.split("/")[1]
    valid = "btcusdt@optionTrade" if here == "public" else "!index@arr"
    reply = request(ws, {"method": "SUBSCRIBE", "params": [valid, name], "id": 7})
    assert reply == {
        "code": 2,
        "msg": f"Invalid request: stream `{name}` is served on /{served}, not /{here}",
        "id": 7,
    }
    assert request(ws, {"method": "LIST_SUBSCRIPTIONS", "id": 8}) == {"result": [], "id": 8}


def test_names_of_the_other_endpoint_are_invalid_on_each(
    exchange: FakeExchange, connect: Connect
) -> None:
    fresh = open_client(exchange, connect, "/market/ws")
    reply = request(fresh, {"method": "SUBSCRIBE", "params": ["BTCUSDT@index"], "id": 1})
    assert reply == {
        "code": 2,
        "msg": "Invalid request: invalid stream name `BTCUSDT@index`",
        "id": 1,
    }
    legacy = open_client(exchange, connect, "/ws")
    reply = request(legacy, {"method": "SUBSCRIBE", "params": ["!index@arr"], "id": 2})
    assert reply == {"code": 2, "msg": "Invalid request: invalid stream name `!index@arr`", "id": 2}


def test_only_the_exact_lowercase_name_receives_data(
    make_exchange: MakeExchange, connect: Connect
) -> None:
    exchange = make_exchange(market=SyntheticMarket(speed=5))
    symbol = near_money(exchange.market, "BTC", 1)[0]  # type: ignore[arg-type]
    canonical = f"{symbol.lower()}@optionTicker"
    wrong_case = f"{symbol}@optionTicker"
    assert fstream.parse_stream(wrong_case).name == canonical  # readable, but not the name
    ws = open_client(exchange, connect, "/public/stream")
    reply = request(ws, {"method": "SUBSCRIBE", "params": [wrong_case, canonical], "id": 1})
    assert reply == {"result": None, "id": 1}  # both accepted, as on the real endpoint
    received = collect(ws, lambda got: len(got[canonical]) >= 2, timeout=5.0)
    assert set(received) == {canonical}
    # publish() too matches exact names only.
    assert exchange.publish(canonical.upper(), {"e": "24hrTicker"}) == 0


def test_a_market_path_stream_never_reaches_the_public_connection(
    make_exchange: MakeExchange, connect: Connect
) -> None:
    exchange = make_exchange(market=SyntheticMarket(seed=4, speed=5))
    market: SyntheticMarket = exchange.market  # type: ignore[assignment]
    symbol = near_money(market, "BTC", 1)[0].lower()
    public = [f"{symbol}@optionTicker", "btcusdt@optionTrade", f"{symbol}@bookTicker"]
    on_market = ["!index@arr", "btcusdt@optionMarkPrice", f"{symbol}@kline_1m"]
    public_ws = open_client(exchange, connect, "/public/stream?streams=" + "/".join(public))
    market_ws = open_client(exchange, connect, "/market/stream?streams=" + "/".join(on_market))
    by_path = {info.url_path: info for info in exchange.connections}
    assert by_path["public"].subscriptions == tuple(public)
    assert by_path["market"].subscriptions == tuple(on_market)
    got_public = collect(public_ws, lambda got: len(got) == len(public))
    got_market = collect(market_ws, lambda got: len(got) == len(on_market))
    assert {fstream.route(name) for name in got_public} == {"public"}
    assert {fstream.route(name) for name in got_market} == {"market"}


def test_the_market_sends_fstream_data_to_fstream_connections_only(
    make_exchange: MakeExchange, connect: Connect
) -> None:
    exchange = make_exchange(market=SyntheticMarket(speed=5))
    name = f"{near_money(exchange.market, 'BTC', 1)[0].lower()}@kline_1m"  # type: ignore[arg-type]
    # nbstream accepts the lowercase kline name (its parse_stream is lenient about case)...
    legacy = open_client(exchange, connect, f"/ws/{name}")
    fresh = open_client(exchange, connect, f"/market/ws/{name}")
    for _ in range(2):
        [kline] = parse_message(fresh.recv(), endpoint="fstream")
        assert isinstance(kline, Kline)
    # ...but gets none of fstream's klines: the reply comes first.
    legacy.send(json.dumps({"method": "LIST_SUBSCRIPTIONS", "id": 1}))
    assert json.loads(legacy.recv()) == {"result": [name], "id": 1}
    # publish() sends to whoever subscribed the exact name, on either endpoint.
    assert exchange.publish(name, {"e": "kline"}) == 2


# --------------------------------------------------------------------------
# Payloads over a real connection
# --------------------------------------------------------------------------


def test_every_fstream_stream_parses_into_its_class_with_every_field(
    make_exchange: MakeExchange, connect: Connect
) -> None:
    market = SyntheticMarket(seed=5, speed=20)
    symbols = [s.lower() for s in near_money(market, "BTC", 3)]
    expiry = first_expiry(market)
    listing = _Listing(market)
    exchange = make_exchange(market=listing)
    expected: Dict[str, type] = {
        f"{symbols[0]}@optionTrade": Trade,
        "btcusdt@optionTrade": Trade,
        f"{symbols[0]}@optionTicker": Ticker,
        f"btcusdt@optionTicker@{expiry}": Ticker,
        f"btcusdt@optionTicker{expiry}": Ticker,
        f"{symbols[0]}@bookTicker": BookTicker,
        f"{symbols[0]}@depth5@100ms": BookDepth,
        f"{symbols[1]}@depth20@500ms": BookDepth,
        f"{symbols[0]}@depth@100ms": DepthUpdate,
        f"{symbols[2]}@depth@500ms": DepthUpdate,
        "!index@arr": IndexPrice,
        "btcusdt@optionMarkPrice": MarkPrice,
        f"{symbols[0]}@kline_1m": Kline,
        f"btcusdt@openInterest@{expiry}": OpenInterest,
        f"btcusdt@optionOpenInterest@{expiry}": OpenInterest,
        "!optionSymbol": NewSymbol,
    }
    sockets = {path: open_client(exchange, connect, f"/{path}/stream") for path in fstream.PATHS}
    on_path = {path: {name for name in expected if fstream.route(name) == path} for path in sockets}
    for path, ws in sockets.items():
        reply = request(ws, {"method": "SUBSCRIBE", "params": sorted(on_path[path]), "id": 1})
        assert reply == {"result": None, "id": 1}
    listing.list_new_expiry("BTC", datetime.date.today() + datetime.timedelta(days=400))
    received: Dict[str, List[Any]] = {}
    for path, ws in sockets.items():
        wanted = on_path[path]
        received.update(collect(ws, lambda got, wanted=wanted: wanted <= set(got), timeout=15.0))
    assert set(received) == set(expected)
    for name, payloads in received.items():
        for payload in payloads:
            example = SPEC_EXAMPLES[payload[0]["e"] if isinstance(payload, list) else payload["e"]]
            for item in payload if isinstance(payload, list) else [payload]:
                assert same_shape(item, example), (name, item)
            items = payload if isinstance(payload, list) else [payload]
            events = parse_message({"stream": name, "data": payload}, endpoint="fstream")
            assert len(events) == len(items)
            for item, event in zip(items, events):
                assert type(event) is expected[name], (name, event)
                # An option without a bid (or ask) has "-1.0" for its IV: None, by design.
                no_quote = [
                    field
                    for field, key in (("bid_iv", "b"), ("ask_iv", "a"))
                    if type(event) is MarkPrice and item.get(key) == "-1.0"
                ]
                assert missing_fields(event) == no_quote, (name, event)
                assert event.stream == name


def test_diff_depth_applied_to_the_rest_snapshot_gives_the_later_rest_book(
    make_exchange: MakeExchange, connect: Connect
) -> None:
    exchange = make_exchange(market=SyntheticMarket(seed=6))
    market: SyntheticMarket = exchange.market  # type: ignore[assignment]
    symbol = near_money(market, "ETH", 1)[0]
    ws = open_client(exchange, connect, f"/public/ws/{symbol.lower()}@depth@100ms")
    ws.settimeout(5.0)
    events = [json.loads(ws.recv())]  # subscribe first, then ask for the snapshot

    def snapshot() -> Dict[str, Any]:
        response = requests.get(
            exchange.rest_url + "/eapi/v1/depth",
            params={"symbol": symbol, "limit": 1000},
            timeout=5.0,
        )
        assert response.status_code == 200
        body: Dict[str, Any] = response.json()
        return body

    first, second = snapshot(), None
    books = {"first": (first, to_book(first["bids"], first["asks"]), [False])}
    while len(events) < 20:
        events.append(json.loads(ws.recv()))
        if len(events) == 6:
            second = snapshot()
            books["second"] = (second, to_book(second["bids"], second["asks"]), [False])
        for snap, book, started in books.values():
            event = events[-1]
            if event["u"] <= snap["lastUpdateId"]:
                continue
            if not started[0]:  # the first event to apply straddles the snapshot
                assert event["U"] <= snap["lastUpdateId"] + 1 <= event["u"]
                started[0] = True
            apply(book, event)
    assert second is not None
    assert second["lastUpdateId"] > first["lastUpdateId"]
    assert all(b["pu"] == a["u"] and b["U"] == a["u"] + 1 for a, b in zip(events, events[1:]))
    assert all(started[0] for _, _, started in books.values())
    # Both local books followed the same events from different snapshots: they agree.
    assert books["first"][1] == books["second"][1]
    assert books["first"][1]["bids"]
    assert books["first"][1]["asks"]


def test_the_gap_fault_makes_pu_differ_from_the_previous_u(
    make_exchange: MakeExchange, connect: Connect
) -> None:
    exchange = make_exchange(market=True)
    symbol = near_money(exchange.market, "BTC", 1)[0]  # type: ignore[arg-type]
    ws = open_client(exchange, connect, f"/public/ws/{symbol.lower()}@depth@100ms")
    ws.settimeout(5.0)
    events = [json.loads(ws.recv()) for _ in range(2)]
    assert events[1]["pu"] == events[0]["u"]
    exchange.skip_depth_updates(symbol.lower(), count=2)
    while events[-1]["pu"] == events[-2]["u"]:
        events.append(json.loads(ws.recv()))
        assert len(events) < 30, "no gap"
    gap = events[-1]
    assert gap["pu"] > events[-2]["u"]
    assert gap["U"] == gap["pu"] + 1
    after = json.loads(ws.recv())
    assert after["pu"] == gap["u"]  # two events lost, then the stream goes on


def test_skip_depth_updates_checks_its_arguments(
    make_exchange: MakeExchange, exchange: FakeExchange
) -> None:
    with pytest.raises(RuntimeError, match="market"):
        exchange.skip_depth_updates("BTC-261225-100000-C")
    market_exchange = make_exchange(market=True)
    with pytest.raises(ValueError, match="not listed"):
        market_exchange.skip_depth_updates("BTC-990101-100000-C")
    symbol = market_exchange.market.symbols("BTC")[0]  # type: ignore[union-attr]
    with pytest.raises(ValueError, match="positive integer"):
        market_exchange.skip_depth_updates(symbol, count=0)


# --------------------------------------------------------------------------
# REST depth
# --------------------------------------------------------------------------


def test_rest_depth_returns_the_book_with_its_update_id(make_exchange: MakeExchange) -> None:
    exchange = make_exchange(market=True)
    assert exchange.rest_url == exchange.url.replace("ws://", "http://")
    symbol = near_money(exchange.market, "BTC", 1)[0]  # type: ignore[arg-type]
    url = exchange.rest_url + "/eapi/v1/depth"
    response = requests.get(url, params={"symbol": symbol}, timeout=5.0)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    body = response.json()
    assert sorted(body) == ["T", "asks", "bids", "lastUpdateId"]
    assert isinstance(body["lastUpdateId"], int)
    assert isinstance(body["T"], int)
    assert abs(body["T"] - time.time() * 1000) < 5_000
    bids = [float(price) for price, _ in body["bids"]]
    asks = [float(price) for price, _ in body["asks"]]
    assert bids == sorted(bids, reverse=True)
    assert asks == sorted(asks)
    assert 0 < len(asks) <= 100
    assert bids[0] < asks[0]
    assert all(float(qty) > 0 for _, qty in body["bids"] + body["asks"])
    limited = requests.get(url, params={"symbol": symbol.lower(), "limit": 10}, timeout=5.0)
    assert limited.status_code == 200
    assert len(limited.json()["asks"]) == 10
    assert limited.json()["lastUpdateId"] >= body["lastUpdateId"]


@pytest.mark.parametrize(
    ("params", "status", "code"),
    [
        ({"symbol": "BTC-990101-100000-C"}, 400, -1121),
        ({"symbol": "nonsense", "limit": 10}, 400, -1121),
        ({"symbol": "{symbol}", "limit": 7}, 400, -1100),
        ({"symbol": "{symbol}", "limit": "ten"}, 400, -1100),
        ({"limit": 10}, 400, -1102),
        ({"symbol": ["{symbol}", "{symbol}"]}, 400, -1101),
    ],
)
def test_rest_depth_errors_are_shaped_like_binance(
    make_exchange: MakeExchange, params: Dict[str, Any], status: int, code: int
) -> None:
    exchange = make_exchange(market=True)
    symbol = exchange.market.symbols("BTC")[0]  # type: ignore[union-attr]
    filled = {
        key: [v.format(symbol=symbol) for v in value]
        if isinstance(value, list)
        else value.format(symbol=symbol)
        if isinstance(value, str)
        else value
        for key, value in params.items()
    }
    response = requests.get(exchange.rest_url + "/eapi/v1/depth", params=filled, timeout=5.0)
    assert response.status_code == status
    body = response.json()
    assert body["code"] == code
    assert body["msg"]
    if code == -1121:
        assert body == {"code": -1121, "msg": "Invalid symbol."}


def test_rest_without_a_market_and_unknown_routes(exchange: FakeExchange) -> None:
    depth = requests.get(
        exchange.rest_url + "/eapi/v1/depth", params={"symbol": "BTC-261225-100000-C"}, timeout=5.0
    )
    assert (depth.status_code, depth.json()["code"]) == (400, -1121)
    other = requests.get(exchange.rest_url + "/eapi/v1/ticker", timeout=5.0)
    assert other.status_code == 404
    assert exchange.connection_count == 0  # REST requests are not connections


def test_refusing_connections_leaves_rest_alone(make_exchange: MakeExchange) -> None:
    exchange = make_exchange(market=True)
    exchange.refuse_connections(30.0, status=503)
    symbol = exchange.market.symbols("BTC")[0]  # type: ignore[union-attr]
    response = requests.get(
        exchange.rest_url + "/eapi/v1/depth", params={"symbol": symbol}, timeout=5.0
    )
    assert response.status_code == 200
    with pytest.raises(websocket.WebSocketBadStatusException):
        websocket.create_connection(exchange.url + "/public/ws", timeout=5.0).close()


# --------------------------------------------------------------------------
# Limits and faults work the same on the new paths
# --------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/public/ws", "/market/stream"])
def test_rate_limit_pings_and_close_on_fstream_paths(
    make_exchange: MakeExchange, connect: Connect, path: str
) -> None:
    exchange = make_exchange(max_messages_per_second=3, ping_interval=0.1, pong_timeout=5.0)
    ws = open_client(exchange, connect, path)
    ws.settimeout(5.0)
    opcode, _ = ws.recv_data_frame(control_frame=True)
    assert opcode == ABNF.OPCODE_PING  # the server pings on every path
    for _ in range(4):
        ws.send(json.dumps({"method": "LIST_SUBSCRIPTIONS", "id": 1}))
    assert read_until_close(ws) == 1008


def test_faults_reach_fstream_connections(exchange: FakeExchange, connect: Connect) -> None:
    public = open_client(exchange, connect, "/public/stream")
    market = open_client(exchange, connect, "/market/ws")
    assert exchange.send_malformed("unknown_event") == 2
    assert json.loads(public.recv())["stream"] == "btcusdt@futureEvent"
    assert json.loads(market.recv())["e"] == "futureEvent"
    assert exchange.send_malformed("empty_array") == 2
    assert json.loads(public.recv()) == {"stream": "btcusdt@optionMarkPrice", "data": []}
    assert json.loads(market.recv()) == []
    assert exchange.send_malformed("truncated_json") == 2
    assert public.recv().startswith('{"stream":"!index@arr","data":[')
    assert market.recv().startswith('[{"e":"indexPrice"')
    exchange.stall()
    exchange.publish("!index@arr", [])
    exchange.resume()
    assert request(market, {"method": "LIST_SUBSCRIPTIONS", "id": 3}) == {"result": [], "id": 3}
    exchange.close_connections(1012, "restart")
    assert read_until_close(public) == 1012
    assert read_until_close(market) == 1012


def test_drop_connections_on_fstream_paths(exchange: FakeExchange, connect: Connect) -> None:
    ws = open_client(exchange, connect, "/market/ws/!index@arr")
    exchange.drop_connections()
    ws.settimeout(5.0)
    with pytest.raises((websocket.WebSocketConnectionClosedException, ConnectionError)):
        _read_until_lost(ws)


def _read_until_lost(ws: websocket.WebSocket) -> None:
    while True:
        opcode, _ = ws.recv_data_frame(control_frame=True)
        assert opcode != ABNF.OPCODE_CLOSE, "the connection was closed with a close frame"


def test_publish_reaches_fstream_subscribers(exchange: FakeExchange, connect: Connect) -> None:
    raw = open_client(exchange, connect, "/market/ws/!index@arr")
    combined = open_client(exchange, connect, "/market/stream?streams=!index@arr")
    payload = [{"e": "indexPrice", "E": 1, "s": "BTCUSDT", "p": "100000"}]
    assert exchange.publish("!index@arr", payload) == 2
    assert json.loads(raw.recv()) == payload
    assert json.loads(combined.recv()) == {"stream": "!index@arr", "data": payload}


# --------------------------------------------------------------------------
# The market, polled directly
# --------------------------------------------------------------------------


def make(seed: int = 1, speed: float = 1.0) -> SyntheticMarket:
    return SyntheticMarket(seed=seed, start=START, speed=speed)


def run(
    market: SyntheticMarket, names: Iterable[str], duration_ms: int, step_ms: int = 20
) -> List[Tuple[int, str, Any]]:
    subscribed = list(names)
    return [
        (now, name, payload)
        for now in range(T0, T0 + duration_ms + 1, step_ms)
        for name, payload in market.poll(now, subscribed)
    ]


def test_both_endpoints_show_the_same_market() -> None:
    market = make(seed=8, speed=10)
    symbol = near_money(market, "BTC", 1)[0]
    low = symbol.lower()
    expiry = first_expiry(market)
    pairs = {
        f"{symbol}@ticker": f"{low}@optionTicker",
        "BTCUSDT@index": "!index@arr",
        "BTC@trade": "btcusdt@optionTrade",
        f"{symbol}@kline_1m": f"{low}@kline_1m",
        f"BTC@openInterest@{expiry}": f"btcusdt@openInterest@{expiry}",
        f"BTC@ticker@{expiry}": f"btcusdt@optionTicker@{expiry}",
    }
    polled = run(market, [*pairs, *pairs.values(), "btcusdt@optionMarkPrice"], 5 * SECOND)
    by_time: Dict[Tuple[int, str], List[Any]] = defaultdict(list)
    for now, name, payload in polled:
        by_time[now, name].append(payload)
    compared = 0
    for (now, old), payloads in by_time.items():
        if old not in pairs:
            continue
        new_payloads = by_time[now, pairs[old]]
        old_events = [e for p in payloads for e in parse_message({"stream": old, "data": p})]
        new_events = [
            e
            for p in new_payloads
            for e in parse_message({"stream": pairs[old], "data": p}, endpoint="fstream")
        ]
        if old == "BTCUSDT@index":
            new_events = [e for e in new_events if e.symbol == "BTCUSDT"]
        assert len(old_events) == len(new_events), old
        for a, b in zip(old_events, new_events):
            shared = {
                f.name
                for f in attrs.fields(type(a))
                if getattr(a, f.name) is not None and getattr(b, f.name) is not None
            } - {"stream"}
            assert {n: getattr(a, n) for n in shared} == {n: getattr(b, n) for n in shared}, old
            if isinstance(a, Trade) and isinstance(b, Trade):
                assert a.quantity == b.quantity > 0  # positive on both endpoints, as live
                assert b.side == ("BUY" if a.direction == 1 else "SELL")
                assert b.is_buyer_maker is (a.direction == -1)
            compared += 1
    assert compared > 50
    # fstream's mark price carries what nbstream's ticker had: book top, IVs, greeks.
    # The marks come split over several messages; fstream writes fixed decimals and
    # its mark one decimal finer (BTC: 3), so the values agree, not the texts.
    ticker_at = {now: p for now, n, p in polled if n == f"{symbol}@ticker"}
    marks_at: Dict[int, List[Any]] = defaultdict(list)
    for now, name, payload in polled:
        if name == "btcusdt@optionMarkPrice" and now in ticker_at:
            marks_at[now].extend(m for m in payload if m["s"] == symbol)
    assert marks_at
    for now, found in marks_at.items():
        [mark] = found
        ticker = ticker_at[now]
        for key in ("bo", "ao", "bq", "aq", "d", "t", "g", "v", "vo", "hl", "ll"):
            assert float(mark[key]) == float(ticker[key]), key
        assert float(mark["mp"]) == pytest.approx(float(ticker["mp"]), abs=0.006)


def test_the_ticker_by_expiration_sends_one_message_per_option() -> None:
    market = make()
    expiry = first_expiry(market)
    chain = [s for s in market.symbols("BTC") if s.split("-")[1] == expiry]
    for name in (f"btcusdt@optionTicker@{expiry}", f"btcusdt@optionTicker{expiry}"):
        polled = market.poll(T0, [name])
        assert [payload["s"] for _, payload in polled] == chain  # type: ignore[index]


def test_names_in_the_wrong_case_or_of_nothing_listed_give_nothing() -> None:
    symbol = near_money(make(), "BTC", 1)[0]
    for name in (
        f"{symbol}@optionTicker",  # uppercase symbol
        "BTCUSDT@optionMarkPrice",
        "!INDEX@arr",
        f"{symbol.lower()}@ticker",  # a legacy name, lowercase
        "solusdt@optionMarkPrice",  # an underlying this market does not simulate
        "btc-990101-100000-c@depth@100ms",  # not listed
    ):
        polled = run(make(speed=10), [name, "btcusdt@optionTrade"], 2 * SECOND, step_ms=50)
        assert polled
        assert [n for _, n, _ in polled if n == name] == []


def test_diff_depth_events_chain_and_rebuild_every_later_snapshot() -> None:
    for speed in ("100ms", "500ms"):
        market = make(seed=3)
        symbol = near_money(market, "BTC", 1)[0]
        name = f"{symbol.lower()}@depth@{speed}"
        book: Optional[Book] = None
        snapshot: Dict[str, Any] = {}
        events: List[Dict[str, Any]] = []
        matched = 0
        for now in range(T0, T0 + 20 * SECOND + 1, 20):
            for _, payload in market.poll(now, [name]):
                events.append(payload)  # type: ignore[arg-type]
                if book is not None and payload["u"] > snapshot["lastUpdateId"]:  # type: ignore[index]
                    apply(book, payload)  # type: ignore[arg-type]
            if now == T0 + 3 * SECOND + 40:
                snapshot = market.depth_snapshot(symbol, 1000, now)
                book = to_book(snapshot["bids"], snapshot["asks"])  # type: ignore[arg-type]
            if book is not None and now % 500 == 0 and now > T0 + 4 * SECOND:
                later = market.depth_snapshot(symbol, 1000, now)
                if later["lastUpdateId"] == events[-1]["u"]:  # the stream is up to date
                    assert to_book(later["bids"], later["asks"]) == book  # type: ignore[arg-type]
                    matched += 1
        assert matched >= 10, speed
        assert all(b["pu"] == a["u"] and b["U"] == a["u"] + 1 for a, b in zip(events, events[1:]))
        assert any(float(q) == 0 for e in events for _, q in e["b"] + e["a"])  # removals


def test_partial_depth_and_book_ticker_show_the_same_book() -> None:
    market = make(seed=2)
    symbol = near_money(market, "ETH", 1)[0]
    low = symbol.lower()
    names = [f"{low}@depth5@100ms", f"{low}@depth20@100ms", f"{low}@bookTicker"]
    polled = run(market, names, 3 * SECOND, step_ms=100)
    by_time: Dict[int, Dict[str, Any]] = defaultdict(dict)
    for now, name, payload in polled:
        by_time[now][name] = payload
    book_tickers = 0
    for payloads in by_time.values():
        depth5, depth20 = payloads[names[0]], payloads[names[1]]
        assert (depth20["b"][:5], depth20["a"][:5]) == (depth5["b"], depth5["a"])
        assert (len(depth5["a"]), len(depth20["a"])) == (5, 20)
        assert depth5["u"] == depth20["u"]
        assert depth5["U"] <= depth5["u"]
        bids = [float(p) for p, _ in depth20["b"]]
        asks = [float(p) for p, _ in depth20["a"]]
        assert bids == sorted(bids, reverse=True)
        assert asks == sorted(asks)
        assert bids[0] < asks[0]
        if names[2] in payloads:
            top = payloads[names[2]]
            assert [[top["b"], top["B"]], [top["a"], top["A"]]] == [depth5["b"][0], depth5["a"][0]]
            assert top["u"] == depth5["u"]
            book_tickers += 1
    assert 20 <= book_tickers <= 31  # on every change, at most every 100 ms


def test_a_new_expiry_is_announced_on_option_symbol() -> None:
    market = make()
    market.poll(T0, ["!optionSymbol", "option_pair"])
    listed = market.list_new_expiry("ETH", datetime.date(2026, 6, 26), now_ms=T0 + 1000)
    polled = market.poll(T0 + 1000, ["!optionSymbol", "option_pair"])
    fresh = [p for n, p in polled if n == "!optionSymbol"]
    old = [p for n, p in polled if n == "option_pair"]
    assert [p["s"] for p in fresh] == [p["s"] for p in old] == listed  # type: ignore[index]
    [first] = parse_message({"stream": "!optionSymbol", "data": fresh[0]}, endpoint="fstream")
    assert isinstance(first, NewSymbol)
    assert (first.underlying, first.unit, first.status) == ("ETHUSDT", 1, "TRADING")
    assert (first.expiration_time, first.onboard_time) == (1782460800000, T0 + 1000)
    assert market.poll(T0 + 2000, ["!optionSymbol"]) == []


def test_same_seed_gives_the_same_fstream_data() -> None:
    names = ["!index@arr", "btcusdt@optionTrade", "ethusdt@optionMarkPrice"]
    market = make(seed=9, speed=5)
    symbol = near_money(market, "BTC", 1)[0].lower()
    names += [f"{symbol}@depth@100ms", f"{symbol}@bookTicker"]
    first = run(market, names, 3 * SECOND)
    second = run(make(seed=9, speed=5), names, 3 * SECOND)
    assert len(first) > 50
    assert json.dumps(first) == json.dumps(second)


def test_skip_depth_updates_loses_exactly_the_next_events() -> None:
    names = ["btc-260109-100000-c@depth@100ms"]
    twin = run(make(seed=4), names, 3 * SECOND)
    market = make(seed=4)
    market.skip_depth_updates("BTC-260109-100000-C", count=2)  # before the stream starts
    skipped = run(market, names, 3 * SECOND)
    assert len(twin) > 20
    assert [p for _, _, p in skipped] == [p for _, _, p in twin[2:]]
    assert skipped[0][2]["pu"] == twin[1][2]["u"]  # the gap a client would notice


# --------------------------------------------------------------------------
# Live shapes: fixed decimals, split mark arrays, jumping update ids
# --------------------------------------------------------------------------

#: The price scale of each simulated underlying's options (live: BTC "1420.000", ETH "16.6000").
PRICE_SCALE = {"BTC": 3, "ETH": 4}
#: Decimals of every number field of each fstream payload: "price" is the option's price
#: scale; quantities and volumes have 2, quote amounts 4, the index, greeks and IVs 8.
FSTREAM_DECIMALS: Dict[str, Dict[str, object]] = {
    "24hrTicker": {
        "p": "price", "P": 4, "w": "price", "c": "price", "Q": 2, "o": "price",
        "h": "price", "l": "price", "v": 2, "q": 4,
    },
    "markPrice": {
        "mp": "price", "i": 8, "P": "price", "bo": "price", "ao": "price", "bq": 2,
        "aq": 2, "b": 8, "a": 8, "hl": "price", "ll": "price", "vo": 8, "rf": 1,
        "d": 8, "t": 8, "g": 8, "v": 8,
    },
    "bookTicker": {"b": "price", "B": 2, "a": "price", "A": 2},
    "indexPrice": {"p": 8},
    "trade": {"p": "price", "q": 2},
    "kline": {
        "o": "price", "c": "price", "h": "price", "l": "price", "v": 2, "V": 2, "q": 4, "Q": 4,
    },
    "openInterest": {"o": 2},
}  # fmt: skip


def decimals_of(text: str) -> int:
    assert re.fullmatch(r"-?\d+\.\d+", text), text  # fixed point, never an exponent
    return len(text.split(".")[1])


@pytest.fixture(scope="module")
def fstream_polled() -> List[Tuple[int, str, Any]]:
    market = make(seed=4, speed=20)
    symbols = near_money(market, "BTC", 2) + near_money(market, "ETH", 2)
    expiry = first_expiry(market)
    names = ["!index@arr", "btcusdt@optionMarkPrice", "ethusdt@optionMarkPrice"]
    names += ["btcusdt@optionTrade", "ethusdt@optionTrade", f"btcusdt@openInterest@{expiry}"]
    for symbol in (s.lower() for s in symbols):
        names += [f"{symbol}@{kind}" for kind in ("optionTicker", "bookTicker", "kline_1m")]
        names += [f"{symbol}@depth10@100ms", f"{symbol}@depth@100ms"]
    return run(market, names, 6 * SECOND, step_ms=100)


def test_every_fstream_number_keeps_its_fixed_decimals(
    fstream_polled: List[Tuple[int, str, Any]],
) -> None:
    seen = set()
    for _, _, payload in fstream_polled:
        for item in payload if isinstance(payload, list) else [payload]:
            asset = item["s"].split("-")[0]
            fields = item["k"] if item["e"] == "kline" else item
            if item["e"] == "depthUpdate":
                for price, quantity in item["b"] + item["a"]:
                    assert decimals_of(price) == PRICE_SCALE[asset]
                    assert decimals_of(quantity) == 2
                seen.add(item["e"])
                continue
            for key, decimals in FSTREAM_DECIMALS[item["e"]].items():
                if fields[key] == "-1.0" and item["e"] == "markPrice" and key in "ba":
                    continue  # no implied volatility on that side
                expected = PRICE_SCALE[asset] if decimals == "price" else decimals
                assert decimals_of(fields[key]) == expected, (item["e"], key, fields[key])
            seen.add(item["e"])
    assert seen == {*FSTREAM_DECIMALS, "depthUpdate"}


def test_fstream_zeros_keep_their_decimals(fstream_polled: List[Tuple[int, str, Any]]) -> None:
    marks = [m for _, n, p in fstream_polled if n == "btcusdt@optionMarkPrice" for m in p]
    assert {m["rf"] for m in marks} == {"0.0"}
    assert "0.000" in {m["P"] for m in marks}  # no estimated settle price yet: BTC's scale
    diffs = [p for _, n, p in fstream_polled if "@depth@" in n]
    removals = [q for p in diffs for _, q in p["b"] + p["a"] if not float(q)]
    assert removals
    assert set(removals) == {"0.00"}


def test_fstream_mark_price_arrays_carry_one_to_three_marks_covering_the_chain() -> None:
    market = make(seed=5)
    chain = set(market.symbols("BTC"))
    polled = run(market, ["btcusdt@optionMarkPrice"], 3 * SECOND, step_ms=100)
    by_time: Dict[int, List[str]] = defaultdict(list)
    for now, _, payload in polled:
        assert 1 <= len(payload) <= 3
        by_time[now].extend(item["s"] for item in payload)
    assert len(by_time) == 4
    for symbols in by_time.values():
        assert sorted(symbols) == sorted(chain)  # every mark once per second
    sizes = {len(payload) for _, _, payload in polled}
    assert sizes == {1, 2, 3}
    assert run(make(seed=5), ["btcusdt@optionMarkPrice"], 3 * SECOND, step_ms=100) == polled


def test_fstream_partial_depth_update_ids_jump(fstream_polled: List[Tuple[int, str, Any]]) -> None:
    partial = [p for _, n, p in fstream_polled if "@depth10@" in n]
    assert len(partial) > 100
    for payload in partial:
        assert payload["U"] - payload["pu"] > 1
        assert payload["u"] - payload["U"] > 1
    diffs = [p for _, n, p in fstream_polled if "@depth@" in n]
    assert all(p["U"] == p["pu"] + 1 for p in diffs)  # the diff stream still chains


def test_fstream_kline_ends_at_start_plus_interval(
    fstream_polled: List[Tuple[int, str, Any]],
) -> None:
    klines = [p["k"] for _, n, p in fstream_polled if "@kline_1m" in n]
    assert klines
    assert all(k["T"] - k["t"] == 60_000 for k in klines)
