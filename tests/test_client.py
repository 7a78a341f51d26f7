"""StreamClient end to end, against the fake exchange (a real local WebSocket server)."""

from __future__ import annotations

import json
import queue
import threading
import time
from typing import Any, Callable, Dict, Iterator, List

import pytest

from binance_options_ws import (
    BookDepth,
    ClientClosedError,
    ConnectionFailedError,
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
    Ticker,
    Trade,
)
from binance_options_ws.testing import FakeExchange

SYMBOL = "BTC-261225-100000-C"


def fast_client(exchange: FakeExchange, **options: Any) -> StreamClient:
    """A client with short timers, so reliability tests take seconds."""
    settings: Dict[str, Any] = {
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


def wait_for(predicate: Callable[[], bool], timeout: float = 5.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or predicate}")
        time.sleep(0.01)


def subscribe_messages(exchange: FakeExchange) -> List[Dict[str, Any]]:
    return [
        m.message
        for m in exchange.control_log
        if isinstance(m.message, dict) and m.message.get("method") == "SUBSCRIBE"
    ]


def trade_payload(trade_id: int, symbol: str = SYMBOL) -> Dict[str, Any]:
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
        {"e": "kline", "E": 1, "s": SYMBOL, "k": {"t": 1, "T": 2, "i": "1m", "o": "5", "c": "6",
                                                  "h": "7", "l": "4", "x": False}},
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
        {"e": "OPTION_PAIR", "E": 1, "u": "BTCUSDT", "s": SYMBOL, "d": "CALL", "sp": "100000"},
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
        {"e": "depth", "E": 1, "s": SYMBOL, "u": 5, "pu": 5, "b": [["10", "1"]],
         "a": [["11", "2"]]},
        BookDepth,
        "asks",
        ((11.0, 2.0),),
    ),
    (
        "subscribe_ticker",
        (SYMBOL.lower(),),
        f"{SYMBOL}@ticker",
        {"e": "24hrTicker", "E": 1, "s": SYMBOL, "c": "1200", "d": "0.51", "mp": "1190"},
        Ticker,
        "delta",
        0.51,
    ),
    (
        "subscribe_ticker_by_expiration",
        ("BTC", "261225"),
        "BTC@ticker@261225",
        [{"e": "24hrTicker", "E": 1, "s": SYMBOL, "c": "1200"}],
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


@pytest.mark.parametrize(
    ("method", "args", "stream", "payload", "cls", "field", "value"),
    STREAM_CASES,
    ids=[case[0] for case in STREAM_CASES],
)
def test_each_stream_method_subscribes_and_delivers_typed_events(
    exchange: FakeExchange,
    client: StreamClient,
    method: str,
    args: tuple,
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
    exchange: FakeExchange, client: StreamClient
) -> None:
    received: queue.Queue[Any] = queue.Queue()
    client.subscribe_trade(SYMBOL, lambda event: received.put((event, threading.current_thread())))
    exchange.publish(f"{SYMBOL}@trade", trade_payload(1))
    event, thread = received.get(timeout=5)
    assert isinstance(event, Trade)
    assert event.trade_id == 1
    assert thread.name.endswith("-dispatcher")
    assert client.queue.empty()  # callback events do not also go to the queue


def test_callbacks_run_in_arrival_order(exchange: FakeExchange, client: StreamClient) -> None:
    seen: List[int] = []
    client.subscribe_trade(SYMBOL, lambda event: seen.append(event.trade_id))
    for trade_id in range(1, 201):
        exchange.publish(f"{SYMBOL}@trade", trade_payload(trade_id))
    wait_for(lambda: len(seen) == 200, what="200 trades")
    assert seen == list(range(1, 201))


# ---------------------------------------------------------------- subscribe semantics


def test_a_list_of_streams_goes_out_in_few_subscribe_messages(
    exchange: FakeExchange, client: StreamClient
) -> None:
    names = [f"BTC-261225-{strike}-C@ticker" for strike in range(50_000, 150_000, 1_000)]
    subscription = client.subscribe(names)
    assert len(subscription.streams) == 100
    assert exchange.subscriptions >= set(names)
    messages = subscribe_messages(exchange)
    assert 1 <= len(messages) <= 2
    assert all(len(json.dumps(m)) <= 4096 for m in messages)


def test_subscribing_again_adds_the_callback_without_a_new_subscribe(
    exchange: FakeExchange, client: StreamClient
) -> None:
    first: List[Any] = []
    second: List[Any] = []
    client.subscribe_trade(SYMBOL, first.append)
    client.subscribe_trade(SYMBOL, second.append)
    assert len(subscribe_messages(exchange)) == 1
    exchange.publish(f"{SYMBOL}@trade", trade_payload(1))
    wait_for(lambda: first and second, what="both callbacks")


def test_bad_names_are_rejected_before_anything_is_sent(
    exchange: FakeExchange, client: StreamClient
) -> None:
    with pytest.raises(InvalidStreamError, match="levels must be one of 10, 20, 50, 100, got 15"):
        client.subscribe_depth(SYMBOL, levels=15)
    with pytest.raises(InvalidStreamError, match="unknown stream"):
        client.subscribe(["BTCUSDT@index", "nonsense"])
    with pytest.raises(InvalidStreamError, match="empty"):
        client.subscribe([])
    with pytest.raises(InvalidArgumentError, match="callback"):
        client.subscribe("BTCUSDT@index", callback="print")  # type: ignore[arg-type]
    assert exchange.control_log == []


def test_an_error_reply_raises_server_error(exchange: FakeExchange) -> None:
    exchange.stop()
    with FakeExchange(max_streams_per_connection=3) as small, fast_client(
        small, max_streams_per_connection=5
    ) as client:
        with pytest.raises(ServerError) as excinfo:
            client.subscribe([f"BTC-261225-{k}000-C@ticker" for k in range(90, 95)])
        assert "SUBSCRIBE" in str(excinfo.value)
        assert client.subscriptions == []


def test_unsubscribe_and_list_subscriptions(exchange: FakeExchange, client: StreamClient) -> None:
    client.subscribe(["BTCUSDT@index", "ETHUSDT@index"])
    assert sorted(client.list_subscriptions()) == ["BTCUSDT@index", "ETHUSDT@index"]
    client.unsubscribe("btcusdt@index")
    assert client.list_subscriptions() == ["ETHUSDT@index"]
    assert exchange.subscriptions == {"ETHUSDT@index"}
    exchange.publish("BTCUSDT@index", {"e": "index", "s": "BTCUSDT", "p": "1"})
    exchange.publish("ETHUSDT@index", {"e": "index", "s": "ETHUSDT", "p": "2"})
    assert client.get(timeout=5).symbol == "ETHUSDT"


def test_subscription_handle_unsubscribes_only_its_own_callback(
    exchange: FakeExchange, client: StreamClient
) -> None:
    kept: List[Any] = []
    dropped: List[Any] = []
    client.subscribe_trade(SYMBOL, kept.append)
    handle = client.subscribe_trade(SYMBOL, dropped.append)
    handle.unsubscribe()
    handle.unsubscribe()  # twice is harmless
    assert not handle.active
    assert f"{SYMBOL}@trade" in exchange.subscriptions  # still used by the first
    exchange.publish(f"{SYMBOL}@trade", trade_payload(1))
    wait_for(lambda: bool(kept), what="the kept callback")
    assert dropped == []


def test_set_and_get_property(exchange: FakeExchange, client: StreamClient) -> None:
    client.subscribe_index("BTCUSDT")
    assert client.get_property("combined") is True
    client.set_property("combined", True)
    with pytest.raises(InvalidArgumentError, match="combined must stay True"):
        client.set_property("combined", False)
    with pytest.raises(InvalidArgumentError, match="only property"):
        client.get_property("speed")


def test_a_reply_that_never_comes_times_out(exchange: FakeExchange, client: StreamClient) -> None:
    client.start()
    exchange.wait_until(lambda: exchange.connection_count == 1, 5, "a connection")
    exchange.delay_control_replies(3.0)
    started = time.monotonic()
    with pytest.raises(RequestTimeoutError, match="did not confirm"):
        client.subscribe_index("BTCUSDT", timeout=0.5)
    assert time.monotonic() - started < 2.0
    assert client.subscriptions == []


def test_a_wrong_url_fails_fast_with_a_clear_error(exchange: FakeExchange) -> None:
    with StreamClient(exchange.url + "/nowhere", request_timeout=5) as client:
        started = time.monotonic()
        with pytest.raises(ConnectionFailedError, match="404"):
            client.subscribe_index("BTCUSDT")
        assert time.monotonic() - started < 3.0


# ---------------------------------------------------------------- staying connected


def test_abrupt_drop_reconnects_resubscribes_and_events_resume(exchange: FakeExchange) -> None:
    states: List[StateChange] = []
    seen: List[int] = []
    with fast_client(exchange, on_state=states.append) as client:
        client.subscribe_trade(SYMBOL, lambda event: seen.append(event.trade_id))
        client.subscribe_index("BTCUSDT")
        exchange.drop_connections()
        wait_for(lambda: client.stats.reconnects >= 1, what="a reconnect")
        exchange.wait_until(
            lambda: exchange.subscriptions == {f"{SYMBOL}@trade", "BTCUSDT@index"}
            and exchange.connection_count == 1,
            5,
            "the streams restored on the new connection",
        )
        exchange.publish(f"{SYMBOL}@trade", trade_payload(2))
        exchange.publish("BTCUSDT@index", {"e": "index", "s": "BTCUSDT", "p": "3"})
        wait_for(lambda: seen == [2], what="the trade after the reconnect")
        assert client.get(timeout=5).price == 3.0
        assert len(subscribe_messages(exchange)) == 3  # 2 first, 1 restore batch
    names = [s.state for s in states]
    assert "disconnected" in names
    assert "reconnecting" in names
    assert names.count("connected") >= 2


def test_a_going_away_close_reconnects(exchange: FakeExchange) -> None:
    with fast_client(exchange) as client:
        client.subscribe_index("BTCUSDT")
        exchange.close_connections(1001, "going away")
        wait_for(lambda: client.stats.reconnects == 1, what="a reconnect")
        exchange.wait_until(lambda: exchange.subscriptions == {"BTCUSDT@index"}, 5, "restore")


def test_refused_handshake_honours_retry_after(exchange: FakeExchange) -> None:
    exchange.refuse_connections(1.0, status=429, retry_after=1.0)
    with fast_client(exchange) as client:
        started = time.monotonic()
        client.subscribe_index("BTCUSDT")  # waits for the ban to pass, then succeeds
        assert time.monotonic() - started >= 0.9
        refused = [f for f in exchange.incoming_log if f.kind == "text"]
        assert refused  # the SUBSCRIBE reached the server once it let us in


def test_a_stalled_connection_is_detected_and_replaced(exchange: FakeExchange) -> None:
    with fast_client(exchange, ping_interval=0.2, stale_timeout=1.0) as client:
        client.subscribe_index("BTCUSDT")
        [first] = exchange.connections
        exchange.stall(1.5)  # silent, sockets open, no pongs; resumes by itself
        wait_for(lambda: client.stats.reconnects >= 1, timeout=10, what="stall detection")
        exchange.wait_until(
            lambda: any(
                c.id != first.id and "BTCUSDT@index" in c.subscriptions
                for c in exchange.connections
            ),
            10,
            "resubscribed on a new connection",
        )
        exchange.publish("BTCUSDT@index", {"e": "index", "s": "BTCUSDT", "p": "5"})
        assert client.get(timeout=5).price == 5.0


def test_a_quiet_stream_alone_is_not_a_dead_connection(exchange: FakeExchange) -> None:
    with fast_client(exchange, ping_interval=0.1, stale_timeout=0.5) as client:
        client.subscribe_index("BTCUSDT")
        deadline = time.monotonic() + 1.5  # three stale timeouts with no data at all
        while time.monotonic() < deadline:
            time.sleep(0.05)
        assert client.stats.reconnects == 0  # pongs kept it alive


def test_rollover_before_the_lifetime_cut_has_no_gap_and_no_duplicate() -> None:
    with FakeExchange(max_connection_age=4.0) as exchange, fast_client(
        exchange, max_connection_age=1.0, rollover_overlap=0.3
    ) as client:
        seen: List[int] = []
        client.subscribe_trade(SYMBOL, lambda event: seen.append(event.trade_id))
        client.subscribe_index("BTCUSDT")
        stop = time.monotonic() + 4.5
        trade_id = 0
        while time.monotonic() < stop:
            trade_id += 1
            exchange.publish(f"{SYMBOL}@trade", trade_payload(trade_id))
            time.sleep(0.004)
        wait_for(lambda: len(seen) >= trade_id, timeout=5, what="every trade")
        time.sleep(0.2)  # a late duplicate would arrive now
        assert client.stats.rollovers >= 2
        assert client.stats.reconnects == 0
        assert seen == list(range(1, trade_id + 1))
        assert exchange.subscriptions == {f"{SYMBOL}@trade", "BTCUSDT@index"}
        assert exchange.connection_count == 1


def test_more_than_200_streams_spread_over_two_connections(exchange: FakeExchange) -> None:
    names = [f"BTC-261225-{strike}-P@ticker" for strike in range(10_000, 260_000, 1_000)]
    assert len(names) == 250
    with fast_client(exchange) as client:
        client.subscribe(names)
        assert exchange.connection_count == 2
        assert sorted(len(c.subscriptions) for c in exchange.connections) == [50, 200]
        assert sorted(client.list_subscriptions()) == sorted(names)
        client.unsubscribe(names[:210])
        assert sorted(client.list_subscriptions()) == sorted(names[210:])
        exchange.publish(names[-1], {"e": "24hrTicker", "s": "x", "c": "1"})
        assert client.get(timeout=5).stream == names[-1]


def test_outgoing_messages_never_exceed_the_rate_limit(exchange: FakeExchange) -> None:
    names = [f"ETH-261225-{strike}-C@ticker" for strike in range(1_000, 6_000, 20)]  # 250
    with fast_client(exchange, ping_interval=0.05) as client:
        client.subscribe(names)
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
    exchange: FakeExchange,
) -> None:
    errors: List[BaseException] = []
    good: List[int] = []

    def bad(event: Any) -> None:
        raise RuntimeError("boom")

    with fast_client(exchange, on_error=errors.append) as client:
        client.subscribe_trade(SYMBOL, bad)
        client.subscribe_trade("BTC", lambda event: good.append(event.trade_id))
        for trade_id in (1, 2):
            exchange.publish(f"{SYMBOL}@trade", trade_payload(trade_id))
            exchange.publish("BTC@trade", trade_payload(trade_id))
        wait_for(lambda: good == [1, 2] and len(errors) == 2, what="delivery after errors")
        assert all(isinstance(e, RuntimeError) for e in errors)
        assert client.stats.callback_errors == 2
        assert client.stats.reconnects == 0


