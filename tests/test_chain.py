"""OptionChain: the live chain of one expiry on either endpoint, through drops, on a replay."""

from __future__ import annotations

import datetime as _dt
import re
import threading
import time
from pathlib import Path
from typing import Any, Dict, Iterator, List, Tuple

import pytest

from binance_options_ws import (
    ClientClosedError,
    Event,
    InvalidArgumentError,
    InvalidStreamError,
    MarkPrice,
    OptionSymbol,
    StreamClient,
    Ticker,
)
from binance_options_ws.chain import ChainQuote, OptionChain
from binance_options_ws.playback import replay
from binance_options_ws.testing import FakeExchange, SyntheticMarket
from binance_options_ws.testing.waiting import wait_for

ENDPOINTS = ["nbstream", "fstream"]


@pytest.fixture(scope="module")
def market_exchange() -> Iterator[Tuple[FakeExchange, SyntheticMarket]]:
    market = SyntheticMarket(seed=4, speed=20)
    with FakeExchange(market=market) as exchange:
        yield exchange, market


def _expiry(market: SyntheticMarket) -> _dt.date:
    return market.expirations("BTC")[0]


def _options(market: SyntheticMarket, expiry: _dt.date) -> List[str]:
    return sorted(s for s in market.symbols("BTC") if OptionSymbol.parse(s).expiration == expiry)


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_the_chain_has_every_option_of_the_expiry_with_quotes_and_the_money(
    market_exchange: Any, endpoint: str
) -> None:
    exchange, market = market_exchange
    expiry = _expiry(market)
    with StreamClient(exchange.url, endpoint=endpoint) as client:
        chain = OptionChain(client, "BTC", expiry)
        assert chain.wait_ready(timeout=10)
        options = _options(market, expiry)
        wait_for(lambda: len(chain.quotes()) == len(options), timeout=10, what="every option")
        wait_for(
            lambda: all(q.iv is not None and q.delta is not None for q in chain.quotes()),
            timeout=10,
            what="greeks of every option",
        )
        assert sorted(q.symbol for q in chain.quotes()) == options
        rows = chain.rows()
        assert [r.strike for r in rows] == sorted(
            {float(OptionSymbol.parse(s).strike) for s in options}
        )
        for row in rows:
            assert row.call is not None
            assert row.call.symbol.endswith("-C")
            assert row.put is not None
            assert row.put.symbol.endswith("-P")
            assert row.call.delta is not None
            assert row.call.delta > 0 > row.put.delta
        index = chain.index_price
        assert index is not None
        assert chain.atm_strike == min((r.strike for r in rows), key=lambda k: abs(k - index))
        frame = chain.to_frame()
        assert list(frame["strike"]) == [r.strike for r in rows]
        for column in (
            "call_bid",
            "call_ask",
            "call_mark",
            "call_iv",
            "put_delta",
            "put_open_interest",
        ):
            assert column in frame.columns
        assert str(frame["call_updated"].dt.tz) == "UTC"
        chain.close()


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_each_field_is_the_latest_any_stream_gave(market_exchange: Any, endpoint: str) -> None:
    exchange, market = market_exchange
    expiry = _expiry(market)
    latest: Dict[str, Dict[str, float]] = {}
    count = [0]

    def keep(event: Event) -> None:  # on the dispatcher, right after the chain's own callback
        if not isinstance(event, (Ticker, MarkPrice)):
            return
        count[0] += 1
        values = latest.setdefault(str(event.symbol), {})
        for source, target in (("mark_price", "mark"), ("mark_iv", "iv"), ("delta", "delta")):
            value = getattr(event, source)
            if value is not None:
                values[target] = value

    with StreamClient(exchange.url, endpoint=endpoint) as client:
        chain = OptionChain(client, "BTC", expiry)
        client.subscribe_mark_price("BTC", keep)
        client.subscribe_ticker_by_expiration("BTC", expiry, keep)
        options = _options(market, expiry)
        # The chain subscribed first, so it may hold tickers this test's callback never saw:
        # wait until the callback has seen every field of every option itself.
        wait_for(
            lambda: (
                count[0] >= 4 * len(options)
                and all(len(latest.get(symbol, {})) == 3 for symbol in options)
            ),
            timeout=10,
            what="every field of every option",
        )
        taken: List[Any] = []

        def take(_: None) -> None:  # on the dispatcher, between two events: both agree
            chain_view = {q.symbol: (q.mark, q.iv, q.delta) for q in chain.quotes()}
            seen = {
                symbol: (values.get("mark"), values.get("iv"), values.get("delta"))
                for symbol, values in latest.items()
                if OptionSymbol.parse(symbol).expiration == expiry
            }
            taken.extend([chain_view, seen])

        client.call_soon(take, None)
        wait_for(lambda: bool(taken), timeout=5, what="the dispatcher")
    snapshot, expected = taken
    assert len(snapshot) == len(options)
    assert snapshot == expected


def test_on_change_runs_on_the_dispatcher_and_a_raising_one_stops_nothing(
    market_exchange: Any,
) -> None:
    exchange, market = market_exchange
    calls: List[Tuple[OptionChain, str]] = []

    def on_change(chain: OptionChain) -> None:
        calls.append((chain, threading.current_thread().name))
        raise RuntimeError("a bug in user code")

    with StreamClient(exchange.url) as client:
        chain = OptionChain(client, "BTC", _expiry(market), on_change=on_change)
        wait_for(lambda: len(calls) >= 3, timeout=10, what="three changes")
        assert all(c is chain for c, _ in calls)
        assert all(name.endswith("-dispatcher") for _, name in calls)
        assert client.stats.callback_errors >= 3
        before = len(calls)
        wait_for(lambda: len(calls) > before, timeout=10, what="changes go on")


