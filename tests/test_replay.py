"""Replay: a recording plays back through the client's own code, event for event."""

from __future__ import annotations

import gzip
import queue
import threading
import time
from pathlib import Path
from typing import Any, List

import pytest

from binance_options_ws import (
    ClientClosedError,
    Event,
    IndexPrice,
    InvalidArgumentError,
    StreamClient,
    Subscription,
    Trade,
)
from binance_options_ws.playback import ReplayClient, replay
from binance_options_ws.recording import RecordingDamagedError, recording_files
from binance_options_ws.testing import FakeExchange, SyntheticMarket
from binance_options_ws.testing.waiting import wait_for

PAIR = "BTCUSDT"


def subscribe_and_collect(client: StreamClient, count: int) -> List[Event]:
    """Code written for a live client: index and trades on the queue."""
    client.subscribe_index(PAIR)
    client.subscribe_trade("BTC")
    return [client.get(timeout=10) for _ in range(count)]


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """A recording of the synthetic market (index and trades), and what the live client got."""
    directory = tmp_path_factory.mktemp("recording")
    market = SyntheticMarket(seed=3, speed=20)
    with (
        FakeExchange(market=market) as exchange,
        StreamClient(exchange.url, record_to=directory) as client,
    ):
        live = subscribe_and_collect(client, 60)
        client.subscribe_mark_price("BTC")  # recorded, but not replayed unless subscribed
        wait_for(lambda: client.queue.qsize() > 20, timeout=10, what="more events")
    return directory, live


def test_a_replay_gives_the_live_events_one_for_one(recorded: Any) -> None:
    directory, live = recorded
    with replay(directory) as client:
        assert isinstance(client, ReplayClient)
        assert subscribe_and_collect(client, len(live)) == live
    assert any(isinstance(e, Trade) for e in live)
    assert any(isinstance(e, IndexPrice) for e in live)


def test_events_end_at_the_end_of_the_recording_and_the_client_closes(recorded: Any) -> None:
    directory, live = recorded
    with replay(directory) as client:
        client.subscribe_index(PAIR)
        events = list(client.events(timeout=30))
        assert client.closed
        status = client.replay_status
        assert status.finished
        assert status.error is None
        assert status.delivered == len(events) < status.frames
    indexes = [e for e in live if isinstance(e, IndexPrice)]
    assert events[: len(indexes)] == indexes
    assert all(isinstance(e, IndexPrice) for e in events)


def test_callbacks_subscriptions_and_run_forever_work_as_on_a_live_client(recorded: Any) -> None:
    directory, live = recorded
    trades: List[Event] = []
    threads: List[str] = []

    def on_trade(event: Event) -> None:
        trades.append(event)
        threads.append(threading.current_thread().name)

    client = replay(directory)
    subscription = client.subscribe_trade("BTC", on_trade)
    assert isinstance(subscription, Subscription)
    assert subscription.active
    client.run_forever()  # returns at the end of the recording, every callback run
    assert client.closed
    live_trades = [e for e in live if isinstance(e, Trade)]
    assert trades[: len(live_trades)] == live_trades
    assert all(name.endswith("-dispatcher") for name in threads)
    with pytest.raises(ClientClosedError):
        client.subscribe_index(PAIR)


def test_a_slow_consumer_loses_nothing_when_playing_as_fast_as_it_reads(recorded: Any) -> None:
    directory, _ = recorded
    with replay(directory) as fast:
        fast.subscribe_index(PAIR)
        fast.subscribe_trade("BTC")
        everything = list(fast.events(timeout=30))
    with replay(directory, queue_size=5) as slow:
        slow.subscribe_index(PAIR)
        slow.subscribe_trade("BTC")
        got = list(slow.events(timeout=30))
        assert slow.stats.dropped_events == 0
    assert got == everything
    assert len(got) > 5


def test_a_subscription_read_on_its_own_loses_nothing_either(recorded: Any) -> None:
    directory, _ = recorded
    with replay(directory) as fast:
        everything = list(fast.subscribe_trade("BTC").events(timeout=30))
    with replay(directory, queue_size=5) as slow:
        trades = slow.subscribe_trade("BTC")
        got: List[Event] = []
        for trade in trades.events(timeout=30):
            got.append(trade)
            time.sleep(0.002)  # a consumer slower than the player
        assert slow.stats.dropped_events == 0
    assert got == everything
    assert len(got) > 5


