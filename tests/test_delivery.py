"""Tests of binance_options_ws._delivery: the event queue, batches, the dispatcher."""

from __future__ import annotations

import contextlib
import math
import queue
import threading
import time
from typing import List, Optional, Tuple

import pytest

from binance_options_ws._delivery import Batch, CallbackDispatcher, EventQueue
from binance_options_ws.testing.waiting import wait_for


def _consume(q: EventQueue[int], count: int, out: List[int]) -> threading.Thread:
    def run() -> None:
        for _ in range(count):
            out.append(q.get(timeout=5))

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def test_put_and_get_in_order() -> None:
    q: EventQueue[int] = EventQueue(maxsize=10)
    for i in range(5):
        q.put(i)
    assert q.qsize() == 5
    assert [q.get_nowait() for _ in range(5)] == [0, 1, 2, 3, 4]
    assert q.empty()


def test_a_full_queue_drops_the_oldest_and_counts() -> None:
    bursts: List[int] = []
    q: EventQueue[int] = EventQueue(maxsize=3, on_overflow=bursts.append)
    for i in range(6):
        q.put(i)
    assert q.full()
    assert q.dropped == 3
    assert bursts == [1]  # once per burst
    assert [q.get_nowait() for _ in range(3)] == [3, 4, 5]
    q.put(6)
    q.put(7)
    q.put(8)
    q.put(9)  # a new burst, after the queue was drained below half
    assert bursts == [1, 4]


def test_get_nowait_and_timeouts_raise_empty() -> None:
    q: EventQueue[int] = EventQueue()
    with pytest.raises(queue.Empty):
        q.get_nowait()
    started = time.monotonic()
    with pytest.raises(queue.Empty):
        q.get(timeout=0.05)
    assert 0.04 <= time.monotonic() - started < 1.0
    with pytest.raises(queue.Empty):
        q.get(timeout=0)


def test_a_put_wakes_a_blocked_consumer_at_once() -> None:
    q: EventQueue[int] = EventQueue()
    got: List[int] = []
    thread = _consume(q, 1, got)
    time.sleep(0.05)  # let it park
    started = time.monotonic()
    q.put(7)
    thread.join(2)
    assert got == [7]
    assert time.monotonic() - started < 0.25  # well under the 0.5 s wait slice


def test_each_put_wakes_one_of_several_consumers() -> None:
    q: EventQueue[int] = EventQueue()
    got: List[int] = []
    threads = [_consume(q, 1, got) for _ in range(3)]
    time.sleep(0.05)
    started = time.monotonic()
    for i in range(3):
        q.put(i)
    for thread in threads:
        thread.join(2)
    assert sorted(got) == [0, 1, 2]
    assert time.monotonic() - started < 0.25


def test_close_wakes_every_waiting_consumer() -> None:
    q: EventQueue[int] = EventQueue()
    outcomes: List[str] = []

    def run() -> None:
        try:
            q.get(timeout=None)
        except queue.Empty:
            outcomes.append("empty")

    threads = [threading.Thread(target=run, daemon=True) for _ in range(3)]
    for thread in threads:
        thread.start()
    time.sleep(0.05)
    started = time.monotonic()
    q.close()
    for thread in threads:
        thread.join(2)
    assert outcomes == ["empty"] * 3
    assert time.monotonic() - started < 0.25
    assert q.closed


def test_items_put_before_close_can_still_be_read() -> None:
    q: EventQueue[int] = EventQueue()
    q.put(1)
    q.close()
    assert q.get() == 1
    with pytest.raises(queue.Empty):
        q.get()


def _producer(q: EventQueue[int], count: int, hold_all: bool) -> None:
    """Puts ``count`` items as a reader does, in a batch with more to come until the last."""
    batch = Batch()
    for i in range(count):
        batch.more = True
        q.put(i, batch)
        if not hold_all and i == count - 1:
            batch.end()


def test_a_held_burst_reaches_the_consumer_in_order_and_complete() -> None:
    q: EventQueue[int] = EventQueue(maxsize=100_000)
    got: List[int] = []
    consumer = _consume(q, 20_000, got)
    producer = threading.Thread(target=_producer, args=(q, 20_000, False), daemon=True)
    producer.start()
    producer.join(10)
    consumer.join(10)
    assert got == list(range(20_000))


