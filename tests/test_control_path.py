"""Every blocking call keeps its word when the connection misbehaves.

Against the fake exchange: a ping flood, pongs that use up the send allowance,
replies that never come, a stalled server and a close() from another thread. Each
call must return within its timeout (plus a small margin) with an error that names
that timeout, or raise ClientClosedError soon after close().
"""

from __future__ import annotations

import queue
import threading
import time
from typing import Any, Callable, Dict, Iterator, List, Optional

import pytest

from binance_options_ws import (
    ClientClosedError,
    ConnectionFailedError,
    RequestTimeoutError,
    StreamClient,
)
from binance_options_ws.testing import FakeExchange
from binance_options_ws.testing.waiting import wait_for

# Generous for a loaded machine; what is being ruled out is waiting for whole seconds.
MARGIN = 0.5


@pytest.fixture
def exchange() -> Iterator[FakeExchange]:
    with FakeExchange() as fake:
        yield fake


def make_client(exchange: FakeExchange, **options: Any) -> StreamClient:
    settings: Dict[str, Any] = {
        "request_timeout": 5.0,
        "backoff_initial": 0.05,
        "backoff_cap": 0.2,
    }
    settings.update(options)
    return StreamClient(exchange.url, **settings)


def pongs(exchange: FakeExchange) -> int:
    return sum(frame.kind == "pong" for frame in exchange.incoming_log)


def methods(exchange: FakeExchange) -> List[str]:
    return [m.message.get("method") for m in exchange.control_log if isinstance(m.message, dict)]


class Outcome:
    """What a call made on another thread returned or raised, and when."""

    def __init__(self, call: Callable[[], Any]) -> None:
        self.result: Any = None
        self.error: Optional[BaseException] = None
        self.ended_at: Optional[float] = None
        self._thread = threading.Thread(target=self._run, args=(call,), daemon=True)
        self._thread.start()

    def _run(self, call: Callable[[], Any]) -> None:
        try:
            self.result = call()
        except BaseException as exc:
            self.error = exc
        finally:
            self.ended_at = time.monotonic()

    def join(self, timeout: float) -> None:
        self._thread.join(timeout)
        assert not self._thread.is_alive(), f"the call did not return within {timeout} s"


def released_by_close(client: StreamClient, outcome: Outcome) -> None:
    """Close ``client`` and check that the call ``outcome`` waits on returns at once."""
    closed_at = time.monotonic()
    client.close()
    outcome.join(5)
    assert outcome.ended_at is not None
    assert outcome.ended_at - closed_at < MARGIN


# ---------------------------------------------------------------- item 2: pongs


def test_a_ping_flood_gets_one_pong_and_leaves_room_for_requests(
    exchange: FakeExchange,
) -> None:
    with make_client(exchange) as client:
        client.subscribe_index("BTCUSDT")
        assert exchange.send_pings(100) == 1
        wait_for(lambda: pongs(exchange) >= 1, timeout=5, what="a pong")
        started = time.monotonic()
        client.subscribe_index("ETHUSDT", timeout=2)
        assert time.monotonic() - started < 2 + MARGIN
        # One pong (or a few, if the burst arrived over several reads), not 100:
        # the exchange allows 10 messages a second and would cut the connection.
        assert pongs(exchange) < 10
        assert client.stats.reconnects == 0
        assert exchange.connection_count == 1


def test_a_subscribe_waiting_for_send_allowance_keeps_its_timeout() -> None:
    # Pings one at a time: each is answered, and each pong takes allowance. The
    # exchange here has no message limit, so the pongs are not cut off.
    with FakeExchange(max_messages_per_second=None) as exchange, make_client(exchange) as client:
        client.subscribe_index("BTCUSDT")
        for number in range(40):
            exchange.send_pings(1)
            wait_for(lambda n=number: pongs(exchange) > n, timeout=5, what="a pong")
        started = time.monotonic()
        with pytest.raises(RequestTimeoutError, match="within 1 s"):
            client.subscribe_index("ETHUSDT", timeout=1)
        assert time.monotonic() - started < 1 + MARGIN
        assert "ETHUSDT@index" not in client.subscriptions


# ---------------------------------------------------------------- item 3: close()


def _close_releases(exchange: FakeExchange, call: Callable[[StreamClient], Any]) -> None:
    client = make_client(exchange)
    try:
        client.subscribe_index("BTCUSDT")
        exchange.delay_control_replies(30)
        sent = len(exchange.control_log)
        outcome = Outcome(lambda: call(client))
        wait_for(lambda: len(exchange.control_log) > sent, timeout=5, what="the request")
        released_by_close(client, outcome)
        assert isinstance(outcome.error, ClientClosedError), outcome.error
    finally:
        client.close()