def test_speed_one_keeps_the_recorded_pace_and_ten_is_faster(recorded: Any) -> None:
    directory, _ = recorded
    with replay(directory) as probe:
        probe.subscribe_index(PAIR)
        count = len(list(probe.events(timeout=30)))
    from binance_options_ws.recording import read_recording

    times = [f.time for f in read_recording(directory) if f.stream == f"{PAIR}@index"]
    span = times[-1] - times[0]
    assert span > 0.3
    for speed in (1.0, 10.0):
        with replay(directory, speed=speed) as client:
            client.subscribe_index(PAIR)
            began = time.monotonic()
            events = list(client.events(timeout=30))
            took = time.monotonic() - began
        assert len(events) == count
        assert took >= 0.8 * span / speed


def test_a_truncated_recording_plays_up_to_the_damage_and_says_where(
    recorded: Any, tmp_path: Path
) -> None:
    directory, _ = recorded
    [source] = recording_files(directory)
    data = gzip.decompress(Path(source).read_bytes())
    lines = data.splitlines(keepends=True)
    cut = tmp_path / "nbstream-cut.jsonl.gz"
    cut.write_bytes(gzip.compress(b"".join(lines[:30]) + lines[30][:25]))
    errors: List[BaseException] = []
    with replay(cut, on_error=errors.append) as client:
        client.subscribe_index(PAIR)
        client.subscribe_trade("BTC")
        events = list(client.events(timeout=30))
        status = client.replay_status
    assert status.finished
    assert isinstance(status.error, RecordingDamagedError)
    assert status.error.line == 31
    assert status.frames == 29
    assert 0 < len(events) <= 29
    wait_for(lambda: bool(errors), timeout=5, what="on_error")
    assert errors == [status.error]

    with replay(directory) as whole:
        whole.subscribe_index(PAIR)
        whole.subscribe_trade("BTC")
        assert list(whole.events(timeout=30))[: len(events)] == events


def test_a_bad_gzip_tail_plays_the_good_part(recorded: Any, tmp_path: Path) -> None:
    directory, _ = recorded
    [source] = recording_files(directory)
    data = Path(source).read_bytes()
    damaged = tmp_path / "nbstream-tail.jsonl.gz"
    damaged.write_bytes(data[: len(data) * 2 // 3])
    with replay(damaged) as client:
        client.subscribe_index(PAIR)
        events = list(client.events(timeout=30))
        error = client.replay_status.error
    assert error is not None
    assert "damaged at line" in str(error)
    assert events


def test_bad_arguments_are_refused_at_the_call(recorded: Any, tmp_path: Path) -> None:
    directory, _ = recorded
    for speed in (0, -1, "fast", True):
        with pytest.raises(InvalidArgumentError, match="speed must be"):
            replay(directory, speed=speed)  # type: ignore[arg-type]
    with pytest.raises(FileNotFoundError, match="no recording"):
        replay(tmp_path / "nothing-here")


def test_playback_starts_after_the_last_subscribe_when_nobody_reads(recorded: Any) -> None:
    directory, _ = recorded
    got: queue.Queue[Event] = queue.Queue()
    with replay(directory, start_after=0.1) as client:
        client.subscribe_index(PAIR, got.put)
        assert isinstance(got.get(timeout=10), IndexPrice)


def test_an_fstream_recording_replays_on_both_paths(tmp_path: Path) -> None:
    market = SyntheticMarket(seed=5, speed=20)
    with (
        FakeExchange(market=market) as exchange,
        StreamClient(exchange.url, endpoint="fstream", record_to=tmp_path) as client,
    ):
        client.subscribe_index(PAIR)  # the market path
        client.subscribe_trade("BTC")  # the public path
        live = [client.get(timeout=10) for _ in range(30)]
        assert client.stats.connections == 2
    with replay(tmp_path) as again:
        assert again.endpoint == "fstream"
        again.subscribe_index(PAIR)
        again.subscribe_trade("BTC")
        assert [again.get(timeout=10) for _ in range(30)] == live