def test_a_hold_never_released_delays_a_napping_consumer_only_briefly() -> None:
    # The reader keeps holding (as when a ping frame follows the last data frame):
    # the napping consumer still gets every item, each within a few milliseconds.
    q: EventQueue[int] = EventQueue()
    got: List[int] = []
    stamps: List[float] = []

    def consume() -> None:
        for _ in range(200):
            got.append(q.get(timeout=5))
            stamps.append(time.monotonic())

    consumer = threading.Thread(target=consume, daemon=True)
    consumer.start()
    sent: List[float] = []

    def produce() -> None:
        batch = Batch()
        batch.more = True  # and never ended
        for i in range(200):
            sent.append(time.monotonic())
            q.put(i, batch)
            time.sleep(0.001)

    producer = threading.Thread(target=produce, daemon=True)
    producer.start()
    producer.join(10)
    consumer.join(10)
    assert got == list(range(200))
    worst = max(stamp - at for stamp, at in zip(stamps, sent))
    assert worst < 0.1  # the nap is 2 ms; leave room for a loaded machine


def test_a_hold_that_is_never_released_keeps_one_wakeup_per_queue() -> None:
    # A saturated socket never drains: the hold must not pile up the wake-ups of a
    # consumer that naps, wakes by itself and parks again, over and over.
    q: EventQueue[int] = EventQueue(maxsize=1_000_000)
    got: List[int] = []
    consumer = _consume(q, 3_000, got)
    batch = Batch()
    try:
        batch.more = True
        for i in range(3_000):
            q.put(i, batch)
            if i % 100 == 0:
                time.sleep(0.003)  # longer than a nap: the consumer parks anew
        consumer.join(10)
        assert got == list(range(3_000))
        assert batch.held <= 1
    finally:
        batch.end()


def test_holding_never_delays_a_consumer_in_a_long_sleep() -> None:
    q: EventQueue[int] = EventQueue()
    got: List[int] = []
    consumer = _consume(q, 1, got)
    time.sleep(0.05)  # parked in a long sleep: no held burst before
    batch = Batch()
    batch.more = True
    try:
        started = time.monotonic()
        q.put(1, batch)
        consumer.join(2)
        assert got == [1]
        assert time.monotonic() - started < 0.25
    finally:
        batch.end()


def test_a_batch_holds_and_releases_only_the_wakeups_of_its_own_puts() -> None:
    # Two readers feed one queue: each hands its own Batch over with its puts, and
    # ending one wakes only the consumers that its puts held back.
    q: EventQueue[int] = EventQueue()
    got: List[int] = []

    def consume() -> None:
        with contextlib.suppress(queue.Empty):  # closed at the end
            while True:
                got.append(q.get(timeout=5))

    consumer = threading.Thread(target=consume, daemon=True)
    consumer.start()
    first, second = Batch(), Batch()
    first.more = second.more = True
    sent = 0

    def put_until_held(batch: Batch) -> None:
        # A consumer naps for 2 ms after a put in a batch found it parked: put again
        # as soon as it took the item, until a put finds it napping.
        nonlocal sent
        deadline = time.monotonic() + 5
        while not batch.held:
            assert time.monotonic() < deadline, "no wake-up was ever held"
            q.put(sent, batch)
            sent += 1
            while len(got) < sent:
                assert time.monotonic() < deadline, "the consumer did not take the item"
                time.sleep(0.0001)

    try:
        put_until_held(first)
        put_until_held(second)
        assert (first.held, second.held) == (1, 1)
        second.end()
        assert (first.held, second.held, second.more) == (1, 0, False)
        first.end()
        assert first.held == 0
        assert got == list(range(sent))
    finally:
        first.end()
        second.end()
        q.close()
        consumer.join(2)


def test_a_put_without_a_batch_is_never_held() -> None:
    q: EventQueue[int] = EventQueue()
    got: List[int] = []
    consumer = _consume(q, 200, got)
    busy = Batch()
    busy.more = True  # another reader, in a batch that never ends
    try:
        for i in range(200):
            q.put(i, busy if i % 2 else None)
        wait_for(lambda: len(got) == 200, what="every item")
        assert got == list(range(200))
        assert busy.held <= 1
    finally:
        busy.end()
        consumer.join(2)


PACE = [
    # (batches as (start, items), busy producer's resume_at after each, delay 0.01)
    ("a lone item is read at once", [(1.0, 1)], [None]),
    ("several items make it busy", [(1.0, 3)], [1.01]),
    ("two lone items close together make it busy", [(1.0, 1), (1.004, 1)], [None, 1.014]),
    ("two lone items far apart do not", [(1.0, 1), (1.006, 1)], [None, None]),
    ("busy stays busy while batches hold several", [(1.0, 3), (1.01, 2)], [1.01, 1.02]),
    ("a lone item ends busy", [(1.0, 3), (1.01, 1), (1.02, 1)], [1.01, None, None]),
]


