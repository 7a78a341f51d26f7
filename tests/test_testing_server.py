"""Tests of the fake exchange's server, driven by plain websocket-client sockets."""

from __future__ import annotations

import json
import logging
import statistics
import struct
import subprocess
import sys
import threading
import time
import types
from types import MappingProxyType
from typing import Any, Callable, Collection, Dict, Iterator, List, Mapping, Sequence, Tuple, Union

import pytest
import websocket
from websocket import ABNF

from binance_options_ws import IndexPrice, endpoints, parse_message
from binance_options_ws.dialects import Dialect, StreamKind, StreamName
from binance_options_ws.dialects.base import PayloadParser
from binance_options_ws.exceptions import InvalidStreamError
from binance_options_ws.testing import FakeExchange, SyntheticMarket
from binance_options_ws.testing import _engine as engine_module
from binance_options_ws.testing.renderers import (
    Plan,
    Render,
    Renderer,
    register_renderer,
    renderer_for,
    unregister_renderer,
)

Connect = Callable[..., websocket.WebSocket]
MakeExchange = Callable[..., FakeExchange]

UNSIGNED_ID = {"code": 2, "msg": "Invalid request: request ID must be an unsigned integer"}
METHODS = "`SUBSCRIBE`, `UNSUBSCRIBE`, `LIST_SUBSCRIPTIONS`, `SET_PROPERTY`, `GET_PROPERTY`"
INDEX = {"e": "index", "E": 1661415480351, "s": "BTCUSDT", "p": "1707.89"}


# --------------------------------------------------------------------------
# Fixtures and helpers
# --------------------------------------------------------------------------


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


def request(ws: websocket.WebSocket, message: Union[str, Dict[str, Any]]) -> Any:
    """Send one control message and return the decoded reply."""
    ws.send(message if isinstance(message, str) else json.dumps(message))
    return json.loads(ws.recv())


def open_client(exchange: FakeExchange, connect: Connect, path: str) -> websocket.WebSocket:
    """Connect to ``path`` and wait until the exchange lists the connection."""
    count = exchange.connection_count
    ws = connect(exchange.url + path)
    exchange.wait_until(lambda: exchange.connection_count == count + 1, message="the connection")
    return ws


def read_until_close(ws: websocket.WebSocket, timeout: float = 5.0) -> Tuple[int, str, List[int]]:
    """Read frames until a close frame; return its code, its reason and the opcodes before."""
    ws.settimeout(timeout)
    opcodes: List[int] = []
    while True:
        opcode, frame = ws.recv_data_frame(control_frame=True)
        if opcode == ABNF.OPCODE_CLOSE:
            (code,) = struct.unpack("!H", frame.data[:2])
            return code, frame.data[2:].decode(), opcodes
        opcodes.append(opcode)


def _read_until_lost(ws: websocket.WebSocket) -> None:
    while True:
        opcode, _ = ws.recv_data_frame(control_frame=True)
        assert opcode != ABNF.OPCODE_CLOSE, "the connection was closed with a close frame"


def assert_lost_without_close_frame(ws: websocket.WebSocket) -> None:
    ws.settimeout(5.0)
    with pytest.raises((websocket.WebSocketConnectionClosedException, ConnectionError)):
        _read_until_lost(ws)


def pings_from(exchange: FakeExchange, connection_id: int, kind: str) -> int:
    """How many frames of ``kind`` the exchange read from one connection."""
    return sum(f.kind == kind and f.connection_id == connection_id for f in exchange.incoming_log)


def count_is(
    exchange: FakeExchange, connection_id: int, kind: str, count: int
) -> Callable[[], bool]:
    return lambda: pings_from(exchange, connection_id, kind) == count


# --------------------------------------------------------------------------
# Paths
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "combined", "subscriptions"),
    [
        ("/ws", False, ()),
        ("/ws/", False, ()),
        ("/ws/BTCUSDT@index", False, ("BTCUSDT@index",)),
        ("/stream", True, ()),
        ("/stream?streams=ETH@markPrice/BTCUSDT@index", True, ("ETH@markPrice", "BTCUSDT@index")),
        ("/stream?streams=BTCUSDT%40index", True, ("BTCUSDT@index",)),
    ],
)
def test_paths_set_combined_and_initial_streams(
    exchange: FakeExchange,
    connect: Connect,
    path: str,
    combined: bool,
    subscriptions: Tuple[str, ...],
) -> None:
    ws = open_client(exchange, connect, path)
    [info] = exchange.connections
    assert (info.path, info.combined, info.subscriptions) == (path, combined, subscriptions)
    assert request(ws, {"method": "GET_PROPERTY", "params": ["combined"], "id": 1}) == {
        "result": combined,
        "id": 1,
    }
    assert request(ws, {"method": "LIST_SUBSCRIPTIONS", "id": 2}) == {
        "result": list(subscriptions),
        "id": 2,
    }


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/", 404),
        ("/eoptions/ws", 404),
        ("/ws/BTCUSDT@index/ETHUSDT@index", 404),
        ("/streams", 404),
        ("/ws/BTC USDT@index", 400),
        ("/stream?streams=BTCUSDT@index/nonsense", 400),
    ],
)
def test_bad_paths_are_refused_at_the_handshake(
    exchange: FakeExchange, connect: Connect, path: str, status: int
) -> None:
    with pytest.raises(websocket.WebSocketBadStatusException) as caught:
        connect(exchange.url + path.replace(" ", "%20"))
    assert caught.value.status_code == status
    assert exchange.connection_count == 0


# --------------------------------------------------------------------------
# Control messages
# --------------------------------------------------------------------------