def test_close_releases_a_subscribe_waiting_for_its_reply(exchange: FakeExchange) -> None:
    _close_releases(exchange, lambda c: c.subscribe_index("ETHUSDT", timeout=20))


def test_close_releases_an_unsubscribe_waiting_for_its_reply(exchange: FakeExchange) -> None:
    _close_releases(exchange, lambda c: c.unsubscribe("BTCUSDT@index", timeout=20))


def test_close_releases_list_subscriptions(exchange: FakeExchange) -> None:
    _close_releases(exchange, lambda c: c.list_subscriptions(timeout=20))


def test_close_releases_get_property(exchange: FakeExchange) -> None:
    _close_releases(exchange, lambda c: c.get_property("combined", timeout=20))


def test_close_releases_a_subscribe_waiting_for_send_allowance() -> None:
    with FakeExchange(max_messages_per_second=None) as exchange:
        client = make_client(exchange)
        try:
            client.subscribe_index("BTCUSDT")
            for number in range(40):  # each pong takes allowance (see above)
                exchange.send_pings(1)
                wait_for(lambda n=number: pongs(exchange) > n, timeout=5, what="a pong")
            outcome = Outcome(lambda: client.subscribe_index("ETHUSDT", timeout=20))
            released_by_close(client, outcome)
            assert isinstance(outcome.error, ClientClosedError), outcome.error
        finally:
            client.close()


def test_close_releases_a_subscribe_waiting_for_a_connection(exchange: FakeExchange) -> None:
    exchange.refuse_connections(60, status=503)
    client = make_client(exchange)
    try:
        outcome = Outcome(lambda: client.subscribe_index("BTCUSDT", timeout=20))
        wait_for(lambda: client.stats.reconnects >= 1, timeout=5, what="a refused attempt")
        released_by_close(client, outcome)
        assert isinstance(outcome.error, ClientClosedError), outcome.error
    finally:
        client.close()


# ---------------------------------------------------------------- item 5: timeouts


def test_an_unanswered_subscribe_ends_at_its_timeout_and_is_rolled_back(
    exchange: FakeExchange,
) -> None:
    with make_client(exchange) as client:
        client.subscribe_index("BTCUSDT")
        exchange.delay_control_replies(3)
        started = time.monotonic()
        with pytest.raises(RequestTimeoutError, match="within 1 s"):
            client.subscribe_index("ETHUSDT", timeout=1)
        # The roll-back's UNSUBSCRIBE is not waited for.
        assert time.monotonic() - started < 1 + MARGIN
        assert "ETHUSDT@index" not in client.subscriptions
        wait_for(
            lambda: methods(exchange).count("UNSUBSCRIBE") == 1,
            timeout=5,
            what="the roll-back's UNSUBSCRIBE",
        )
        unsubscribe = [m.message for m in exchange.control_log][-1]
        assert unsubscribe["params"] == ["ETHUSDT@index"]


@pytest.mark.parametrize(
    "call",
    [
        pytest.param(lambda c: c.subscribe_index("ETHUSDT", timeout=0.5), id="subscribe"),
        pytest.param(lambda c: c.unsubscribe("BTCUSDT@index", timeout=0.5), id="unsubscribe"),
        pytest.param(lambda c: c.list_subscriptions(timeout=0.5), id="list_subscriptions"),
        pytest.param(lambda c: c.get_property("combined", timeout=0.5), id="get_property"),
        pytest.param(lambda c: c.set_property("combined", True, timeout=0.5), id="set_property"),
    ],
)
@pytest.mark.parametrize("pongs", [False, True], ids=["frozen", "silent, pongs flowing"])
def test_every_request_to_a_stalled_server_ends_at_its_timeout(
    exchange: FakeExchange, call: Callable[[StreamClient], Any], pongs: bool
) -> None:
    with make_client(exchange, ping_interval=0.1, stale_timeout=30) as client:
        client.subscribe_index("BTCUSDT")
        exchange.stall(pongs=pongs)
        started = time.monotonic()
        with pytest.raises(RequestTimeoutError, match=r"within 0\.5 s"):
            call(client)
        assert time.monotonic() - started < 0.5 + MARGIN
        exchange.resume()


# ---------------------------------------------------------------- item 6: the age limit


def test_max_connection_age_is_kept_so_the_exchange_never_cuts_first() -> None:
    # The exchange cuts every connection at 1.6 s; the client promises 1.5 s.
    changes: List[Any] = []
    with FakeExchange(max_connection_age=1.6) as exchange:
        client = make_client(
            exchange,
            max_connection_age=1.5,
            rollover_overlap=0.2,
            connect_timeout=0.5,
            request_timeout=0.5,
            on_state=changes.append,
        )
        with client:
            client.subscribe_index("BTCUSDT")
            wait_for(lambda: client.stats.rollovers >= 3, timeout=10, what="three rollovers")
            assert client.stats.reconnects == 0
        cuts = [c.detail for c in changes if "maximum age" in c.detail]
        assert cuts == []