@pytest.mark.parametrize(
    ("batches", "expected"), [case[1:] for case in PACE], ids=[case[0] for case in PACE]
)
def test_a_batch_paces_a_busy_producer(
    batches: List[Tuple[float, int]], expected: List[Optional[float]]
) -> None:
    batch = Batch(delay=0.01)
    resume: List[Optional[float]] = []
    for start, items in batches:
        batch.add(start, 1)
        for _ in range(items - 1):
            batch.add(start + 0.0001, 1)  # later reads of the same batch
        batch.end()
        resume.append(None if batch.resume_at == -math.inf else batch.resume_at)
    assert resume == pytest.approx(expected)


def test_a_batch_without_a_delay_never_asks_to_wait() -> None:
    batch = Batch()
    for start in (1.0, 1.0001, 1.0002):
        batch.add(start, 5)
        batch.end()
        assert batch.resume_at == -math.inf


def test_callbacks_submitted_in_a_batch_all_run_in_order() -> None:
    dispatcher = CallbackDispatcher("test-dispatcher", 1_000)
    seen: List[int] = []
    batch = Batch()
    try:
        for value in range(300):
            batch.more = value < 299
            dispatcher.submit(seen.append, value, batch)
        batch.end()
        wait_for(lambda: len(seen) == 300, what="every callback")
        assert seen == list(range(300))
    finally:
        assert dispatcher.stop(1.0)


def test_dispatcher_runs_callbacks_in_order_and_survives_errors() -> None:
    errors: List[BaseException] = []
    dispatcher = CallbackDispatcher("test-dispatcher", 100, on_error=errors.append)
    seen: List[int] = []
    done = threading.Event()

    def record(value: int) -> None:
        if value == 2:
            raise RuntimeError("boom")
        seen.append(value)
        if value == 4:
            done.set()

    try:
        for value in range(5):
            dispatcher.submit(record, value)
        assert done.wait(2)
        assert seen == [0, 1, 3, 4]
        assert dispatcher.errors == 1
        assert [str(e) for e in errors] == ["boom"]
    finally:
        assert dispatcher.stop(1.0)


@pytest.mark.parametrize("raised", [SystemExit(3), KeyboardInterrupt(), GeneratorExit()])
def test_a_callback_that_raises_a_base_exception_never_stops_the_dispatcher(
    raised: BaseException,
) -> None:
    # sys.exit() or a stray KeyboardInterrupt in a callback is the callback's error: every
    # later callback still runs, and the error is counted and handed to on_error.
    errors: List[BaseException] = []
    seen: List[int] = []
    done = threading.Event()

    def on_error(error: BaseException) -> None:
        errors.append(error)
        raise SystemExit("on_error may fail too")

    def record(value: int) -> None:
        if value == 1:
            raise raised
        seen.append(value)
        if value == 3:
            done.set()

    dispatcher = CallbackDispatcher("test-dispatcher", 100, on_error=on_error)
    try:
        for value in range(4):
            dispatcher.submit(record, value)
        assert done.wait(2)
        assert seen == [0, 2, 3]
        assert dispatcher.errors == 1
        assert errors == [raised]
        assert dispatcher.thread.is_alive()
    finally:
        assert dispatcher.stop(1.0)


# ---------------------------------------------------------------- take and put_first


def test_take_returns_the_wanted_items_in_order_and_removes_the_unshared() -> None:
    q: EventQueue[int] = EventQueue(10)
    for n in range(6):
        q.put(n)
    assert q.take(lambda n: n % 2 == 0, lambda n: n == 4) == [0, 2, 4]
    assert [q.get_nowait() for _ in range(q.qsize())] == [1, 3, 4, 5]


def test_take_skips_an_item_a_consumer_took_meanwhile() -> None:
    q: EventQueue[int] = EventQueue(10)
    for n in range(3):
        q.put(n)

    def wanted(n: int) -> bool:
        if n == 0:
            q.get_nowait()  # another consumer takes 0 while take() looks
        return True

    assert q.take(wanted, lambda n: False) == [1, 2]
    assert q.empty()


def test_put_first_keeps_the_order_wakes_a_waiter_and_drops_the_oldest_beyond_the_size() -> None:
    q: EventQueue[int] = EventQueue(4)
    q.put(10)
    q.put_first([1, 2])
    assert [q.get_nowait() for _ in range(3)] == [1, 2, 10]
    q.put(10)
    q.put(11)
    q.put_first([1, 2, 3, 4])  # room for two: the newest two of them
    assert q.dropped == 2
    assert [q.get_nowait() for _ in range(4)] == [3, 4, 10, 11]
    got: List[int] = []
    waiter = threading.Thread(target=lambda: got.append(q.get(timeout=5)))
    waiter.start()
    wait_for(lambda: bool(q._waiters), what="a waiting consumer")
    q.put_first([7])
    waiter.join(5)
    assert got == [7]
