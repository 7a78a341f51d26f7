"""The typed API at run time: subscriptions read on their own, their types, call-site errors.

What the type checkers make of the API is checked by ``tests/typing/check.py``
(run by ``.ci/run``: mypy --strict and pyright on ``tests/typing/user_script.py``,
the README's blocks and ``tests/typing/wrong_types.py``); here, that what the types
promise is what happens, the user script included.
"""

from __future__ import annotations

import importlib.util
import queue
import threading
import time
from pathlib import Path
from typing import Any, Iterator, List

import pytest

from binance_options_ws import (
    ClientClosedError,
    IndexPrice,
    InvalidArgumentError,
    InvalidArgumentTypeError,
    InvalidStreamError,
    InvalidStreamTypeError,
    StreamClient,
    SubscriptionEndedError,
    Trade,
    UnknownEvent,
)
from binance_options_ws.testing import FakeExchange, SyntheticMarket
from binance_options_ws.testing.waiting import wait_for

SYMBOL = "BTC-261225-100000-C"
TRADE = f"{SYMBOL}@trade"


def trade(trade_id: int) -> dict[str, Any]:
    return {
        "e": "trade",
        "E": 1_700_000_000_000 + trade_id,
        "s": SYMBOL,
        "t": trade_id,
        "p": "1000",
        "q": "2",
        "b": 1,
        "a": 2,
        "T": 1_700_000_000_000 + trade_id,
        "S": "1",
        "X": "MARKET",
    }


def index(price: str) -> dict[str, Any]:
    return {"e": "index", "E": 1, "s": "BTCUSDT", "p": price}


@pytest.fixture
def exchange() -> Iterator[FakeExchange]:
    with FakeExchange() as fake:
        yield fake


@pytest.fixture
def client(exchange: FakeExchange) -> Iterator[StreamClient]:
    with StreamClient(exchange.url) as c:
        yield c


def test_a_subscription_read_on_its_own_gives_its_events_and_the_client_queue_none(
    exchange: FakeExchange, client: StreamClient
) -> None:
    trades = client.subscribe_trade(SYMBOL)
    client.subscribe_index("BTCUSDT")
    with pytest.raises(queue.Empty):
        trades.get(timeout=0.05)  # the first read gives it its own queue
    for trade_id in (1, 2, 3):
        exchange.publish(TRADE, trade(trade_id))
    exchange.publish("BTCUSDT@index", index("100"))
    got = [trades.get(timeout=5) for _ in range(3)]
    assert [t.trade_id for t in got] == [1, 2, 3]
    assert all(isinstance(t, Trade) for t in got)
    assert got[0].price * got[0].quantity == 2000.0
    event = client.get(timeout=5)  # the index still goes to the client's queue
    assert isinstance(event, IndexPrice)
    assert client.queue.empty()
    assert "own queue" in repr(trades)


def test_the_first_read_takes_the_subscriptions_events_from_the_client_queue(
    exchange: FakeExchange, client: StreamClient
) -> None:
    trades = client.subscribe_trade(SYMBOL)
    client.subscribe_index("BTCUSDT")
    exchange.publish(TRADE, trade(1))
    exchange.publish("BTCUSDT@index", index("100"))
    exchange.publish(TRADE, trade(2))
    wait_for(lambda: client.queue.qsize() == 3, what="three events in the client queue")
    assert isinstance(client.get(timeout=5), Trade)  # read through the client queue
    # The subscription's first read: the trade still waiting moves with it, in order.
    exchange.publish(TRADE, trade(3))
    assert [trades.get(timeout=5).trade_id for _ in range(2)] == [2, 3]
    assert [client.get(timeout=1)] == [IndexPrice("BTCUSDT", 100.0, 1, "BTCUSDT@index")]
    assert client.queue.empty()


def test_an_event_another_subscription_reads_from_the_client_queue_stays_there(
    exchange: FakeExchange, client: StreamClient
) -> None:
    mine = client.subscribe_trade(SYMBOL)
    client.subscribe(TRADE)  # reads the same stream through the client queue
    exchange.publish(TRADE, trade(1))
    wait_for(lambda: client.queue.qsize() == 1, what="the trade in the client queue")
    assert mine.get(timeout=5).trade_id == 1
    event = client.get(timeout=1)
    assert isinstance(event, Trade)
    assert event.trade_id == 1


def test_subscription_events_end_on_timeout_and_on_unsubscribe(
    exchange: FakeExchange, client: StreamClient
) -> None:
    trades = client.subscribe_trade(SYMBOL)
    iterator = trades.events(timeout=0.3)
    exchange.publish(TRADE, trade(1))
    started = time.monotonic()
    assert [t.trade_id for t in iterator] == [1]
    assert 0.2 <= time.monotonic() - started < 0.4 + 0.1
    timer = threading.Timer(0.2, trades.unsubscribe)
    timer.start()
    started = time.monotonic()
    assert list(trades.events()) == []
    assert time.monotonic() - started < 1.0
    timer.join(5)
    with pytest.raises(SubscriptionEndedError):
        trades.get(timeout=5)