def test_a_silent_stall_still_answers_pings() -> None:
    # The fault itself: pongs flow, nothing else does.
    with FakeExchange() as exchange, make_client(exchange, ping_interval=0.1) as client:
        client.subscribe_index("BTCUSDT")
        exchange.stall(pongs=True)
        pings = sum(frame.kind == "ping" for frame in exchange.incoming_log)
        wait_for(
            lambda: sum(frame.kind == "ping" for frame in exchange.incoming_log) >= pings + 3,
            timeout=5,
            what="pings read during the stall",
        )
        exchange.publish("BTCUSDT@index", {"e": "index", "E": 1, "s": "BTCUSDT", "p": "1"})
        with pytest.raises(queue.Empty):
            client.get(timeout=0.3)
        exchange.resume()
        exchange.publish("BTCUSDT@index", {"e": "index", "E": 2, "s": "BTCUSDT", "p": "2"})
        assert client.get(timeout=5).price == 2.0


# ---------------------------------------------------------------- slow handshakes


def test_a_subscribe_behind_a_slow_handshake_keeps_its_timeout(exchange: FakeExchange) -> None:
    exchange.delay_handshakes(5)
    with make_client(exchange) as client:
        started = time.monotonic()
        with pytest.raises(ConnectionFailedError, match=r"within 0\.5 s"):
            client.subscribe_index("BTCUSDT", timeout=0.5)
        assert time.monotonic() - started < 0.5 + MARGIN


def test_a_slow_handshake_that_ends_in_time_subscribes(exchange: FakeExchange) -> None:
    exchange.delay_handshakes(0.3)
    with make_client(exchange) as client:
        client.subscribe_index("BTCUSDT", timeout=5)
        assert exchange.subscriptions == {"BTCUSDT@index"}


def test_close_releases_a_subscribe_behind_a_slow_handshake(exchange: FakeExchange) -> None:
    exchange.delay_handshakes(5)
    client = make_client(exchange)
    try:
        outcome = Outcome(lambda: client.subscribe_index("BTCUSDT", timeout=20))
        released_by_close(client, outcome)
        assert isinstance(outcome.error, ClientClosedError), outcome.error
    finally:
        client.close()


# ---------------------------------------------------------------- reading events


@pytest.mark.parametrize(
    "read",
    [
        pytest.param(lambda c, s: c.get(), id="client.get"),
        pytest.param(lambda c, s: list(c.events()), id="client.events"),
        pytest.param(lambda c, s: s.get(), id="subscription.get"),
        pytest.param(lambda c, s: list(s.events()), id="subscription.events"),
    ],
)
def test_close_releases_a_reader_waiting_for_events(
    exchange: FakeExchange, read: Callable[[StreamClient, Any], Any]
) -> None:
    client = make_client(exchange)
    try:
        subscription = client.subscribe_index("BTCUSDT")
        outcome = Outcome(lambda: read(client, subscription))
        released_by_close(client, outcome)
        if outcome.error is not None:  # get() raises; events() just ends
            assert isinstance(outcome.error, ClientClosedError), outcome.error
        else:
            assert outcome.result == []
    finally:
        client.close()


@pytest.mark.parametrize(
    "read",
    [
        pytest.param(lambda c, s: c.get(timeout=0.5), id="client.get"),
        pytest.param(lambda c, s: s.get(timeout=0.5), id="subscription.get"),
    ],
)
def test_get_keeps_its_timeout(
    exchange: FakeExchange, read: Callable[[StreamClient, Any], Any]
) -> None:
    with make_client(exchange) as client:
        subscription = client.subscribe_index("BTCUSDT")
        started = time.monotonic()
        with pytest.raises(queue.Empty):
            read(client, subscription)
        assert time.monotonic() - started < 0.5 + MARGIN


def test_an_empty_get_says_why_when_nothing_can_come(exchange: FakeExchange) -> None:
    with make_client(exchange) as client:
        with pytest.raises(queue.Empty, match=r"within 0\.1 s: nothing is subscribed yet"):
            client.get(timeout=0.1)
        client.subscribe_index("BTCUSDT", lambda event: None)
        with pytest.raises(queue.Empty, match="no subscription delivers to this queue"):
            client.get(timeout=0.1)
        client.subscribe_index("ETHUSDT")
        with pytest.raises(queue.Empty) as caught:
            client.get(timeout=0.1)
        assert str(caught.value) == "no event came within 0.1 s"