def test_a_slow_consumer_loses_the_oldest_events_and_memory_stays_bounded(
    exchange: FakeExchange,
) -> None:
    with fast_client(exchange, queue_size=10) as client:
        client.subscribe_trade(SYMBOL)
        for trade_id in range(1, 101):
            exchange.publish(f"{SYMBOL}@trade", trade_payload(trade_id))
        wait_for(lambda: client.stats.events == 100, what="100 events read")
        assert client.queue.qsize() == 10
        assert client.stats.dropped_events == 90
        kept = [client.queue.get_nowait().trade_id for _ in range(10)]  # type: ignore[union-attr]
        assert kept == list(range(91, 101))
        with pytest.raises(queue.Empty):
            client.queue.get_nowait()


@pytest.mark.parametrize("kind", ["not_json", "truncated_json", "binary", "empty_array",
                                  "unknown_event"])
def test_malformed_frames_are_counted_and_never_fatal(exchange: FakeExchange, kind: str) -> None:
    errors: List[BaseException] = []
    with fast_client(exchange, on_error=errors.append) as client:
        client.subscribe_index("BTCUSDT")
        exchange.send_malformed(kind)
        exchange.publish("BTCUSDT@index", {"e": "index", "s": "BTCUSDT", "p": "9"})
        event = client.get(timeout=5)
        while not isinstance(event, IndexPrice):  # an unknown event may come first
            event = client.get(timeout=5)
        assert event.price == 9.0
        if kind in ("not_json", "truncated_json", "binary"):
            assert client.stats.parse_errors == 1
            wait_for(lambda: len(errors) == 1, what="on_error")
        assert client.stats.reconnects == 0