def test_subscribe_unsubscribe_and_list(exchange: FakeExchange, connect: Connect) -> None:
    ws = open_client(exchange, connect, "/stream")
    streams = ["BTCUSDT@index", "ETH@markPrice", "BTC@trade"]
    assert request(ws, {"method": "SUBSCRIBE", "params": streams, "id": 1}) == {
        "result": None,
        "id": 1,
    }
    assert request(ws, {"method": "SUBSCRIBE", "params": ["BTCUSDT@index"], "id": 2}) == {
        "result": None,
        "id": 2,
    }
    assert request(ws, {"method": "LIST_SUBSCRIPTIONS", "id": 3}) == {"result": streams, "id": 3}
    assert exchange.connections[0].subscriptions == tuple(streams)
    assert exchange.subscriptions == frozenset(streams)

    assert request(ws, {"method": "UNSUBSCRIBE", "params": ["ETH@markPrice"], "id": 312}) == {
        "result": None,
        "id": 312,
    }
    assert request(ws, {"method": "LIST_SUBSCRIPTIONS", "id": 4})["result"] == [
        "BTCUSDT@index",
        "BTC@trade",
    ]
    assert exchange.subscriptions == frozenset({"BTCUSDT@index", "BTC@trade"})


def test_set_property_switches_the_wrapping_of_later_data(
    exchange: FakeExchange, connect: Connect
) -> None:
    ws = open_client(exchange, connect, "/ws/BTCUSDT@index")
    exchange.publish("BTCUSDT@index", INDEX)
    assert json.loads(ws.recv()) == INDEX

    set_true = {"method": "SET_PROPERTY", "params": ["combined", True], "id": 5}
    assert request(ws, set_true) == {"result": None, "id": 5}
    assert request(ws, {"method": "GET_PROPERTY", "params": ["combined"], "id": 6}) == {
        "result": True,
        "id": 6,
    }
    assert exchange.connections[0].combined is True
    exchange.publish("BTCUSDT@index", INDEX)
    assert json.loads(ws.recv()) == {"stream": "BTCUSDT@index", "data": INDEX}

    set_false = {"method": "SET_PROPERTY", "params": ["combined", False], "id": 7}
    assert request(ws, set_false) == {"result": None, "id": 7}
    exchange.publish("BTCUSDT@index", INDEX)
    assert json.loads(ws.recv()) == INDEX


@pytest.mark.parametrize(
    ("message", "reply"),
    [
        pytest.param(
            {"method": "SET_PROPERTY", "params": ["compressed", True], "id": 1},
            {"code": 0, "msg": "Unknown property", "id": 1},
            id="unknown-property-set",
        ),
        pytest.param(
            {"method": "GET_PROPERTY", "params": ["Combined"], "id": 1},
            {"code": 0, "msg": "Unknown property", "id": 1},
            id="unknown-property-get",
        ),
        pytest.param(
            {"method": "SET_PROPERTY", "params": ["combined", "true"], "id": 2},
            {"code": 1, "msg": "Invalid value type: expected Boolean", "id": 2},
            id="invalid-value-type",
        ),
        pytest.param(
            {"method": "SET_PROPERTY", "params": ["combined"], "id": 2},
            {"code": 1, "msg": "Invalid value type: expected Boolean", "id": 2},
            id="missing-value",
        ),
        pytest.param(
            {"method": "SET_PROPERTY", "params": [5, True], "id": 3},
            {"code": 2, "msg": "Invalid request: property name must be a string", "id": 3},
            id="property-name-not-a-string",
        ),
        pytest.param(
            {"method": "GET_PROPERTY", "params": [], "id": 3},
            {"code": 2, "msg": "Invalid request: property name must be a string", "id": 3},
            id="property-name-not-provided",
        ),
        pytest.param({"method": "LIST_SUBSCRIPTIONS", "id": -1}, UNSIGNED_ID, id="negative-id"),
        pytest.param({"method": "LIST_SUBSCRIPTIONS", "id": "7"}, UNSIGNED_ID, id="string-id"),
        pytest.param({"method": "LIST_SUBSCRIPTIONS", "id": 1.5}, UNSIGNED_ID, id="float-id"),
        pytest.param({"method": "LIST_SUBSCRIPTIONS", "id": True}, UNSIGNED_ID, id="bool-id"),
        pytest.param({"method": "LIST_SUBSCRIPTIONS", "id": 2**64}, UNSIGNED_ID, id="huge-id"),
        pytest.param({"method": "LIST_SUBSCRIPTIONS"}, UNSIGNED_ID, id="missing-id"),
        pytest.param(
            {"method": "SET_PROPERTY", "params": ["combined", True, 1], "id": 4},
            {"code": 2, "msg": "Invalid request: too many parameters", "id": 4},
            id="too-many-parameters-set",
        ),
        pytest.param(
            {"method": "GET_PROPERTY", "params": ["combined", "x"], "id": 4},
            {"code": 2, "msg": "Invalid request: too many parameters", "id": 4},
            id="too-many-parameters-get",
        ),
        pytest.param(
            {"method": "LIST_SUBSCRIPTIONS", "params": ["x"], "id": 4},
            {"code": 2, "msg": "Invalid request: too many parameters", "id": 4},
            id="too-many-parameters-list",
        ),
    ],
)
def test_error_table(
    exchange: FakeExchange, connect: Connect, message: Dict[str, Any], reply: Dict[str, Any]
) -> None:
    ws = open_client(exchange, connect, "/ws")
    assert request(ws, message) == reply
    # An error leaves the connection and its state as they were.
    assert request(ws, {"method": "GET_PROPERTY", "params": ["combined"], "id": 9}) == {
        "result": False,
        "id": 9,
    }


def test_unknown_method_error(exchange: FakeExchange, connect: Connect) -> None:
    ws = open_client(exchange, connect, "/ws")
    reply = request(ws, '{"method": "SUBSCRIBEE", "params": [], "id": 3}')
    assert reply["code"] == 2
    assert reply["id"] == 3
    assert reply["msg"] == (
        f"Invalid request: unknown variant `SUBSCRIBEE`, expected one of {METHODS} "
        "at line 1 column 23"
    )
    lowercase = request(ws, {"method": "subscribe", "params": [], "id": 4})
    assert lowercase["msg"].startswith("Invalid request: unknown variant `subscribe`")


