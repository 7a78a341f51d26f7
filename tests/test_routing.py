"""Tests of binance_options_ws._routing: which events go to the queue and which to callbacks."""

from __future__ import annotations

import threading
from typing import Any, Callable, List, Optional, Tuple

from binance_options_ws._delivery import Batch
from binance_options_ws._routing import Router
from binance_options_ws.dialects import fstream, nbstream
from binance_options_ws.models import Event, IndexPrice
from binance_options_ws.subscription import Subscription


class Sink:
    """The queue and the dispatcher, as lists."""

    def __init__(self) -> None:
        self.queued: List[Event] = []
        self.called: List[Tuple[Callable[[Any], Any], Any]] = []

    def put(self, event: Event, batch: Optional[Batch]) -> None:
        self.queued.append(event)

    def submit(self, function: Callable[[Any], Any], event: Any, batch: Optional[Batch]) -> None:
        self.called.append((function, event))


def subscription(
    *streams: str, callback: Optional[Callable[[Any], Any]] = None, symbols: Any = None
) -> Subscription:
    return Subscription(
        streams, callback, symbols, cancel=lambda sub, timeout: None, is_active=lambda sub: True
    )


def index(symbol: str, stream: str) -> IndexPrice:
    return IndexPrice(symbol, 1.0, None, stream)


def test_events_go_to_the_queue_or_to_each_callback_once() -> None:
    sink = Sink()
    router = Router(nbstream.DIALECT, sink.put, sink.submit)
    seen: List[Any] = []
    router.add(subscription("BTCUSDT@index"))
    router.add(subscription("BTCUSDT@index", callback=seen.append))
    router.add(subscription("BTCUSDT@index", callback=seen.append))  # the same target: once
    event = index("BTCUSDT", "BTCUSDT@index")
    router.deliver([event])
    assert sink.queued == [event]
    assert sink.called == [(seen.append, event)]


def test_a_subscription_for_some_symbols_gets_only_theirs() -> None:
    sink = Sink()
    router = Router(fstream.DIALECT, sink.put, sink.submit)
    router.add(subscription("!index@arr", symbols=frozenset({"ETHUSDT"})))
    btc, eth = index("BTCUSDT", "!index@arr"), index("ETHUSDT", "!index@arr")
    router.deliver([btc, eth])
    assert sink.queued == [eth]
    router.add(subscription("!index@arr"))  # an unfiltered one for the same target: all
    router.deliver([btc])
    assert sink.queued == [eth, btc]


def test_forgetting_returns_the_streams_nobody_uses_and_ends_the_subscription() -> None:
    sink = Sink()
    router = Router(nbstream.DIALECT, sink.put, sink.submit)
    first = subscription("BTCUSDT@index", "ETHUSDT@index")
    second = subscription("ETHUSDT@index")
    router.add(first)
    router.add(second)
    assert router.forget(first) == ["BTCUSDT@index"]
    assert not router.is_live(first)
    assert router.is_live(second)
    assert router.streams() == ["ETHUSDT@index"]
    router.forget_streams(["ETHUSDT@index"])
    assert not router.is_live(second)
    router.deliver([index("ETHUSDT", "ETHUSDT@index")])
    assert sink.queued == []
    assert router.unrouted == 1


def test_an_event_named_in_another_spelling_reaches_the_subscription() -> None:
    sink = Sink()
    router = Router(nbstream.DIALECT, sink.put, sink.submit)
    router.add(subscription("BTC-261225-100000-C@ticker"))
    event = index("X", "btc-261225-100000-c@TICKER")  # any case: the dialect reads it back
    router.deliver([event])
    assert sink.queued == [event]
    router.deliver([index("X", "nonsense"), index("X", None)])  # type: ignore[arg-type]
    assert router.unrouted == 2


def test_spellings_from_the_network_are_remembered_within_a_bound() -> None:
    sink = Sink()
    router = Router(nbstream.DIALECT, sink.put, sink.submit)
    router.add(subscription("BTCUSDT@index"))
    for number in range(25_000):  # hostile names: memory must not grow with them
        router.deliver([index("X", f"NAME{number}@index")])
    assert router.unrouted == 25_000
    assert len(router._canonical) <= 10_000  # white-box: the one place the bound shows
    router.deliver([index("BTCUSDT", "btcusdt@INDEX")])
    assert len(sink.queued) == 1


def test_routes_change_while_a_reader_delivers() -> None:
    # A subscribe or unsubscribe on another thread never makes the reader raise.
    sink = Sink()
    router = Router(nbstream.DIALECT, sink.put, sink.submit)
    stop = threading.Event()
    errors: List[BaseException] = []

    def reader() -> None:
        try:
            while not stop.is_set():
                router.deliver([index("BTCUSDT", "btcusdt@index")])
        except BaseException as exc:  # pragma: no cover - what the test looks for
            errors.append(exc)

    thread = threading.Thread(target=reader, name="test-reader", daemon=True)
    thread.start()
    try:
        for _ in range(500):
            sub = subscription("BTCUSDT@index")
            router.add(sub)
            router.forget(sub)
    finally:
        stop.set()
        thread.join(5)
    assert errors == []