# ---------------------------------------------------------------- closing and threads


def test_close_from_inside_a_callback(exchange: FakeExchange) -> None:
    done = threading.Event()
    client = fast_client(exchange)

    def stop(event: Any) -> None:
        client.close()
        done.set()

    client.subscribe_trade(SYMBOL, stop)
    exchange.publish(f"{SYMBOL}@trade", trade_payload(1))
    assert done.wait(5)
    assert client.closed
    # the conftest fixture checks that no thread of the client is left


def test_close_is_fast_idempotent_and_later_calls_fail_clearly(exchange: FakeExchange) -> None:
    client = fast_client(exchange)
    client.subscribe_index("BTCUSDT")
    started = time.monotonic()
    client.close()
    client.close()
    assert time.monotonic() - started < 1.0
    with pytest.raises(ClientClosedError, match="closed"):
        client.subscribe_index("ETHUSDT")
    with pytest.raises(ClientClosedError):
        client.get(timeout=0.1)
    exchange.wait_until(lambda: exchange.connection_count == 0, 5, "the server saw the close")


def test_events_iterator_ends_on_timeout_and_on_close(
    exchange: FakeExchange, client: StreamClient
) -> None:
    client.subscribe_index("BTCUSDT")
    exchange.publish("BTCUSDT@index", {"e": "index", "s": "BTCUSDT", "p": "1"})
    started = time.monotonic()
    received = list(client.events(timeout=0.5))
    assert 0.45 <= time.monotonic() - started < 2.0
    assert [e.price for e in received] == [1.0]  # type: ignore[union-attr]
    threading.Timer(0.2, client.close).start()
    assert list(client.events()) == []