def test_close_releases_a_subscription_reader_at_once(
    exchange: FakeExchange, client: StreamClient
) -> None:
    trades = client.subscribe_trade(SYMBOL)
    errors: List[BaseException] = []
    released = threading.Event()

    def read() -> None:
        try:
            trades.get(timeout=30)
        except BaseException as exc:
            errors.append(exc)
        released.set()

    reader = threading.Thread(target=read)
    reader.start()
    wait_for(lambda: trades.active and reader.is_alive(), what="the reader waiting")
    client.close()
    closed_at = time.monotonic()
    assert released.wait(1.0)
    assert time.monotonic() - closed_at < 0.1
    assert len(errors) == 1
    assert isinstance(errors[0], ClientClosedError)
    assert not isinstance(errors[0], SubscriptionEndedError)
    reader.join(1)


def test_a_subscription_timeout_is_kept(client: StreamClient) -> None:
    trades = client.subscribe_trade(SYMBOL)
    for timeout in (0.0, 0.2):
        started = time.monotonic()
        with pytest.raises(queue.Empty):
            trades.get(timeout=timeout)
        assert timeout <= time.monotonic() - started < timeout + 0.1


def test_a_subscription_with_a_callback_has_no_queue_to_read(client: StreamClient) -> None:
    def on_trade(event: Trade) -> None:
        pass

    trades = client.subscribe_trade(SYMBOL, on_trade)
    with pytest.raises(InvalidArgumentError, match="on_trade"):
        trades.get(timeout=1)
    with pytest.raises(InvalidArgumentError, match="on_trade"):
        trades.events(timeout=1)


def test_a_typed_subscription_takes_no_unknown_event_and_an_untyped_one_does(
    exchange: FakeExchange, client: StreamClient
) -> None:
    typed: List[Any] = []
    untyped: List[Any] = []
    client.subscribe_trade(SYMBOL, typed.append)
    client.subscribe(TRADE, untyped.append)
    exchange.publish(TRADE, {"e": "somethingNew", "E": 5})
    exchange.publish(TRADE, trade(1))
    wait_for(lambda: len(untyped) == 2 and len(typed) == 1, what="both callbacks")
    assert [type(e) for e in typed] == [Trade]
    assert [type(e) for e in untyped] == [UnknownEvent, Trade]


def test_an_unknown_event_no_subscription_takes_is_counted_as_unrouted(
    exchange: FakeExchange, client: StreamClient
) -> None:
    client.subscribe_trade(SYMBOL)
    exchange.publish(TRADE, {"e": "somethingNew", "E": 5})
    exchange.publish(TRADE, trade(1))
    assert isinstance(client.get(timeout=5), Trade)
    assert client.queue.empty()
    wait_for(lambda: client.stats.unrouted_events == 1, what="the unknown event counted")


@pytest.mark.parametrize("timeout", ["5", b"1", [1], True, object()])
def test_get_and_events_refuse_a_timeout_of_the_wrong_type(
    client: StreamClient, timeout: Any
) -> None:
    trades = client.subscribe_trade(SYMBOL)
    for call in (client.get, client.events, trades.get, trades.events):
        with pytest.raises(InvalidArgumentTypeError, match=repr(timeout)[:10]) as info:
            call(timeout)
        assert isinstance(info.value, TypeError)
        assert isinstance(info.value, InvalidArgumentError)


@pytest.mark.parametrize("timeout", [-1, float("nan")])
def test_get_and_events_refuse_a_negative_timeout(client: StreamClient, timeout: float) -> None:
    for call in (client.get, client.events):
        with pytest.raises(InvalidArgumentError, match="0 or more"):
            call(timeout)


def test_call_site_type_errors_are_type_errors(client: StreamClient) -> None:
    with pytest.raises(InvalidStreamTypeError) as info:
        client.subscribe_index(123)  # type: ignore[arg-type]
    assert isinstance(info.value, TypeError)
    assert isinstance(info.value, InvalidStreamError)  # as before
    with pytest.raises(TypeError, match="callback must be a function"):
        client.subscribe_trade(SYMBOL, "print")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="expiration"):
        client.subscribe_open_interest("BTC", 261225)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        client.subscribe(42)  # type: ignore[arg-type]


def _user_script() -> Any:
    """tests/typing/user_script.py, imported from its path (it is not a package module)."""
    path = Path(__file__).parent / "typing" / "user_script.py"
    spec = importlib.util.spec_from_file_location("user_script", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_type_checked_user_script_runs_as_its_types_say() -> None:
    # The script CI type-checks with mypy --strict and pyright: every subscribe method
    # of both endpoints, against a synthetic market. What the types promise (a Trade's
    # price and quantity are floats, a subscription's get() gives its own event type)
    # holds at run time: the arithmetic raises nothing.
    script = _user_script()
    market = SyntheticMarket(seed=1, speed=10)
    symbol = market.symbols("BTC")[len(market.symbols("BTC")) // 2]
    expiry = market.expirations("BTC")[0]
    with FakeExchange(market=market) as exchange:
        assert isinstance(script.nbstream(exchange.url, symbol, expiry, 1.0), float)
        assert isinstance(script.fstream(exchange.url, symbol, expiry, 1.0), float)
    assert script.notional
    assert all(isinstance(value, float) for value in script.notional)


@pytest.mark.parametrize("option", ["request_timeout", "connect_timeout", "ping_interval"])
def test_a_number_option_of_the_wrong_type_is_a_type_error(option: str) -> None:
    with pytest.raises(InvalidArgumentTypeError, match=f"{option} must be a positive number"):
        StreamClient(**{option: "5"})
    with pytest.raises(InvalidArgumentError, match=option) as info:
        StreamClient(**{option: -1})
    assert not isinstance(info.value, TypeError)
