"""Tests of binance_options_ws._routing: which events go to the queue and which to callbacks."""

from __future__ import annotations

import threading
from typing import Any, Callable, List, Optional, Tuple

from binance_options_ws._delivery import Batch, EventQueue
from binance_options_ws._routing import Router
from binance_options_ws.dialects import fstream, nbstream
from binance_options_ws.models import Event, IndexPrice, UnknownEvent
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


# ---------------------------------------------------------------- typed subscriptions


def test_an_unknown_event_goes_only_to_the_untyped_subscriptions() -> None:
    sink = Sink()
    router = Router(nbstream.DIALECT, sink.put, sink.submit)
    typed: List[Any] = []
    untyped: List[Any] = []
    router.add(
        Subscription(
            ("BTCUSDT@index",),
            typed.append,
            None,
            event_class=IndexPrice,
            cancel=lambda sub, timeout: None,
            is_active=lambda sub: True,
        )
    )
    router.add(subscription("BTCUSDT@index", callback=untyped.append))
    unknown = UnknownEvent("newKind", {}, 1, "BTCUSDT@index")
    known = index("BTCUSDT", "BTCUSDT@index")
    router.deliver([unknown, known])
    assert sink.called == [
        (untyped.append, unknown),
        (typed.append, known),
        (untyped.append, known),
    ]
    assert router.unrouted == 0
    router.forget_streams(["BTCUSDT@index"])
    router.add(
        Subscription(
            ("BTCUSDT@index",),
            None,
            None,
            event_class=IndexPrice,
            cancel=lambda sub, timeout: None,
            is_active=lambda sub: True,
        )
    )
    router.deliver([unknown])  # no untyped subscription: counted, delivered to nobody
    assert router.unrouted == 1
    assert sink.queued == []


def test_set_queue_moves_the_waiting_events_in_order_and_leaves_what_others_read() -> None:
    shared: EventQueue[Any] = EventQueue(10)
    sink = Sink()
    router = Router(nbstream.DIALECT, shared.put, sink.submit)
    mine = subscription("BTCUSDT@index")
    other = subscription("ETHUSDT@index")
    both = subscription("SOLUSDT@index")
    for sub in (mine, other, both, subscription("SOLUSDT@index")):
        router.add(sub)
    btc1, eth, sol, btc2 = (
        index("BTCUSDT", "BTCUSDT@index"),
        index("ETHUSDT", "ETHUSDT@index"),
        index("SOLUSDT", "SOLUSDT@index"),
        index("BTCUSDT", "btcusdt@index"),  # another spelling of the same stream
    )
    router.deliver([btc1, eth, sol, btc2])
    own: EventQueue[Any] = EventQueue(10)
    router.set_queue(mine, own, shared)
    assert [own.get_nowait() for _ in range(2)] == [btc1, btc2]
    assert [shared.get_nowait() for _ in range(2)] == [eth, sol]
    sol_own: EventQueue[Any] = EventQueue(10)
    router.deliver([sol])
    router.set_queue(both, sol_own, shared)  # another subscription reads it too: it stays
    assert sol_own.get_nowait() is sol
    assert shared.get_nowait() is sol
    btc3 = index("BTCUSDT", "BTCUSDT@index")
    router.deliver([btc3])  # from now on, straight to the subscription's queue
    assert own.get_nowait() is btc3
    assert shared.empty()


def test_set_queue_waits_for_a_frame_being_delivered() -> None:
    # A reader in the middle of a frame finishes it before the events move, so that no
    # event of the subscription can land in the shared queue after the move.
    shared: EventQueue[Any] = EventQueue(100)
    entered, release = threading.Event(), threading.Event()

    def slow_put(event: Any, batch: Optional[Batch]) -> None:
        entered.set()
        release.wait(5)
        shared.put(event, batch)

    router = Router(nbstream.DIALECT, slow_put, Sink().submit)
    mine = subscription("BTCUSDT@index")
    router.add(mine)
    event = index("BTCUSDT", "BTCUSDT@index")
    reader = threading.Thread(target=router.deliver, args=([event],))
    reader.start()
    assert entered.wait(5)
    own: EventQueue[Any] = EventQueue(100)
    mover = threading.Thread(target=router.set_queue, args=(mine, own, shared))
    mover.start()
    mover.join(0.2)
    assert mover.is_alive()  # waits for the frame
    release.set()
    reader.join(5)
    mover.join(5)
    assert own.get_nowait() is event
    assert shared.empty()