def test_missing_method_error(exchange: FakeExchange, connect: Connect) -> None:
    ws = open_client(exchange, connect, "/ws")
    text = '{"params": ["BTCUSDT@index"], "id": 8}'
    assert request(ws, text) == {
        "code": 2,
        "msg": f"Invalid request: missing field `method` at line 1 column {len(text)}",
        "id": 8,
    }


@pytest.mark.parametrize(
    ("text", "msg"),
    [
        ("not json", "Invalid JSON: expected value at line 1 column 1"),
        ('{"method": "LIST_SUBSCRIPTIONS", "id": 1', "Invalid JSON: expected `,` or `}` "),
        ('{"method": "LIST_SUBSCRIPTIONS", "id": 1} x', "Invalid JSON: trailing characters "),
        ("", "Invalid JSON: expected value at line 1 column 1"),
    ],
)
def test_invalid_json_error(exchange: FakeExchange, connect: Connect, text: str, msg: str) -> None:
    ws = open_client(exchange, connect, "/ws")
    reply = request(ws, text)
    assert set(reply) == {"code", "msg"}
    assert reply["code"] == 3
    assert reply["msg"].startswith(msg)
    assert " at line 1 column " in reply["msg"]


def test_invalid_stream_names_are_refused_and_change_nothing(
    exchange: FakeExchange, connect: Connect
) -> None:
    ws = open_client(exchange, connect, "/stream?streams=BTCUSDT@index")
    reply = request(
        ws, {"method": "SUBSCRIBE", "params": ["ETH@markPrice", "BTC USDT@index"], "id": 1}
    )
    assert reply == {
        "code": 2,
        "msg": "Invalid request: invalid stream name `BTC USDT@index`",
        "id": 1,
    }
    assert request(ws, {"method": "SUBSCRIBE", "params": "BTCUSDT@index", "id": 2})["code"] == 2
    assert request(ws, {"method": "SUBSCRIBE", "params": [7], "id": 3})["code"] == 2
    assert exchange.connections[0].subscriptions == ("BTCUSDT@index",)


def test_lowercase_subscription_is_accepted_but_receives_nothing(
    exchange: FakeExchange, connect: Connect
) -> None:
    ws = open_client(exchange, connect, "/stream")
    reply = request(ws, {"method": "SUBSCRIBE", "params": ["btcusdt@index"], "id": 1})
    assert reply == {"result": None, "id": 1}
    assert exchange.subscriptions == frozenset({"btcusdt@index"})
    assert exchange.publish("BTCUSDT@index", INDEX) == 0


def test_stream_limit_per_connection(make_exchange: MakeExchange, connect: Connect) -> None:
    exchange = make_exchange(max_streams_per_connection=3)
    ws = open_client(exchange, connect, "/stream?streams=BTCUSDT@index/ETHUSDT@index")
    assert request(ws, {"method": "SUBSCRIBE", "params": ["BTC@trade"], "id": 1}) == {
        "result": None,
        "id": 1,
    }
    over = request(ws, {"method": "SUBSCRIBE", "params": ["ETH@trade", "BTC@trade"], "id": 2})
    assert over["code"] == 2
    assert over["id"] == 2
    assert "at most 3 streams" in over["msg"]
    expected = ["BTCUSDT@index", "ETHUSDT@index", "BTC@trade"]
    assert request(ws, {"method": "LIST_SUBSCRIPTIONS", "id": 3})["result"] == expected
    # Streams already subscribed do not count twice.
    assert request(ws, {"method": "SUBSCRIBE", "params": ["BTC@trade"], "id": 4})["result"] is None
    with pytest.raises(websocket.WebSocketBadStatusException) as caught:
        connect(exchange.url + "/stream?streams=BTCUSDT@index/ETHUSDT@index/BTC@trade/ETH@trade")
    assert caught.value.status_code == 400


# --------------------------------------------------------------------------
# Publishing
# --------------------------------------------------------------------------


def test_publish_reaches_only_subscribed_connections(
    exchange: FakeExchange, connect: Connect
) -> None:
    btc = open_client(exchange, connect, "/ws/BTCUSDT@index")
    eth = open_client(exchange, connect, "/stream?streams=ETHUSDT@index/ETH@markPrice")
    assert exchange.publish("BTCUSDT@index", INDEX) == 1
    assert exchange.publish("SOLUSDT@index", INDEX) == 0
    marks = [{"e": "markPrice", "s": "ETH-261225-3500-C", "mp": "30.3"}]
    assert exchange.publish("ETH@markPrice", marks) == 1
    assert json.loads(btc.recv()) == INDEX
    # ETH's first message is the mark price: the BTC index never reached it.
    assert json.loads(eth.recv()) == {"stream": "ETH@markPrice", "data": marks}
    [event] = parse_message(json.dumps({"stream": "BTCUSDT@index", "data": INDEX}))
    assert isinstance(event, IndexPrice)


def test_publish_encodes_once_per_message_not_per_connection(
    exchange: FakeExchange, connect: Connect, monkeypatch: pytest.MonkeyPatch
) -> None:
    clients = [open_client(exchange, connect, "/stream?streams=BTCUSDT@index") for _ in range(3)]
    clients += [open_client(exchange, connect, "/ws/BTCUSDT@index") for _ in range(2)]
    calls: List[Any] = []

    def counting_dumps(obj: Any, **kwargs: Any) -> str:
        calls.append(obj)
        return json.dumps(obj, **kwargs)

    monkeypatch.setattr(engine_module, "json", types.SimpleNamespace(dumps=counting_dumps))
    assert exchange.publish("BTCUSDT@index", INDEX) == 5
    monkeypatch.undo()
    assert calls == [INDEX, "BTCUSDT@index"]  # the payload once, the stream name once
    raw = json.dumps(INDEX, separators=(",", ":"))
    wrapped = json.dumps({"stream": "BTCUSDT@index", "data": INDEX}, separators=(",", ":"))
    assert [client.recv() for client in clients] == [wrapped] * 3 + [raw] * 2