def test_two_clients_in_one_process_do_not_interfere(exchange: FakeExchange) -> None:
    with fast_client(exchange) as first, fast_client(exchange) as second:
        first.subscribe_index("BTCUSDT")
        second.subscribe_index("ETHUSDT")
        exchange.publish("BTCUSDT@index", {"e": "index", "s": "BTCUSDT", "p": "1"})
        exchange.publish("ETHUSDT@index", {"e": "index", "s": "ETHUSDT", "p": "2"})
        assert first.get(timeout=5).symbol == "BTCUSDT"
        assert second.get(timeout=5).symbol == "ETHUSDT"
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


_CTRL_C_SCRIPT = """
import sys
from binance_options_ws import StreamClient
from binance_options_ws.testing import FakeExchange

with FakeExchange() as exchange:
    client = StreamClient(exchange.url)
    client.subscribe_index("BTCUSDT")
    print("ready", flush=True)
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
        [sys.executable, str(script), how], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        assert process.stdout.readline().strip() == "ready"
        time.sleep(0.2)  # let the main thread block in the wait
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=10)
    finally:
        process.kill()
    expected = "returned True" if how == "run_forever" else "interrupted True"
    assert out.strip() == expected, err
    assert process.returncode == 0, err
    assert "Traceback" not in err
