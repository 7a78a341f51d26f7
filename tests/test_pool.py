"""The connection pool driven by a fake clock and fake connections: no socket, no sleep.

Every test but the last builds a :class:`Pool` with ``supervise=False``: nothing
happens by itself, the test moves the clock and calls :meth:`Pool.tick` for a
supervisor round. A :class:`FakeConnection` opens, answers requests, receives frames and
ends when the test (or its :class:`FakeFactory` settings) says so, calling the
pool back on the test's thread, as a reader thread would.
"""

from __future__ import annotations

import itertools
import re
import threading
import time
from typing import Any, Callable, Dict, List, Optional, Tuple

import attrs
import pytest

from binance_options_ws._connection import ConnectionListener, HandshakeRefusedError
from binance_options_ws._pool import Pool, PoolSettings
from binance_options_ws.endpoints import ENDPOINTS
from binance_options_ws.exceptions import (
    ConnectionFailedError,
    InvalidArgumentError,
    RequestTimeoutError,
    ServerError,
)
from binance_options_ws.models import ControlReply, ErrorReply, IndexPrice

BASE = "wss://example.test"
INDEX = "BTCUSDT@index"
ETH_INDEX = "ETHUSDT@index"
PUBLIC = "btc-261225-100000-c@optionTicker"
MARKET = "btcusdt@optionMarkPrice"