def test_publish_needs_a_running_exchange() -> None:
    exchange = FakeExchange()
    with pytest.raises(RuntimeError, match="start"):
        exchange.publish("BTCUSDT@index", INDEX)
    with pytest.raises(RuntimeError, match="start"):
        _ = exchange.url


class _StubMarket:
    """Returns an index tick for each subscribed index stream; records its calls."""

    def __init__(self, fail_first: bool = False) -> None:
        self.calls: List[Tuple[int, Collection[str]]] = []
        self._fail_first = fail_first
        self._lock = threading.Lock()

    def poll(self, now_ms: int, subscribed: Collection[str]) -> List[Tuple[str, object]]:
        with self._lock:
            self.calls.append((now_ms, subscribed))
            if self._fail_first and len(self.calls) == 1:
                raise ValueError("the stub fails once")
        return [
            (name, {"e": "index", "E": now_ms, "s": name.split("@")[0], "p": "1"})
            for name in sorted(subscribed)
            if name.endswith("@index")
        ]

    def snapshot(self) -> List[Tuple[int, Collection[str]]]:
        with self._lock:
            return list(self.calls)


def test_market_is_polled_with_the_subscriptions_and_published(
    make_exchange: MakeExchange, connect: Connect
) -> None:
    market = _StubMarket()
    exchange = make_exchange(market=market, market_poll_interval=0.02)
    assert exchange.market is market
    ws = open_client(exchange, connect, "/stream?streams=ETHUSDT@index")
    message = json.loads(ws.recv())
    assert message["stream"] == "ETHUSDT@index"
    assert abs(message["data"]["E"] - time.time() * 1000) < 5_000
    exchange.wait_until(lambda: len(market.snapshot()) >= 5, message="five polls")
    now_ms, subscribed = market.snapshot()[-1]
    assert subscribed == frozenset({"ETHUSDT@index"})
    assert isinstance(subscribed, frozenset)
    assert abs(now_ms - time.time() * 1000) < 5_000


def test_a_failing_market_poll_is_logged_and_polling_goes_on(
    make_exchange: MakeExchange, connect: Connect, caplog: pytest.LogCaptureFixture
) -> None:
    market = _StubMarket(fail_first=True)
    with caplog.at_level(logging.ERROR, logger="binance_options_ws.testing"):
        exchange = make_exchange(market=market)
        ws = open_client(exchange, connect, "/ws/BTCUSDT@index")
        assert json.loads(ws.recv())["s"] == "BTCUSDT"
    assert any("poll() failed" in record.getMessage() for record in caplog.records)


# --------------------------------------------------------------------------
# Limits: message rate, pings and pongs, lifetime
# --------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["ping", "pong", "text", "mixed"])
def test_more_messages_than_the_rate_limit_closes_the_connection(
    make_exchange: MakeExchange, connect: Connect, kind: str
) -> None:
    exchange = make_exchange(max_messages_per_second=5)
    ws = open_client(exchange, connect, "/ws")
    connection_id = exchange.connections[0].id
    send = {
        "ping": lambda: ws.ping("p"),
        "pong": lambda: ws.pong("p"),
        "text": lambda: ws.send('{"method": "LIST_SUBSCRIPTIONS", "id": 1}'),
    }
    kinds = ["ping", "pong", "text", "ping", "pong"] if kind == "mixed" else [kind] * 5
    for each in kinds:
        send[each]()
    exchange.wait_until(
        lambda: sum(f.connection_id == connection_id for f in exchange.incoming_log) == 5,
        message="five frames",
    )
    assert exchange.connection_count == 1  # five in a second is allowed
    send[kinds[0]]()  # the sixth is not
    code, _, _ = read_until_close(ws)
    assert code == 1008
    exchange.wait_until(lambda: exchange.connection_count == 0, message="the cut")


def test_the_rate_limit_window_slides(make_exchange: MakeExchange, connect: Connect) -> None:
    exchange = make_exchange(max_messages_per_second=5)
    ws = open_client(exchange, connect, "/ws")
    first = time.monotonic()
    for _ in range(4):
        ws.ping()
    exchange.wait_until(lambda: len(exchange.incoming_log) == 4, message="four pings")
    exchange.wait_until(lambda: time.monotonic() - first > 1.1, message="a new window")
    for _ in range(4):
        ws.ping()
    # Nine messages in 1.1 s, but never more than five in one second: still served.
    assert request(ws, {"method": "LIST_SUBSCRIPTIONS", "id": 1}) == {"result": [], "id": 1}
    assert exchange.connection_count == 1


def test_server_pings_at_its_interval_and_answered_pings_keep_the_connection(
    make_exchange: MakeExchange, connect: Connect
) -> None:
    exchange = make_exchange(ping_interval=0.2, pong_timeout=0.6)
    ws = open_client(exchange, connect, "/ws")
    connection_id = exchange.connections[0].id
    ws.settimeout(2.0)
    ping_times: List[float] = []
    start = time.monotonic()
    while time.monotonic() - start < 1.3:  # past two pong timeouts
        opcode, _ = ws.recv_data_frame(control_frame=True)  # answers pings
        if opcode == ABNF.OPCODE_PING:
            ping_times.append(time.monotonic())
    assert len(ping_times) >= 4
    gaps = [b - a for a, b in zip(ping_times, ping_times[1:])]
    assert 0.12 < statistics.median(gaps) < 0.45
    assert exchange.connection_count == 1
    assert pings_from(exchange, connection_id, "pong") >= 4


def test_no_pong_within_the_timeout_closes_the_connection(
    make_exchange: MakeExchange, connect: Connect
) -> None:
    exchange = make_exchange(ping_interval=0.2, pong_timeout=0.6)
    opened = time.monotonic()
    ws = open_client(exchange, connect, "/ws")  # and never read, so never answer a ping
    connection_id = exchange.connections[0].id
    exchange.wait_until(lambda: exchange.connection_count == 0, message="the pong timeout")
    assert time.monotonic() - opened >= 0.55
    assert pings_from(exchange, connection_id, "pong") == 0
    code, _, opcodes = read_until_close(ws)
    assert code == 1011
    assert opcodes.count(ABNF.OPCODE_PING) >= 2


