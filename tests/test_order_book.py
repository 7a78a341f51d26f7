"""OrderBook: a REST snapshot plus the diff stream, gap detection and resync.

The diff events come from the fake exchange over a real WebSocket (fstream paths);
the snapshots come from canned HTTP answers, so each test controls both sides.
"""

from __future__ import annotations

import json
import threading
from typing import Any, Dict, Iterator, List, Optional

import pytest
import responses

from binance_options_ws import (
    BinanceAPIError,
    ClientClosedError,
    InvalidArgumentError,
    OrderBook,
    RestClient,
    StreamClient,
    fstream,
)
from binance_options_ws.testing import FakeExchange, SyntheticMarket
from binance_options_ws.testing.waiting import wait_for

SYMBOL = "BTC-261225-100000-C"
STREAM = fstream.diff_depth(SYMBOL, "100ms")
REST = "https://rest.example"
DEPTH_URL = f"{REST}/eapi/v1/depth"


def snapshot(update_id: int, bids: List[List[str]], asks: List[List[str]]) -> Dict[str, Any]:
    return {"bids": bids, "asks": asks, "T": 1, "lastUpdateId": update_id}


def diff(
    first: int,
    last: int,
    prev: int,
    bids: Optional[List[List[str]]] = None,
    asks: Optional[List[List[str]]] = None,
) -> Dict[str, Any]:
    return {
        "e": "depthUpdate",
        "E": 1,
        "T": 1,
        "s": SYMBOL,
        "U": first,
        "u": last,
        "pu": prev,
        "b": bids or [],
        "a": asks or [],
    }


@pytest.fixture
def exchange() -> Iterator[FakeExchange]:
    with FakeExchange() as fake:
        yield fake


@pytest.fixture
def client(exchange: FakeExchange) -> Iterator[StreamClient]:
    with StreamClient(exchange.url, endpoint="fstream", request_timeout=5.0) as c:
        yield c


@pytest.fixture
def rsps() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def rest() -> Iterator[RestClient]:
    with RestClient(REST, timeout=2.0) as r:
        yield r


def publish(exchange: FakeExchange, *events: Dict[str, Any]) -> None:
    for event in events:
        exchange.publish(STREAM, event)


def test_needs_a_client_on_fstream(rest: RestClient) -> None:
    with StreamClient() as nbstream, pytest.raises(InvalidArgumentError, match="'fstream'"):
        OrderBook(nbstream, SYMBOL, rest=rest)


def test_limit_must_be_an_allowed_value(client: StreamClient, rest: RestClient) -> None:
    with pytest.raises(InvalidArgumentError, match="limit must be one of 10, 20, 50, 100, 500"):
        OrderBook(client, SYMBOL, rest=rest, limit=15)


def test_snapshot_plus_diffs_make_the_book(
    exchange: FakeExchange, client: StreamClient, rsps: responses.RequestsMock, rest: RestClient
) -> None:
    rsps.get(DEPTH_URL, json=snapshot(100, [["10", "1"], ["9", "2"]], [["11", "1"], ["12", "4"]]))
    with OrderBook(client, SYMBOL, rest=rest) as book:
        assert STREAM in exchange.subscriptions
        wait_for(lambda: book.is_synced, what="sync")
        publish(
            exchange,
            diff(98, 99, 97, bids=[["10", "7"]]),  # already in the snapshot: skipped
            diff(100, 101, 99, bids=[["9.5", "3"]]),  # straddles the snapshot: applied
            diff(102, 102, 101, bids=[["10", "0"]], asks=[["11", "2"]]),  # 0 removes a level
        )
        wait_for(lambda: book.update_id == 102, what="update 102")
        assert book.bids() == [(9.5, 3.0), (9.0, 2.0)]
        assert book.asks(1) == [(11.0, 2.0)]
        assert book.best_bid == (9.5, 3.0)
        assert book.best_ask == (11.0, 2.0)
        assert book.resyncs == 0
    query = rsps.calls[0].request.url
    assert "symbol=BTC-261225-100000-C" in query
    assert "limit=1000" in query
    assert STREAM not in exchange.subscriptions  # close() unsubscribed


