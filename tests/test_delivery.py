"""Tests of binance_options_ws.delivery: the event queue, wake-up holding, the dispatcher."""

from __future__ import annotations

import queue
import threading
import time
from typing import List

import pytest

from binance_options_ws.delivery import CallbackDispatcher, EventQueue, wakeup_hold


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
    """Puts ``count`` items as a reader does, holding wake-ups while more are coming."""
    hold = wakeup_hold()
    for i in range(count):
        hold.active = True
        q.put(i)
        if not hold_all and i == count - 1:
            hold.release()


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
        hold = wakeup_hold()
        hold.active = True  # and never released
        for i in range(200):
            sent.append(time.monotonic())
            q.put(i)
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
    hold = wakeup_hold()
    try:
        hold.active = True
        for i in range(3_000):
            q.put(i)
            if i % 100 == 0:
                time.sleep(0.003)  # longer than a nap: the consumer parks anew
        consumer.join(10)
        assert got == list(range(3_000))
        assert len(hold._waiters) <= 1
    finally:
        hold.release()


def test_holding_never_delays_a_consumer_in_a_long_sleep() -> None:
    q: EventQueue[int] = EventQueue()
    got: List[int] = []
    consumer = _consume(q, 1, got)
    time.sleep(0.05)  # parked in a long sleep: no held burst before
    hold = wakeup_hold()
    hold.active = True
    try:
        started = time.monotonic()
        q.put(1)
        consumer.join(2)
        assert got == [1]
        assert time.monotonic() - started < 0.25
    finally:
        hold.release()


def test_the_hold_belongs_to_its_thread() -> None:
    mine = wakeup_hold()
    theirs: List[object] = []
    thread = threading.Thread(target=lambda: theirs.append(wakeup_hold()))
    thread.start()
    thread.join()
    assert wakeup_hold() is mine
    assert theirs[0] is not mine


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