def test_unsolicited_pongs_keep_the_connection(
    make_exchange: MakeExchange, connect: Connect
) -> None:
    exchange = make_exchange(ping_interval=60.0, pong_timeout=0.6)
    ws = open_client(exchange, connect, "/ws")
    connection_id = exchange.connections[0].id
    start = time.monotonic()
    while time.monotonic() - start < 1.4:  # the server never pings meanwhile
        ws.pong("alive")
        exchange.wait_until(count_is(exchange, connection_id, "pong", 1), message="the pong")
        exchange.clear_logs()
        time.sleep(0.2)  # pacing the heartbeat, not an assertion
        assert exchange.connection_count == 1
    stopped = time.monotonic()
    exchange.wait_until(lambda: exchange.connection_count == 0, message="the pong timeout")
    assert time.monotonic() - stopped < 2.0
    assert read_until_close(ws)[0] == 1011


def test_connection_is_closed_at_its_maximum_age(
    make_exchange: MakeExchange, connect: Connect
) -> None:
    exchange = make_exchange(max_connection_age=0.5)
    opened = time.monotonic()
    ws = open_client(exchange, connect, "/ws")
    code, _, _ = read_until_close(ws)
    assert code == 1001
    assert 0.45 <= time.monotonic() - opened < 3.0


# --------------------------------------------------------------------------
# Faults
# --------------------------------------------------------------------------


def test_drop_connections_aborts_without_a_close_frame(
    exchange: FakeExchange, connect: Connect
) -> None:
    first = open_client(exchange, connect, "/ws")
    second = open_client(exchange, connect, "/stream")
    exchange.drop_connections()
    assert exchange.connection_count == 0
    assert_lost_without_close_frame(first)
    assert_lost_without_close_frame(second)
    third = open_client(exchange, connect, "/ws")  # the server itself goes on
    assert request(third, {"method": "LIST_SUBSCRIPTIONS", "id": 1}) == {"result": [], "id": 1}


@pytest.mark.parametrize(
    ("arguments", "code", "reason"),
    [((), 1001, "going away"), ((4000, "bye"), 4000, "bye"), ((1012,), 1012, "going away")],
)
def test_close_connections_sends_a_close_frame(
    exchange: FakeExchange,
    connect: Connect,
    arguments: Tuple[Any, ...],
    code: int,
    reason: str,
) -> None:
    ws = open_client(exchange, connect, "/ws")
    exchange.close_connections(*arguments)
    assert exchange.connection_count == 0
    assert read_until_close(ws)[:2] == (code, reason)


def test_close_connections_rejects_unsendable_codes(exchange: FakeExchange) -> None:
    with pytest.raises(ValueError, match="close code"):
        exchange.close_connections(1006)
    with pytest.raises(ValueError, match="123 bytes"):
        exchange.close_connections(1001, "x" * 124)


def test_stall_sends_and_reads_nothing_until_resume(
    make_exchange: MakeExchange, connect: Connect
) -> None:
    exchange = make_exchange(ping_interval=0.2, pong_timeout=30.0)
    ws = open_client(exchange, connect, "/ws/BTCUSDT@index")
    connection_id = exchange.connections[0].id
    exchange.stall()
    seen = len(exchange.incoming_log)
    assert exchange.publish("BTCUSDT@index", INDEX) == 0
    ws.ping("are you there")
    ws.send('{"method": "LIST_SUBSCRIPTIONS", "id": 1}')
    ws.settimeout(0.8)  # four ping intervals: no ping, pong, reply or data comes
    with pytest.raises(websocket.WebSocketTimeoutException):
        ws.recv_data_frame(control_frame=True)
    assert len(exchange.incoming_log) == seen  # and nothing was read
    assert exchange.connection_count == 1

    fresh = open_client(exchange, connect, "/ws")  # a new connection is served
    assert request(fresh, {"method": "LIST_SUBSCRIPTIONS", "id": 2}) == {"result": [], "id": 2}

    exchange.resume()
    ws.settimeout(5.0)
    opcode, frame = ws.recv_data_frame(control_frame=True)
    while opcode == ABNF.OPCODE_PING:  # a server ping may come first
        opcode, frame = ws.recv_data_frame(control_frame=True)
    assert (opcode, frame.data) == (ABNF.OPCODE_PONG, b"are you there")
    assert json.loads(ws.recv()) == {"result": ["BTCUSDT@index"], "id": 1}
    assert pings_from(exchange, connection_id, "ping") == 1
    assert exchange.publish("BTCUSDT@index", INDEX) == 1
    assert json.loads(ws.recv()) == INDEX


def test_stall_with_seconds_resumes_by_itself(exchange: FakeExchange, connect: Connect) -> None:
    ws = open_client(exchange, connect, "/ws")
    exchange.stall(0.4)
    stalled = time.monotonic()
    assert request(ws, {"method": "LIST_SUBSCRIPTIONS", "id": 1}) == {"result": [], "id": 1}
    assert time.monotonic() - stalled >= 0.35


def test_what_a_client_sent_during_a_stall_does_not_break_the_rate_limit(
    make_exchange: MakeExchange, connect: Connect
) -> None:
    exchange = make_exchange(max_messages_per_second=3)
    ws = open_client(exchange, connect, "/ws")
    exchange.stall()
    for _ in range(5):
        ws.pong("heartbeat")
    exchange.resume()
    assert request(ws, {"method": "LIST_SUBSCRIPTIONS", "id": 1}) == {"result": [], "id": 1}
    assert exchange.connection_count == 1


def _not_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return True
    return False