def test_events_before_the_snapshot_are_kept_and_applied(
    exchange: FakeExchange, client: StreamClient, rsps: responses.RequestsMock, rest: RestClient
) -> None:
    # The snapshot answers only after the client has received two events, which
    # therefore wait aside: the snapshot is slower than the stream, as it often is.
    published: List[bool] = []

    def late_snapshot(request: Any) -> Any:
        publish(
            exchange, diff(51, 55, 50, asks=[["20", "1"]]), diff(56, 60, 55, asks=[["21", "2"]])
        )
        published.append(True)
        wait_for(lambda: client.stats.events >= 2, what="the events before the snapshot")
        return 200, {}, json.dumps(snapshot(57, [["19", "1"]], [["20", "1"]]))

    rsps.add_callback(responses.GET, DEPTH_URL, callback=late_snapshot)
    with OrderBook(client, SYMBOL, rest=rest) as book:
        wait_for(lambda: book.update_id == 60, what="update 60")
        assert published
        assert book.asks() == [(20.0, 1.0), (21.0, 2.0)]
        assert book.bids() == [(19.0, 1.0)]


def test_a_gap_resyncs_from_a_new_snapshot(
    exchange: FakeExchange, client: StreamClient, rsps: responses.RequestsMock, rest: RestClient
) -> None:
    rsps.get(DEPTH_URL, json=snapshot(100, [["10", "1"]], [["11", "1"]]))
    rsps.get(DEPTH_URL, json=snapshot(205, [["8", "5"]], [["13", "5"]]))
    updates: List[Optional[int]] = []
    remember = lambda b: updates.append(b.update_id)  # noqa: E731
    with OrderBook(client, SYMBOL, rest=rest, on_update=remember) as book:
        wait_for(lambda: book.is_synced, what="first sync")
        publish(exchange, diff(101, 101, 100, bids=[["10", "2"]]))
        wait_for(lambda: book.update_id == 101, what="update 101")
        publish(exchange, diff(150, 150, 149, bids=[["10", "9"]]))  # 102..149 never came
        wait_for(lambda: book.resyncs == 1, what="the gap")
        wait_for(lambda: book.update_id == 205 and book.is_synced, what="second sync")
        assert book.bids() == [(8.0, 5.0)]
        assert book.asks() == [(13.0, 5.0)]
        publish(exchange, diff(206, 206, 205, asks=[["12", "1"]]))
        wait_for(lambda: book.update_id == 206, what="update 206")
        assert book.asks() == [(12.0, 1.0), (13.0, 5.0)]
    assert len(rsps.calls) == 2
    assert 101 in updates
    assert 206 in updates
    assert 150 not in updates


def test_a_failed_snapshot_is_retried(
    client: StreamClient, rsps: responses.RequestsMock, rest: RestClient
) -> None:
    rsps.get(DEPTH_URL, status=503, json={"code": -1008, "msg": "Server is currently overloaded"})
    rsps.get(DEPTH_URL, json=snapshot(7, [["1", "1"]], []))
    with OrderBook(client, SYMBOL, rest=rest) as book:
        assert book.wait_synced(timeout=5)
        assert book.update_id == 7
        assert book.last_error is None
        assert book.asks() == []
        assert book.best_ask is None
    assert len(rsps.calls) == 2


def test_closing_the_client_stops_the_book(
    client: StreamClient, rsps: responses.RequestsMock, rest: RestClient
) -> None:
    rsps.get(DEPTH_URL, json=snapshot(7, [["1", "1"]], []))
    book = OrderBook(client, SYMBOL, rest=rest)
    assert book.wait_synced(timeout=5)
    client.close()
    book.close()  # after the client: still quiet and quick
    assert not book.is_synced
    # The thread-leak check of conftest.py fails the test if the snapshot thread lingers.