class FakeClock:
    """Seconds that move only when the test moves them."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class FakeFactory:
    """What the fake connections do, and every connection made so far.

    Attributes:
        on_start: ``"open"`` (the handshake succeeds at once), ``"hold"`` (it
            stays pending until the test calls ``open()`` or ``fail()``), or an
            exception: the handshake fails with it at once.
        replies: ``"ok"`` (every request answered at once), ``"error"`` (an error
            reply), or ``"silent"`` (no answer).
    """

    def __init__(self, clock: Callable[[], float]) -> None:
        self.clock = clock
        self.on_start: Any = "open"
        self.replies = "ok"
        self.connections: List[FakeConnection] = []
        self._ids = itertools.count(1)

    def __call__(self, url: str, *, number: int, listener: ConnectionListener) -> FakeConnection:
        conn = FakeConnection(self, url, number, listener)
        self.connections.append(conn)
        return conn

    def next_id(self) -> int:
        return next(self._ids)


class FakeConnection:
    """A connection without a socket: the interface the pool uses, on the fake clock."""

    def __init__(self, factory: FakeFactory, url: str, number: int, listener: Any) -> None:
        self.factory = factory
        self.clock = factory.clock
        self.url = url
        self.number = number
        self.listener = listener
        self.created_at = self.clock()
        self.opened_at: Optional[float] = None
        self.last_received = self.created_at
        self.last_ping_sent = self.created_at
        self.messages = self.events = self.parse_errors = 0
        self.thread = threading.Thread(name=f"fake-{number}")  # never started
        self.started = False
        self.pings = 0
        self.requests: List[Tuple[str, Optional[List[Any]]]] = []
        self.subscribed: List[str] = []
        self.pending: Dict[int, Callable[[Any], None]] = {}
        self.ended: Optional[str] = None  # the reason it ended
        self._open = False

    @property
    def is_open(self) -> bool:
        return self._open

    # ------------------------------------------------ what the pool calls

    def start(self) -> None:
        self.started = True
        action = self.factory.on_start
        if action == "open":
            self.open()
        elif isinstance(action, BaseException):
            self.fail(action)

    def request(
        self,
        method: str,
        params: Optional[List[Any]],
        on_reply: Callable[[Any], None],
        deadline: Optional[float] = None,
    ) -> int:
        if not self._open:
            raise ConnectionFailedError(f"connection #{self.number} is not open")
        request_id = self.factory.next_id()
        self.requests.append((method, None if params is None else list(params)))
        if method == "SUBSCRIBE" and self.factory.replies == "ok":
            self.subscribed.extend(params or [])
        if method == "UNSUBSCRIBE":
            self.subscribed = [n for n in self.subscribed if n not in (params or [])]
        if self.factory.replies == "ok":
            result = list(self.subscribed) if method == "LIST_SUBSCRIPTIONS" else None
            on_reply(ControlReply(id=request_id, result=result))
        elif self.factory.replies == "error":
            on_reply(ErrorReply(code=2, msg="Invalid request", id=request_id))
        else:
            self.pending[request_id] = on_reply
        return request_id

    def ping(self) -> bool:
        self.pings += 1
        self.last_ping_sent = self.clock()
        return True

    def close(self, reason: str = "closed by the client") -> None:
        self._end(reason, None)

    def abort(self, reason: str) -> None:
        self._end(reason, None)

    def join(self, timeout: Optional[float]) -> bool:
        return True

    # ------------------------------------------------ what the test calls

    def open(self) -> None:
        self.opened_at = self.last_received = self.clock()
        self._open = True
        self.listener.on_open(self)

    def fail(self, error: BaseException) -> None:
        self._end(f"could not connect: {error}", error)

    def drop(self, reason: str = "closed by the server") -> None:
        self._end(reason, None)

    def receive(self, frame: str) -> None:
        """A data frame: one index event whose price is ``frame``."""
        self.last_received = self.clock()
        self.messages += 1
        self.events += 1
        event = IndexPrice(symbol="BTCUSDT", price=float(frame), stream=INDEX)
        self.listener.on_events(self, frame.encode(), [event], None)

    def pong(self) -> None:
        self.last_received = self.clock()

    def _end(self, reason: str, error: Optional[BaseException]) -> None:
        if self.ended is not None:
            return
        self.ended = reason
        self._open = False
        for on_reply in self.pending.values():
            on_reply(ConnectionFailedError("connection closed"))
        self.pending.clear()
        self.listener.on_close(self, reason, error)


@attrs.define
class Harness:
    """A pool on a fake clock, what it delivered and every state it reported."""

    pool: Pool
    clock: FakeClock
    factory: FakeFactory
    delivered: List[float]
    states: List[Tuple[str, str, str]]

    def tick(self, seconds: float = 0.0) -> None:
        self.clock.advance(seconds)
        self.pool.tick()

    def conn(self, index: int = -1) -> FakeConnection:
        return self.factory.connections[index]

    def state_names(self) -> List[str]:
        return [state for state, _, _ in self.states]

    def reconnect_delay(self) -> float:
        """The delay the last "reconnecting" state announced."""
        detail = [d for s, d, _ in self.states if s == "reconnecting"][-1]
        match = re.match(r"reconnecting in ([0-9.]+) s after connection #", detail)
        assert match, detail
        return float(match.group(1))


def settings(**changes: Any) -> PoolSettings:
    values: Dict[str, Any] = {
        "base_url": BASE,
        "endpoint": ENDPOINTS["nbstream"],
        "connect_timeout": 10.0,
        "request_timeout": 10.0,
        "ping_interval": 30.0,
        "stale_timeout": 60.0,
        "max_connection_age": None,
        "rollover_overlap": 5.0,
        "reconnect": True,
        "backoff_initial": 1.0,
        "backoff_factor": 2.0,
        "backoff_cap": 8.0,
        "max_streams_per_connection": 200,
        "max_messages_per_second": 10,
        "max_request_bytes": 4096,
        "headers": (),
        "name": "binance-options-ws-pooltest",
        "batch_delay": 0.0,
    }
    values.update(changes)
    return PoolSettings(**values)


@pytest.fixture
def make() -> Any:
    made: List[Pool] = []

    def build(**changes: Any) -> Harness:
        clock = FakeClock()
        factory = FakeFactory(clock)
        delivered: List[float] = []
        states: List[Tuple[str, str, str]] = []
        pool = Pool(
            settings(**changes),
            lambda messages, batch: delivered.extend(m.price for m in messages),  # type: ignore[union-attr]
            lambda state, detail, path: states.append((state, detail, path)),
            lambda number, what, detail: None,
            connection_factory=factory,
            clock=clock,
            supervise=False,
        )
        made.append(pool)
        return Harness(pool, clock, factory, delivered, states)

    yield build
    for pool in made:
        pool.close(0.0)


def subscribes(conn: FakeConnection) -> List[List[Any]]:
    return [params or [] for method, params in conn.requests if method == "SUBSCRIBE"]


# --------------------------------------------------------------------------- connecting


def test_subscribe_connects_to_the_endpoint_url_and_waits_for_the_confirmation(make: Any) -> None:
    h = make()
    h.pool.subscribe([INDEX], timeout=5.0)
    assert [c.url for c in h.factory.connections] == [f"{BASE}/stream"]
    assert subscribes(h.conn()) == [[INDEX]]
    assert h.state_names() == ["connecting", "connected"]
    assert h.pool.open_connections() == [h.conn()]


def test_start_opens_the_only_path_before_any_subscription(make: Any) -> None:
    h = make()
    h.pool.start()
    assert len(h.factory.connections) == 1
    assert subscribes(h.conn()) == []


def test_start_waits_for_a_stream_on_an_endpoint_of_several_paths(make: Any) -> None:
    h = make(endpoint=ENDPOINTS["fstream"])
    h.pool.start()
    h.tick(1.0)
    assert h.factory.connections == []


def test_only_the_active_connection_delivers(make: Any) -> None:
    h = make()
    h.pool.subscribe([INDEX], timeout=5.0)
    h.conn().receive("1")
    h.conn().receive("2")
    assert h.delivered == [1.0, 2.0]


def test_subscribe_fails_in_time_while_the_connection_is_still_opening(make: Any) -> None:
    h = make()
    h.factory.on_start = "hold"
    with pytest.raises(ConnectionFailedError, match=r"could not connect to wss://example\.test"):
        h.pool.subscribe([INDEX], timeout=0.0)


def test_a_refused_subscription_raises_the_server_error(make: Any) -> None:
    h = make()
    h.factory.replies = "error"
    with pytest.raises(ServerError, match="Invalid request"):
        h.pool.subscribe([INDEX], timeout=5.0)
    h.factory.replies = "ok"
    h.pool.subscribe([INDEX], timeout=5.0)  # asking again is allowed
    assert subscribes(h.conn())[-1] == [INDEX]


def test_an_unanswered_request_times_out(make: Any) -> None:
    h = make()
    h.pool.subscribe([INDEX], timeout=5.0)
    h.factory.replies = "silent"
    with pytest.raises(RequestTimeoutError, match="GET_PROPERTY"):
        h.pool.call_all("GET_PROPERTY", ["combined"], timeout=0.0)


def test_list_subscriptions_asks_every_open_connection(make: Any) -> None:
    h = make(max_streams_per_connection=1)
    h.pool.subscribe([INDEX, ETH_INDEX], timeout=5.0)
    assert sorted(h.pool.list_subscriptions(timeout=5.0)) == sorted([INDEX, ETH_INDEX])


# --------------------------------------------------------------------------- reconnecting


def test_a_dropped_connection_is_replaced_after_the_backoff_and_resubscribed(make: Any) -> None:
    h = make()
    h.pool.subscribe([INDEX, ETH_INDEX], timeout=5.0)
    h.conn().drop()
    delay = h.reconnect_delay()
    assert 0.5 <= delay <= 1.0  # the first delay: between half and all of backoff_initial
    assert h.state_names()[-2:] == ["disconnected", "reconnecting"]
    h.tick(0.49)
    assert len(h.factory.connections) == 1
    h.tick(0.51)
    assert len(h.factory.connections) == 2
    assert subscribes(h.conn()) == [[INDEX, ETH_INDEX]]
    assert h.pool.reconnects == 1
    h.conn().receive("3")
    assert h.delivered == [3.0]


def _failures_until_connected(h: Harness, nominal: float) -> None:
    """Fail the pending connection, then check the next comes after half to all of ``nominal``."""
    before = len(h.factory.connections)
    h.conn().fail(ConnectionFailedError("refused"))
    h.tick(nominal / 2 - 0.01)
    assert len(h.factory.connections) == before, f"too early for a delay of about {nominal}"
    h.tick(nominal / 2 + 0.01)
    assert len(h.factory.connections) == before + 1, f"too late for a delay of about {nominal}"


def test_backoff_grows_to_its_cap_and_starts_again_after_a_connection_that_lived(
    make: Any,
) -> None:
    h = make(backoff_initial=1.0, backoff_factor=2.0, backoff_cap=8.0)
    h.factory.on_start = "hold"
    h.pool.start()
    for nominal in (1.0, 2.0, 4.0, 8.0, 8.0):
        _failures_until_connected(h, nominal)
    h.conn().open()
    h.tick(11.0)  # it lived longer than ten seconds
    h.conn().drop()
    assert h.reconnect_delay() <= 1.0  # not 4 to 8 s any more
    h.tick(1.0)
    assert not h.conn().ended  # a new attempt, pending
    _failures_until_connected(h, 2.0)


def test_a_connection_that_did_not_live_keeps_the_backoff_growing(make: Any) -> None:
    h = make(backoff_initial=1.0, backoff_factor=2.0, backoff_cap=8.0)
    h.factory.on_start = "hold"
    h.pool.start()
    _failures_until_connected(h, 1.0)
    h.conn().open()
    h.tick(5.0)
    h.conn().drop()
    assert 1.0 <= h.reconnect_delay() <= 2.0


def test_a_connection_that_subscribed_and_delivered_starts_the_backoff_afresh(
    make: Any,
) -> None:
    h = make(backoff_initial=1.0, backoff_factor=2.0, backoff_cap=8.0)
    h.pool.subscribe([INDEX], timeout=5.0)
    h.factory.on_start = "hold"
    h.conn().drop()
    for nominal in (1.0, 2.0, 4.0):
        h.tick(nominal)
        h.conn().fail(ConnectionFailedError("refused"))
    h.tick(8.0)
    h.conn().open()  # confirmed at once by the fake
    h.conn().receive("1")
    h.tick(0.5)
    h.conn().drop()  # after half a second, but it did its job
    assert h.reconnect_delay() <= 1.0


def test_a_connection_that_delivered_nothing_keeps_the_backoff_growing(make: Any) -> None:
    h = make(backoff_initial=1.0, backoff_factor=2.0, backoff_cap=8.0)
    h.pool.subscribe([INDEX], timeout=5.0)
    h.factory.on_start = "hold"
    h.conn().drop()
    for nominal in (1.0, 2.0):
        h.tick(nominal)
        h.conn().fail(ConnectionFailedError("refused"))
    h.tick(4.0)
    h.conn().open()
    h.tick(2.0)
    h.conn().drop()  # subscribed, but not one event in 2 s
    assert 4.0 <= h.reconnect_delay() <= 8.0


def test_connections_that_keep_dropping_soon_after_they_work_do_not_hammer(
    make: Any, caplog: pytest.LogCaptureFixture
) -> None:
    h = make(backoff_initial=1.0, backoff_factor=2.0, backoff_cap=8.0)
    h.pool.subscribe([INDEX], timeout=5.0)
    delays = []
    for _ in range(8):
        h.conn().receive("1")
        h.tick(0.2)
        h.conn().drop()
        delays.append(h.reconnect_delay())
        h.tick(8.0)  # the next attempt opens (at once, with the fake)
    assert max(delays[:5]) <= 1.0  # the first five start afresh
    assert delays[-1] >= 4.0  # then the delays grow
    assert sum("keep dropping" in r.getMessage() for r in caplog.records) == 1


def test_a_refused_handshake_waits_as_long_as_retry_after_says(make: Any) -> None:
    h = make()
    h.pool.start()
    h.factory.on_start = HandshakeRefusedError(f"{BASE}/stream", 429, 30.0)
    h.conn().drop()
    h.tick(1.0)  # the backoff's delay: a new attempt, refused with Retry-After: 30
    assert len(h.factory.connections) == 2
    h.factory.on_start = "open"
    h.tick(29.5)
    assert len(h.factory.connections) == 2
    h.tick(0.5)
    assert len(h.factory.connections) == 3
    assert h.conn().is_open


def test_a_handshake_refused_for_good_ends_the_subscribe_and_the_retries(make: Any) -> None:
    h = make()
    h.factory.on_start = HandshakeRefusedError(f"{BASE}/stream", 404, None)
    with pytest.raises(HandshakeRefusedError, match="HTTP 404"):
        h.pool.subscribe([INDEX], timeout=5.0)
    h.tick(3600.0)
    assert len(h.factory.connections) == 1


def test_without_reconnect_a_lost_connection_stays_lost(make: Any) -> None:
    h = make(reconnect=False)
    h.pool.subscribe([INDEX], timeout=5.0)
    h.conn().drop()
    h.tick(3600.0)
    assert len(h.factory.connections) == 1
    assert "reconnecting" not in h.state_names()


def test_counters_survive_reconnects(make: Any) -> None:
    h = make()
    h.pool.subscribe([INDEX], timeout=5.0)
    h.conn().receive("1")
    h.conn().drop()
    h.tick(1.0)
    h.conn().receive("2")
    h.conn().receive("3")
    assert h.pool.counters() == {"messages": 3, "events": 3, "parse_errors": 0}


# --------------------------------------------------------------------------- keeping alive


def test_pings_go_out_every_ping_interval(make: Any) -> None:
    h = make(ping_interval=10.0, stale_timeout=60.0)
    h.pool.subscribe([INDEX], timeout=5.0)
    h.tick(9.5)
    assert h.conn().pings == 0
    h.tick(0.5)
    assert h.conn().pings == 1
    h.tick(5.0)
    assert h.conn().pings == 1
    h.tick(5.0)
    assert h.conn().pings == 2


def test_a_connection_silent_beyond_the_stale_timeout_is_aborted_and_replaced(make: Any) -> None:
    h = make(ping_interval=10.0, stale_timeout=30.0)
    h.pool.subscribe([INDEX], timeout=5.0)
    first = h.conn()
    for _ in range(3):  # answered pings keep it alive
        h.tick(10.0)
        first.pong()
    h.tick(30.0)
    assert first.ended is None  # exactly the timeout: not yet
    h.tick(0.5)
    assert first.ended == "stalled: nothing received for 30.5 s"
    assert "reconnecting" in h.state_names()
    h.tick(1.0)
    assert h.conn() is not first
    assert h.conn().is_open
    assert subscribes(h.conn()) == [[INDEX]]


# --------------------------------------------------------------------------- rolling over


def _rollover_started(h: Harness) -> Tuple[FakeConnection, FakeConnection]:
    h.pool.subscribe([INDEX], timeout=5.0)
    old = h.conn()
    # The replacement starts connect_timeout + request_timeout + rollover_overlap
    # (10 + 10 + 5 s) before max_connection_age (100 s), so the old one ends by then.
    h.tick(74.0)
    assert len(h.factory.connections) == 1
    h.tick(1.0)  # a replacement opens and subscribes
    assert len(h.factory.connections) == 2
    new = h.conn()
    assert subscribes(new) == [[INDEX]]
    return old, new


def test_a_rollover_switches_after_the_overlap_without_gap_or_duplicate(make: Any) -> None:
    h = make(max_connection_age=100.0, rollover_overlap=5.0, stale_timeout=1000.0)
    old, new = _rollover_started(h)
    assert old.is_open
    assert new.is_open
    old.receive("1")
    new.receive("1")  # the same frame on the replacement: dropped
    new.receive("2")  # the replacement is ahead
    old.receive("2")
    old.receive("3")
    h.tick(4.5)
    assert old.ended is None
    h.tick(0.5)
    assert old.ended == "rolled over to connection #2"
    new.receive("3")
    new.receive("4")
    assert h.delivered == [1.0, 2.0, 3.0, 4.0]
    assert (h.pool.rollovers, h.pool.reconnects) == (1, 0)
    assert h.state_names()[-1] == "rolled_over"
    assert h.pool.open_connections() == [new]


def test_after_the_rollover_a_repeated_frame_is_delivered_again(make: Any) -> None:
    h = make(max_connection_age=100.0, rollover_overlap=5.0, stale_timeout=1000.0)
    _, new = _rollover_started(h)
    h.tick(5.0)  # the switch; frames are still compared for the overlap
    new.receive("7")
    new.receive("7")
    assert h.delivered == [7.0]
    h.tick(5.0)  # dedup over: an identical message is a new event again
    new.receive("7")
    assert h.delivered == [7.0, 7.0]


def test_a_replaced_connection_that_still_reads_delivers_nothing(make: Any) -> None:
    h = make(max_connection_age=100.0, rollover_overlap=5.0, stale_timeout=1000.0)
    old, new = _rollover_started(h)
    h.tick(5.0)
    old.receive("9")  # read before its close took effect
    new.receive("9")
    assert h.delivered == [9.0]


def test_the_standby_takes_over_when_the_old_connection_dies_during_the_rollover(
    make: Any,
) -> None:
    h = make(max_connection_age=100.0, rollover_overlap=5.0, stale_timeout=1000.0)
    old, new = _rollover_started(h)
    old.drop()
    assert h.states[-1][:2] == ("rolled_over", "replacement connection took over for #1")
    assert h.pool.open_connections() == [new]
    new.receive("6")
    new.receive("6")  # compared for a while still: the old one may have had it
    h.tick(5.0)
    new.receive("6")
    assert h.delivered == [6.0, 6.0]
    h.tick(95.0)  # and it rolls over in its turn
    assert len(h.factory.connections) == 3


def test_a_failed_replacement_postpones_the_rollover_by_the_backoff(make: Any) -> None:
    h = make(max_connection_age=100.0, rollover_overlap=5.0, stale_timeout=1000.0)
    old, new = _rollover_started(h)
    new.drop("replacement refused")
    assert old.is_open
    old.receive("5")
    assert h.delivered == [5.0]
    h.tick(0.49)
    assert len(h.factory.connections) == 2
    h.tick(0.51)  # the backoff's first delay is at most 1 s
    assert len(h.factory.connections) == 3


def test_a_replacement_that_cannot_open_is_given_up(make: Any) -> None:
    h = make(
        max_connection_age=100.0, connect_timeout=10.0, request_timeout=10.0, stale_timeout=1000.0
    )
    h.pool.subscribe([INDEX], timeout=5.0)
    h.factory.on_start = "hold"
    h.tick(75.0)
    standby = h.conn()
    h.tick(20.0)
    assert standby.ended is None
    h.tick(0.5)
    assert standby.ended == "replacement took too long"
    assert h.conn(0).is_open


def test_the_old_connection_ends_at_max_connection_age_whatever_its_replacement_does(
    make: Any,
) -> None:
    h = make(
        max_connection_age=100.0,
        connect_timeout=10.0,
        request_timeout=10.0,
        rollover_overlap=5.0,
        stale_timeout=1000.0,
    )
    h.pool.subscribe([INDEX], timeout=5.0)
    old = h.conn()
    h.factory.replies = "silent"  # the replacement opens but its SUBSCRIBE is not confirmed
    h.tick(75.0)
    new = h.conn()
    assert new.is_open
    h.tick(24.9)
    assert old.ended is None
    h.tick(0.1)  # 100 s: the replacement takes over, unconfirmed or not
    assert old.ended == "rolled over to connection #2"
    assert h.pool.open_connections() == [new]
    new.receive("1")
    assert h.delivered == [1.0]


def test_without_a_replacement_the_old_connection_still_ends_at_max_connection_age(
    make: Any,
) -> None:
    h = make(max_connection_age=100.0, rollover_overlap=5.0, stale_timeout=1000.0)
    h.pool.subscribe([INDEX], timeout=5.0)
    old = h.conn()
    h.factory.on_start = ConnectionFailedError("refused")  # every replacement fails
    h.tick(75.0)
    h.tick(24.9)
    assert old.ended is None
    h.tick(0.1)
    assert old.ended is not None
    assert "max_connection_age (100 s)" in old.ended


# --------------------------------------------------------------------------- sharding and paths


def test_streams_beyond_the_per_connection_limit_get_connections_of_their_own(make: Any) -> None:
    h = make(max_streams_per_connection=2)
    names = [f"{asset}USDT@index" for asset in ("BTC", "ETH", "BNB", "SOL", "XRP")]
    h.pool.subscribe(names, timeout=5.0)
    assert [subscribes(c) for c in h.factory.connections] == [
        [names[0:2]],
        [names[2:4]],
        [names[4:5]],
    ]
    h.pool.unsubscribe([names[0]], timeout=5.0)
    h.pool.subscribe(["DOGEUSDT@index"], timeout=5.0)  # the first shard with room
    assert subscribes(h.conn(0))[-1] == ["DOGEUSDT@index"]
    assert len(h.factory.connections) == 3


def test_a_long_subscription_is_sent_in_requests_under_the_size_limit(make: Any) -> None:
    h = make(max_request_bytes=100)
    names = [f"BTC-2612{day:02d}-100000-C@ticker" for day in range(1, 6)]
    h.pool.subscribe(names, timeout=5.0)
    sent = subscribes(h.conn())
    assert len(sent) > 1
    assert [name for chunk in sent for name in chunk] == names


def test_streams_are_routed_to_a_connection_of_their_url_path(make: Any) -> None:
    h = make(endpoint=ENDPOINTS["fstream"])
    h.pool.subscribe([PUBLIC, MARKET], timeout=5.0)
    by_url = {c.url: subscribes(c) for c in h.factory.connections}
    assert by_url == {
        f"{BASE}/public/stream": [[PUBLIC]],
        f"{BASE}/market/stream": [[MARKET]],
    }
    assert {path for _, _, path in h.states} == {"public", "market"}


# --------------------------------------------------------------------------- closing


def test_close_ends_every_connection_and_nothing_reconnects(make: Any) -> None:
    h = make(max_streams_per_connection=1)
    h.pool.subscribe([INDEX, ETH_INDEX], timeout=5.0)
    assert h.pool.close(h.clock() + 1.0) == []
    assert h.pool.closing
    assert all(c.ended == "closed by the client" for c in h.factory.connections)
    h.tick(3600.0)
    assert len(h.factory.connections) == 2


def test_the_supervisor_thread_connects_and_stops_on_close() -> None:
    # The one test on the real clock: the thread wakes for a subscription at once.
    fakes = FakeFactory(time.monotonic)
    fakes.on_start = "hold"
    made = threading.Event()

    def factory(url: str, *, number: int, listener: ConnectionListener) -> FakeConnection:
        conn = fakes(url, number=number, listener=listener)
        made.set()
        return conn

    pool = Pool(
        settings(),
        lambda messages, batch: None,
        lambda state, detail, path: None,
        lambda number, what, detail: None,
        connection_factory=factory,
    )
    try:
        pool.start()
        assert made.wait(5.0)
        assert fakes.connections[0].started
    finally:
        alive = pool.close(time.monotonic() + 1.0)
    assert alive == []


def test_a_clock_without_a_connection_factory_is_refused() -> None:
    # The socket connections keep time on time.monotonic: a fake clock with them would
    # make every stale and age check wrong.
    with pytest.raises(InvalidArgumentError, match="needs a connection_factory"):
        Pool(
            settings(),
            lambda messages, batch: None,
            lambda state, detail, path: None,
            lambda number, what, detail: None,
            clock=FakeClock(),
        )