@pytest.mark.parametrize(
    ("kind", "combined", "check"),
    [
        ("not_json", False, _not_json),
        ("truncated_json", False, lambda text: _not_json(text) and text.startswith('{"e":')),
        ("truncated_json", True, lambda text: _not_json(text) and text.startswith('{"stream":')),
        ("unknown_event", False, lambda text: json.loads(text)["e"] == "futureEvent"),
        ("unknown_event", True, lambda text: json.loads(text)["data"]["e"] == "futureEvent"),
        ("empty_array", False, lambda text: json.loads(text) == []),
        ("empty_array", True, lambda text: json.loads(text)["data"] == []),
    ],
)
def test_send_malformed_text_frames(
    exchange: FakeExchange,
    connect: Connect,
    kind: str,
    combined: bool,
    check: Callable[[str], Any],
) -> None:
    ws = open_client(exchange, connect, "/stream" if combined else "/ws")
    assert exchange.send_malformed(kind) == 1
    opcode, data = ws.recv_data()
    assert opcode == ABNF.OPCODE_TEXT
    assert check(data.decode())


def test_send_malformed_binary_frame_and_bad_kind(exchange: FakeExchange, connect: Connect) -> None:
    ws = open_client(exchange, connect, "/ws")
    exchange.send_malformed("binary")
    opcode, _ = ws.recv_data()
    assert opcode == ABNF.OPCODE_BINARY
    with pytest.raises(ValueError, match="not_json, truncated_json, unknown_event, binary"):
        exchange.send_malformed("garbage")


def test_send_raw_to_one_connection_or_all(exchange: FakeExchange, connect: Connect) -> None:
    first = open_client(exchange, connect, "/ws")
    second = open_client(exchange, connect, "/ws")
    first_id = exchange.connections[0].id
    assert exchange.send_raw("only for the first", connection_id=first_id) == 1
    assert exchange.send_raw(b"\x01\x02") == 2
    assert first.recv_data() == (ABNF.OPCODE_TEXT, b"only for the first")
    assert first.recv_data() == (ABNF.OPCODE_BINARY, b"\x01\x02")
    assert second.recv_data() == (ABNF.OPCODE_BINARY, b"\x01\x02")  # nothing before it
    with pytest.raises(ValueError, match="no open connection"):
        exchange.send_raw("x", connection_id=first_id + 100)


@pytest.mark.parametrize("status", [429, 418, 503])
def test_refused_handshakes_carry_status_and_retry_after(
    exchange: FakeExchange, connect: Connect, status: int
) -> None:
    already = open_client(exchange, connect, "/ws")
    exchange.refuse_connections(30.0, status=status, retry_after=2)
    with pytest.raises(websocket.WebSocketBadStatusException) as caught:
        connect(exchange.url + "/ws")
    assert caught.value.status_code == status
    assert caught.value.resp_headers is not None
    assert caught.value.resp_headers["retry-after"] == "2"
    assert caught.value.resp_body is not None
    assert json.loads(caught.value.resp_body)["code"] < 0
    # Open connections are not touched; refusing stops when told to.
    assert request(already, {"method": "LIST_SUBSCRIPTIONS", "id": 1}) == {"result": [], "id": 1}
    exchange.refuse_connections(0)
    open_client(exchange, connect, "/ws")


def test_refusal_without_retry_after_ends_by_itself(
    exchange: FakeExchange, connect: Connect
) -> None:
    exchange.refuse_connections(0.5, status=503)
    refused_at = time.monotonic()
    with pytest.raises(websocket.WebSocketBadStatusException) as caught:
        connect(exchange.url + "/ws")
    assert caught.value.status_code == 503
    assert "retry-after" not in (caught.value.resp_headers or {})

    def connects() -> bool:
        try:
            connect(exchange.url + "/ws")
        except websocket.WebSocketBadStatusException:
            return False
        return True

    exchange.wait_until(connects, timeout=5.0, message="the refusal to end")
    assert time.monotonic() - refused_at >= 0.45


def test_refuse_connections_validates_its_arguments(exchange: FakeExchange) -> None:
    with pytest.raises(ValueError, match="429, 418 or 503"):
        exchange.refuse_connections(1.0, status=500)
    with pytest.raises(ValueError, match="retry_after"):
        exchange.refuse_connections(1.0, retry_after=-1)


def test_delayed_control_replies_let_data_overtake_them(
    exchange: FakeExchange, connect: Connect
) -> None:
    ws = open_client(exchange, connect, "/stream")
    exchange.delay_control_replies(0.5)
    sent = time.monotonic()
    ws.send(json.dumps({"method": "SUBSCRIBE", "params": ["BTCUSDT@index"], "id": 1}))
    exchange.wait_until(lambda: "BTCUSDT@index" in exchange.subscriptions, message="SUBSCRIBE")
    assert exchange.publish("BTCUSDT@index", INDEX) == 1
    assert json.loads(ws.recv()) == {"stream": "BTCUSDT@index", "data": INDEX}
    assert json.loads(ws.recv()) == {"result": None, "id": 1}
    assert time.monotonic() - sent >= 0.45

    exchange.delay_control_replies(0)
    sent = time.monotonic()
    assert request(ws, {"method": "LIST_SUBSCRIPTIONS", "id": 2})["id"] == 2
    assert time.monotonic() - sent < 0.4


# --------------------------------------------------------------------------
# Logs and helpers
# --------------------------------------------------------------------------


def test_logs_record_every_message_and_frame(exchange: FakeExchange, connect: Connect) -> None:
    ws = open_client(exchange, connect, "/ws")
    connection_id = exchange.connections[0].id
    request(ws, {"method": "LIST_SUBSCRIPTIONS", "id": 1})
    request(ws, "oops")
    ws.ping()
    ws.close()
    exchange.wait_until(lambda: exchange.connection_count == 0, message="the close")
    texts = [(m.connection_id, m.text, m.message) for m in exchange.control_log]
    assert texts == [
        (
            connection_id,
            '{"method": "LIST_SUBSCRIPTIONS", "id": 1}',
            {
                "method": "LIST_SUBSCRIPTIONS",
                "id": 1,
            },
        ),
        (connection_id, "oops", None),
    ]
    assert [f.kind for f in exchange.incoming_log] == ["text", "text", "ping", "close"]
    times = [f.time for f in exchange.incoming_log]
    assert times == sorted(times)
    exchange.clear_logs()
    assert exchange.control_log == []
    assert exchange.incoming_log == []