def test_against_the_synthetic_market_the_book_matches_the_exchange_after_a_gap() -> None:
    market = SyntheticMarket(seed=3)
    with (
        FakeExchange(market=market) as exchange,
        StreamClient(exchange.url, endpoint="fstream", request_timeout=5.0) as client,
        RestClient(exchange.rest_url, timeout=5.0) as rest,
    ):
        symbol = market.symbols("BTC")[0]
        states: Dict[Optional[int], Any] = {}

        def remember(book: OrderBook) -> None:
            states[book.update_id] = (book.bids(5), book.asks(5))

        with OrderBook(client, symbol, rest=rest, on_update=remember) as book:
            assert book.wait_synced(timeout=10)
            synced_at = book.update_id or 0
            wait_for(lambda: (book.update_id or 0) > synced_at, what="a live change applied")
            exchange.skip_depth_updates(symbol)
            wait_for(lambda: book.resyncs == 1, timeout=10, what="the gap to be noticed")
            assert book.wait_synced(timeout=10)
            # The exchange's own book at some update id equals ours at that id.
            truth = rest.depth(symbol, limit=10)
            wait_for(lambda: (book.update_id or 0) >= truth.last_update_id, timeout=10)
            assert states[truth.last_update_id] == (list(truth.bids[:5]), list(truth.asks[:5]))


def test_a_lost_connection_unsyncs_the_book_until_the_stream_resumes(
    exchange: FakeExchange, client: StreamClient, rsps: responses.RequestsMock, rest: RestClient
) -> None:
    rsps.get(DEPTH_URL, json=snapshot(100, [["10", "1"]], [["11", "1"]]))
    rsps.get(DEPTH_URL, json=snapshot(300, [["7", "1"]], [["14", "1"]]))
    with OrderBook(client, SYMBOL, rest=rest) as book:
        assert book.wait_synced(timeout=5)
        exchange.refuse_connections(1.0, status=503)
        exchange.drop_connections()
        wait_for(lambda: not book.is_synced, what="the book to notice the drop")
        assert book.resyncs == 1
        wait_for(lambda: STREAM in exchange.subscriptions, timeout=10, what="the resubscribe")
        assert not book.is_synced  # nothing has come since: it still waits
        publish(exchange, diff(301, 301, 300, bids=[["7", "2"]]))
        wait_for(lambda: book.update_id == 301, what="the book to start again")
        assert book.is_synced
        assert book.bids() == [(7.0, 2.0)]
    assert len(rsps.calls) == 2


def test_a_refused_snapshot_stops_and_says_why(
    client: StreamClient, rsps: responses.RequestsMock, rest: RestClient
) -> None:
    rsps.get(DEPTH_URL, status=400, json={"code": -1121, "msg": "Invalid symbol."})
    book = OrderBook(client, SYMBOL, rest=rest)
    with pytest.raises(BinanceAPIError, match="Invalid symbol"):
        book.wait_synced(timeout=5)
    assert isinstance(book.last_error, BinanceAPIError)
    assert len(rsps.calls) == 1  # not retried
    book.close()


def test_a_timeout_answer_is_retried_not_fatal(
    client: StreamClient, rsps: responses.RequestsMock, rest: RestClient
) -> None:
    rsps.get(DEPTH_URL, status=408, body="")
    rsps.get(DEPTH_URL, json=snapshot(7, [["1", "1"]], []))
    with OrderBook(client, SYMBOL, rest=rest) as book:
        assert book.wait_synced(timeout=5)
    assert len(rsps.calls) == 2


def test_a_snapshot_older_than_the_stream_is_fetched_again_without_a_resync(
    exchange: FakeExchange, client: StreamClient, rsps: responses.RequestsMock, rest: RestClient
) -> None:
    # The first snapshot (40) is older than the first event kept aside (pu 49): the
    # updates in between are in neither, so the book asks again, later.
    def lagging(request: Any) -> Any:
        # A callback on the same stream, subscribed after the book's, runs after it on
        # the dispatcher: once it has the event, the book has it too.
        seen: List[Any] = []
        client.subscribe_diff_depth(SYMBOL, "100ms", seen.append)
        publish(exchange, diff(50, 50, 49, bids=[["5", "1"]]))
        wait_for(lambda: seen, what="the event before the snapshot, in the book")
        return 200, {}, json.dumps(snapshot(40, [["4", "1"]], []))

    rsps.add_callback(responses.GET, DEPTH_URL, callback=lagging)
    rsps.get(DEPTH_URL, json=snapshot(50, [["4", "1"], ["5", "1"]], []))
    with OrderBook(client, SYMBOL, rest=rest) as book:
        assert book.wait_synced(timeout=5)
        assert book.update_id == 50
        assert book.bids() == [(5.0, 1.0), (4.0, 1.0)]
        assert book.resyncs == 0
    assert len(rsps.calls) == 2