def test_wait_ready_keeps_its_timeout_and_close_releases_it() -> None:
    with FakeExchange() as exchange, StreamClient(exchange.url) as client:  # no market: silent
        chain = OptionChain(client, "BTC", "261225")
        began = time.monotonic()
        assert chain.wait_ready(timeout=0.3) is False
        assert 0.25 <= time.monotonic() - began < 2.0
        assert not chain.ready
        assert chain.atm_strike is None

        errors: List[BaseException] = []

        def wait() -> None:
            try:
                chain.wait_ready(timeout=None)
            except BaseException as exc:
                errors.append(exc)

        waiter = threading.Thread(target=wait)
        waiter.start()
        time.sleep(0.1)  # let it block
        began = time.monotonic()
        client.close()
        waiter.join(2)
        assert not waiter.is_alive()
        assert time.monotonic() - began < 1.0
        assert isinstance(errors[0], ClientClosedError)
        with pytest.raises(ClientClosedError):
            chain.wait_ready(timeout=1)


def test_closing_the_chain_unsubscribes_its_streams_and_keeps_the_client() -> None:
    with FakeExchange() as exchange, StreamClient(exchange.url) as client:
        client.subscribe_index("ETHUSDT")
        chain = OptionChain(client, "BTC", "261225")
        assert len(exchange.subscriptions) == 5
        chain.close()
        exchange.wait_until(lambda: exchange.subscriptions == {"ETHUSDT@index"}, 5, "unsubscribed")
        with pytest.raises(ClientClosedError):
            chain.wait_ready(timeout=1)
        assert not client.closed


def test_the_chain_survives_a_reconnect_and_rollovers(market_exchange: Any) -> None:
    exchange, market = market_exchange
    with StreamClient(
        exchange.url, max_connection_age=0.5, rollover_overlap=0.2, backoff_initial=0.05
    ) as client:
        chain = OptionChain(client, "BTC", _expiry(market))
        assert chain.wait_ready(timeout=10)
        wait_for(lambda: client.stats.rollovers >= 2, timeout=10, what="two rollovers")
        exchange.drop_connections()
        wait_for(lambda: client.stats.reconnects >= 1, timeout=10, what="the reconnect")
        seen = max(q.updated or 0 for q in chain.quotes())
        wait_for(
            lambda: max(q.updated or 0 for q in chain.quotes()) > seen,
            timeout=10,
            what="updates after the reconnect",
        )
        assert chain.ready


def test_the_chain_fills_from_a_replay_as_it_did_live(tmp_path: Path) -> None:
    market = SyntheticMarket(seed=6, speed=20)
    expiry = _expiry(market)
    exchange = FakeExchange(market=market).start()
    try:
        with StreamClient(exchange.url, record_to=tmp_path, reconnect=False) as client:
            live = OptionChain(client, "BTC", expiry)
            assert live.wait_ready(timeout=10)
            time.sleep(0.3)  # a few updates more
            exchange.stop()  # nothing more is delivered: the chain sees all that was recorded
            wait_for(lambda: client.stats.connections == 0, timeout=5, what="the drop")
            done = threading.Event()
            client.call_soon(lambda _: done.set(), None)
            wait_for(done.is_set, timeout=5, what="the dispatcher")
            expected: List[ChainQuote] = live.quotes()
            expected_index = live.index_price
    finally:
        exchange.stop()
    with replay(tmp_path) as again:
        chain = OptionChain(again, "BTC", expiry)
        again.play()
        wait_for(lambda: again.closed, timeout=20, what="the end of the replay")
        assert chain.quotes() == expected
        assert chain.index_price == expected_index


def test_bad_arguments_are_refused_at_the_call() -> None:
    with FakeExchange() as exchange, StreamClient(exchange.url) as client:
        with pytest.raises(InvalidArgumentError, match="needs a StreamClient"):
            OptionChain("client", "BTC", "261225")  # type: ignore[arg-type]
        with pytest.raises(InvalidStreamError, match="expiration"):
            OptionChain(client, "BTC", "2612")
        with pytest.raises(InvalidStreamError, match="underlying"):
            OptionChain(client, "BTCUSDT", "261225")
        with pytest.raises(InvalidArgumentError, match="on_change"):
            OptionChain(client, "BTC", "261225", on_change=5)  # type: ignore[arg-type]
        assert exchange.subscriptions == frozenset()


def test_the_chain_command_draws_the_demo_chain(capsys: pytest.CaptureFixture[str]) -> None:
    from binance_options_ws.cli import main

    assert main(["chain", "BTC", "--demo", "--seconds", "2.5"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"BTC options expiring \d{4}-\d{2}-\d{2}: \d+ strikes, index \d", out), out
    assert re.search(r"\| +\d+\* \|", out), out  # the strike at the money, marked
    assert re.search(r"\d+%  [+-]0\.\d\d .* \| +\d+ +\| ", out), out  # a row: call | strike | put
    assert main(["chain", "BTC", "--demo", "--expiration", "2612"]) == 2


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["chain", "BTCUSDT", "--demo"], "underlying 'BTCUSDT' is not in this market"),
        (["chain", "XRP", "--demo", "--expiration", "261225"], "'XRP' is not in this market"),
        (["chain", "BTC", "--demo", "--expiration", "991231"], "its expiries are "),
    ],
)
def test_the_chain_command_says_in_one_line_what_the_demo_market_lacks(
    capsys: pytest.CaptureFixture[str], argv: List[str], message: str
) -> None:
    from binance_options_ws.cli import main

    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert message in lines[0]