def test_wait_until_raises_with_the_message(exchange: FakeExchange) -> None:
    with pytest.raises(AssertionError, match="a miracle"):
        exchange.wait_until(lambda: False, timeout=0.05, message="a miracle")


def test_constructor_rejects_nonsense_limits() -> None:
    with pytest.raises(ValueError, match="max_streams_per_connection"):
        FakeExchange(max_streams_per_connection=0)
    with pytest.raises(ValueError, match="ping_interval"):
        FakeExchange(ping_interval=-1.0)


# --------------------------------------------------------------------------
# Lifecycle
# --------------------------------------------------------------------------


def _exchange_threads() -> List[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "binance-options-ws-fake-exchange"]


def test_stop_is_quick_idempotent_and_leaves_no_thread(connect: Connect) -> None:
    before = set(threading.enumerate())
    exchange = FakeExchange().start()
    [thread] = set(threading.enumerate()) - before
    assert thread.name == "binance-options-ws-fake-exchange"
    assert thread.daemon
    quiet = open_client(exchange, connect, "/ws")  # will not answer the close frame
    started = time.monotonic()
    exchange.stop()
    assert time.monotonic() - started < 1.0
    assert set(threading.enumerate()) == before
    exchange.stop()
    assert read_until_close(quiet)[0] == 1001


def test_context_manager_and_restart_on_the_same_port(connect: Connect) -> None:
    with FakeExchange() as exchange:
        url = exchange.url
        open_client(exchange, connect, "/ws")
    assert not _exchange_threads()
    with pytest.raises(ConnectionRefusedError):
        connect(url + "/ws", timeout=1.0)
    with exchange:
        assert exchange.url == url
        again = open_client(exchange, connect, "/ws")
        assert exchange.connections[0].id == 2  # ids keep increasing
        assert request(again, {"method": "LIST_SUBSCRIPTIONS", "id": 1})["result"] == []
    assert not _exchange_threads()


def test_the_fixture_gives_a_running_exchange(
    fake_exchange: FakeExchange, connect: Connect
) -> None:
    ws = open_client(fake_exchange, connect, "/ws/BTCUSDT@index")
    assert fake_exchange.publish("BTCUSDT@index", INDEX) == 1
    assert json.loads(ws.recv()) == INDEX
    assert fake_exchange.market is None


def test_the_market_fixture_publishes_synthetic_data(
    fake_market_exchange: FakeExchange, connect: Connect
) -> None:
    ws = open_client(fake_market_exchange, connect, "/stream?streams=BTCUSDT@index")
    ws.settimeout(5.0)
    events = parse_message(ws.recv())
    assert isinstance(events[0], IndexPrice)
    assert events[0].stream == "BTCUSDT@index"
    assert events[0].price is not None
    assert events[0].price > 0