def test_on_update_runs_on_the_dispatcher_thread_only(
    exchange: FakeExchange, client: StreamClient, rsps: responses.RequestsMock, rest: RestClient
) -> None:
    rsps.get(DEPTH_URL, json=snapshot(100, [["10", "1"]], []))
    threads: List[str] = []
    remember = lambda book: threads.append(threading.current_thread().name)  # noqa: E731
    with OrderBook(client, SYMBOL, rest=rest, on_update=remember) as book:
        assert book.wait_synced(timeout=5)
        publish(exchange, diff(101, 101, 100, bids=[["10", "2"]]))
        wait_for(lambda: len(threads) >= 2, what="the sync and the change")
    assert threads
    assert all(name.endswith("-dispatcher") for name in threads)


def test_waiting_on_a_closed_book_raises(
    client: StreamClient, rsps: responses.RequestsMock, rest: RestClient
) -> None:
    rsps.get(DEPTH_URL, status=503, json={"code": -1008, "msg": "overloaded"})
    book = OrderBook(client, SYMBOL, rest=rest)
    book.close()
    with pytest.raises(ClientClosedError, match="closed"):
        book.wait_synced()


def test_only_a_lost_public_connection_unsyncs_the_book(
    client: StreamClient, rsps: responses.RequestsMock, rest: RestClient
) -> None:
    # White-box: the pool reports each connection's end with its URL path. The diff
    # stream lives on /public, so a /market connection's end loses nothing.
    rsps.get(DEPTH_URL, json=snapshot(100, [["10", "1"]], []))
    with OrderBook(client, SYMBOL, rest=rest) as book:
        assert book.wait_synced(timeout=5)
        client._reporter.state("disconnected", "connection #9: test", "market")
        drained = threading.Event()
        client.call_soon(lambda _: drained.set(), None)  # after the book's work
        assert drained.wait(5)
        assert book.is_synced
        assert book.resyncs == 0
        client._reporter.state("disconnected", "connection #8: test", "public")
        wait_for(lambda: not book.is_synced, what="the book to start again")
        assert book.resyncs == 1


def test_a_live_event_newer_than_the_snapshot_fetches_again_without_a_resync(
    exchange: FakeExchange, client: StreamClient, rsps: responses.RequestsMock, rest: RestClient
) -> None:
    rsps.get(DEPTH_URL, json=snapshot(100, [["10", "1"]], []))
    rsps.get(DEPTH_URL, json=snapshot(120, [["9", "1"]], []))
    with OrderBook(client, SYMBOL, rest=rest) as book:
        assert book.wait_synced(timeout=5)
        publish(exchange, diff(111, 115, 110, bids=[["9", "3"]]))  # 101..110 never came
        wait_for(lambda: len(rsps.calls) == 2, what="a second snapshot")
        wait_for(lambda: book.update_id == 120 and book.is_synced, what="the second sync")
        assert book.resyncs == 0  # the snapshot lagged: nothing was lost on the stream
        assert book.bids() == [(9.0, 1.0)]


def test_the_book_stays_in_sync_through_rollovers() -> None:
    # The 24-hour cut, shortened: each rollover overlaps two connections and must
    # not cost the book a single update.
    market = SyntheticMarket(seed=2)
    with (
        FakeExchange(market=market) as exchange,
        RestClient(exchange.rest_url, timeout=5.0) as rest,
        StreamClient(
            exchange.url, endpoint="fstream", max_connection_age=1.0, rollover_overlap=0.3
        ) as client,
    ):
        symbol = market.symbols("ETH")[3]
        with OrderBook(client, symbol, rest=rest) as book:
            assert book.wait_synced(timeout=10)
            wait_for(lambda: client.stats.rollovers >= 2, timeout=20, what="two rollovers")
            assert book.resyncs == 0
            assert book.is_synced
            assert client.stats.reconnects == 0