def test_the_plugin_and_package_import_without_websockets() -> None:
    code = (
        "import sys\n"
        "import binance_options_ws.testing, binance_options_ws.testing.pytest_plugin\n"
        "assert 'websockets' not in sys.modules, 'websockets was imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_exports() -> None:
    import binance_options_ws.testing as testing

    for name in testing.__all__:
        assert getattr(testing, name) is not None
    assert isinstance(testing.FakeExchange(), testing.FakeExchange)


def test_a_missing_testing_extra_says_how_to_install_it() -> None:
    import subprocess
    import sys

    code = (
        "import sys; sys.modules['websockets'] = None\n"
        "from binance_options_ws.testing import FakeExchange\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 1
    assert 'pip install "binance-options-ws[testing]"' in result.stderr


# --------------------------------------------------------------------------
# A dialect registered from a test: served with its own paths, names and data
# --------------------------------------------------------------------------


class _ToyDialect(Dialect):
    """Two paths, lowercase names: ``<pair>@px`` (an index, on /deriv), ``<pair>@deals`` (/spot)."""

    name = "toyfake"
    default_base_url = "wss://toy.invalid"
    paths = ("spot", "deriv")
    kinds = frozenset({StreamKind.INDEX, StreamKind.TRADE})
    parsers: Mapping[str, PayloadParser] = MappingProxyType({})

    def parse_stream(self, name: Union[str, StreamName]) -> StreamName:
        pair, _, kind = str(name).lower().partition("@")
        if not pair.endswith("usdt") or kind not in ("px", "deals"):
            raise InvalidStreamError(f"toy streams are <pair>@px and <pair>@deals, got {name!r}")
        if kind == "px":
            return StreamName(f"{pair}@px", StreamKind.INDEX, symbol=pair.upper())
        return StreamName(f"{pair}@deals", StreamKind.TRADE, underlying=pair.upper())

    def route(self, name: StreamName) -> str:
        return "deriv" if name.kind is StreamKind.INDEX else "spot"


class _ToyRenderer(Renderer):
    """The toy's payloads: ``{"k": "px", ...}`` and ``{"k": "deal", ...}``."""

    def renders(self) -> Mapping[StreamKind, Render]:
        return {StreamKind.INDEX: self.render_index, StreamKind.TRADE: self.render_deals}

    def asset(self, stream: StreamName) -> Any:
        return self.sim.pairs.get(stream.underlying or "")

    def render_index(self, plan: Plan, now: int) -> Sequence[object]:
        pair = plan.stream.symbol or ""
        asset = self.sim.pairs.get(pair)
        if asset is None:
            return ()
        return ({"k": "px", "pair": pair, "v": f"{self.sim.index(asset, now):.2f}", "t": now},)

    def render_deals(self, plan: Plan, now: int) -> Sequence[object]:
        return [
            {"k": "deal", "sym": trade.option.name, "id": trade.trade_id, "t": trade.time}
            for trade in self.new_trades(plan)
        ]


ToyRegistrar = Callable[..., _ToyDialect]


@pytest.fixture
def register_toy() -> Iterator[ToyRegistrar]:
    """Register the toy dialect (and, if asked, its renderer) when called; remove both after."""
    registered: List[_ToyDialect] = []

    def register(with_renderer: bool = True) -> _ToyDialect:
        dialect = _ToyDialect()
        endpoints.register(dialect)
        registered.append(dialect)
        if with_renderer:
            register_renderer(dialect, _ToyRenderer)
        return dialect

    yield register
    for dialect in registered:
        unregister_renderer(dialect)
        endpoints.unregister(dialect.name)


def test_a_dialect_registered_later_is_served_on_its_paths_with_its_data(
    make_exchange: MakeExchange, connect: Connect, register_toy: ToyRegistrar
) -> None:
    exchange = make_exchange(market=SyntheticMarket(seed=3, speed=20.0))
    register_toy()  # after the start: the registry is read when a connection opens
    index = open_client(exchange, connect, "/deriv/ws/ethusdt@px")
    index.settimeout(5.0)
    tick = json.loads(index.recv())
    assert (tick["k"], tick["pair"]) == ("px", "ETHUSDT")
    assert 1_000 < float(tick["v"]) < 10_000
    [info] = exchange.connections
    assert (info.endpoint, info.url_path, info.subscriptions) == (
        "toyfake",
        "deriv",
        ("ethusdt@px",),
    )

    deals = open_client(exchange, connect, "/spot/stream")
    deals.settimeout(5.0)
    assert request(deals, {"method": "SUBSCRIBE", "params": ["ethusdt@px"], "id": 1}) == {
        "code": 2,
        "msg": "Invalid request: stream `ethusdt@px` is served on /deriv, not /spot",
        "id": 1,
    }
    assert request(deals, {"method": "SUBSCRIBE", "params": ["BTCUSDT@index"], "id": 2}) == {
        "code": 2,
        "msg": "Invalid request: invalid stream name `BTCUSDT@index`",
        "id": 2,
    }
    assert request(deals, {"method": "SUBSCRIBE", "params": ["btcusdt@deals"], "id": 3}) == {
        "result": None,
        "id": 3,
    }
    message = json.loads(deals.recv())
    assert message["stream"] == "btcusdt@deals"
    assert message["data"]["k"] == "deal"
    assert message["data"]["sym"].startswith("BTC-")

    # The built-in endpoints are served as before, on the same exchange.
    nb = open_client(exchange, connect, "/ws/BTCUSDT@index")
    nb.settimeout(5.0)
    assert json.loads(nb.recv())["e"] == "index"


@pytest.mark.parametrize(
    ("path", "status", "text"),
    [
        ("/spot/ws/ethusdt@px", 400, "served on /deriv, not /spot"),
        ("/deriv/ws/ETHUSDT@index", 400, "Invalid stream name"),
        ("/deriv/stream?streams=ethusdt@px/btcusdt@deals", 400, "served on /spot"),
        ("/deriv", 404, "or the same under /public or /market or /spot or /deriv"),
    ],
)
def test_a_registered_dialect_checks_names_and_paths_at_the_handshake(
    exchange: FakeExchange, register_toy: ToyRegistrar, path: str, status: int, text: str
) -> None:
    register_toy(with_renderer=False)
    with pytest.raises(websocket.WebSocketBadStatusException) as caught:
        websocket.create_connection(exchange.url + path, timeout=5)
    assert caught.value.status_code == status
    assert text in (caught.value.resp_body or b"").decode()
    assert exchange.connection_count == 0


class _RecordingMarket(SyntheticMarket):
    """A synthetic market that counts the polls that saw each stream."""

    def __init__(self) -> None:
        super().__init__(seed=5)
        self.polls: Dict[str, int] = {}
        self._lock = threading.Lock()

    def poll(self, now_ms: int, subscribed: Collection[str]) -> List[Tuple[str, object]]:
        with self._lock:
            for name in subscribed:
                self.polls[name] = self.polls.get(name, 0) + 1
        return super().poll(now_ms, subscribed)

    def polls_of(self, name: str) -> int:
        with self._lock:
            return self.polls.get(name, 0)


def test_a_dialect_without_a_renderer_gets_no_synthetic_data_but_publish_works(
    make_exchange: MakeExchange, connect: Connect, register_toy: ToyRegistrar
) -> None:
    market = _RecordingMarket()
    exchange = make_exchange(market=market)
    dialect = register_toy(with_renderer=False)
    assert renderer_for(dialect) is None
    ws = open_client(exchange, connect, "/deriv/stream?streams=ethusdt@px")
    ws.settimeout(5.0)
    exchange.wait_until(lambda: market.polls_of("ethusdt@px") >= 3, message="three polls")
    marker = {"k": "px", "pair": "ETHUSDT", "v": "1"}
    assert exchange.publish("ethusdt@px", marker) == 1
    # Anything the market had sent would have been queued before the marker.
    assert json.loads(ws.recv()) == {"stream": "ethusdt@px", "data": marker}
    # Broken frames for a dialect without a renderer come on a neutral stream name.
    assert exchange.send_malformed("empty_array") == 1
    assert ws.recv() == '{"stream":"futureStream","data":[]}'


def test_the_synthetic_market_renders_a_registered_dialect_by_its_renderer(
    register_toy: ToyRegistrar,
) -> None:
    dialect = register_toy(with_renderer=False)
    market = SyntheticMarket(seed=1)
    assert market.poll(market.now_ms, ["ethusdt@px"]) == []
    register_renderer(dialect, _ToyRenderer)
    market = SyntheticMarket(seed=1)  # a market keeps what it first found for a name
    [(name, payload)] = market.poll(market.now_ms, ["ethusdt@px", "ETHUSDT@px"])
    assert name == "ethusdt@px"  # the exact spelling only
    assert payload == {
        "k": "px",
        "pair": "ETHUSDT",
        "v": f"{market.index_price('ETHUSDT'):.2f}",
        "t": market.now_ms,
    }
    with pytest.raises(ValueError, match="built-in"):
        register_renderer(endpoints.get_endpoint("nbstream"), _ToyRenderer)
    with pytest.raises(TypeError, match="Renderer subclass"):
        register_renderer(dialect, object)  # type: ignore[arg-type]
