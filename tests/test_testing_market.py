"""Tests for the synthetic options market behind the fake exchange (no server)."""

from __future__ import annotations

import datetime
import json
import math
import random
import re
import statistics
from collections import defaultdict
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

import attrs
import pytest
from spec_examples import SPEC_EXAMPLES

from binance_options_ws import (
    BookDepth,
    IndexPrice,
    Kline,
    MarkPrice,
    NewSymbol,
    OpenInterest,
    OptionSymbol,
    Ticker,
    Trade,
    parse_message,
)
from binance_options_ws.dialects import nbstream
from binance_options_ws.testing.market import SyntheticMarket
from binance_options_ws.testing.renderers import NbstreamRenderer
from binance_options_ws.testing.simulation import MarketSimulation

START = datetime.datetime(2026, 1, 5, 12, 0)  # a Monday, noon UTC
T0 = 1767614400000  # START in milliseconds since the epoch
SECOND = 1000
MINUTE = 60 * SECOND
HOUR = 60 * MINUTE

Polled = List[Tuple[int, str, Any]]


# --------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------


def make(seed: int = 1, speed: float = 1.0) -> SyntheticMarket:
    return SyntheticMarket(seed=seed, start=START, speed=speed)


def run(
    market: SyntheticMarket,
    names: Iterable[str],
    duration_ms: int,
    step_ms: int = 20,
    start_ms: int = T0,
) -> Polled:
    """Poll every ``step_ms`` from ``start_ms`` to ``start_ms + duration_ms`` inclusive."""
    subscribed = list(names)
    polled: Polled = []
    for now in range(start_ms, start_ms + duration_ms + 1, step_ms):
        polled.extend((now, name, payload) for name, payload in market.poll(now, subscribed))
    return polled


def events(polled: Polled, name: Optional[str] = None) -> List[Any]:
    """Every parsed event of ``polled`` (of one stream if ``name`` is given)."""
    out: List[Any] = []
    for _, stream, payload in polled:
        if name is None or stream == name:
            out.extend(parse_message({"stream": stream, "data": payload}))
    return out


def yymmdd(date: datetime.date) -> str:
    return date.strftime("%y%m%d")


def near_money(market: SyntheticMarket, asset: str, expiry_index: int, count: int) -> List[str]:
    """The ``count`` symbols of one expiry whose strikes are nearest the index."""
    expiry = yymmdd(market.expirations(asset)[expiry_index])
    spot = market.index_price(f"{asset}USDT")
    chain = [s for s in market.symbols(asset) if s.split("-")[1] == expiry]
    return sorted(chain, key=lambda s: abs(float(s.split("-")[2]) - spot))[:count]


def live_example(item: Dict[str, Any]) -> Any:
    """The documented example of ``item``'s event type, corrected to what the live exchange sends.

    Live, a trade has no ``X`` and its ids are strings, a kline's trade ids are
    strings, a ticker has an ``r`` key, and some depth messages have no ``E``.
    """
    example = json.loads(json.dumps(SPEC_EXAMPLES[item["e"]]))
    if item["e"] == "trade":
        del example["X"]
        example.update({key: str(example[key]) for key in ("t", "b", "a")})
    elif item["e"] == "kline":
        example["k"].update({key: str(example["k"][key]) for key in ("F", "L")})
    elif item["e"] == "24hrTicker":
        example["r"] = "0"
    elif item["e"] == "depth" and "E" not in item:
        del example["E"]
    return example


def shape(value: Any) -> Any:
    """The JSON structure of a value: key names and value types."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    return type(value).__name__


#: Fields that only the 2026 fstream endpoint sends: None in nbstream events.
FSTREAM_ONLY: Dict[type, Tuple[str, ...]] = {
    MarkPrice: (
        "index_price",
        "estimated_settle_price",
        "best_bid_price",
        "best_ask_price",
        "best_bid_quantity",
        "best_ask_quantity",
        "bid_iv",
        "ask_iv",
        "max_buy_price",
        "min_sell_price",
        "mark_iv",
        "risk_free_rate",
        "delta",
        "theta",
        "gamma",
        "vega",
    ),
    Ticker: ("weighted_average_price", "open_time", "close_time"),
    BookDepth: ("first_update_id",),
    Trade: ("side", "is_buyer_maker"),
    NewSymbol: ("onboard_time", "status"),
}
#: Fields the live nbstream endpoint leaves out (no ``X`` on trades; some depth without ``E``).
LIVE_ABSENT: Dict[type, Tuple[str, ...]] = {Trade: ("trade_type",), BookDepth: ("event_time",)}


def missing_fields(event: Any) -> List[str]:
    """The fields of an nbstream event that are None, but for those only fstream sends."""
    unsent = FSTREAM_ONLY.get(type(event), ()) + LIVE_ABSENT.get(type(event), ())
    return [
        field.name
        for field in attrs.fields(type(event))
        if getattr(event, field.name) is None and field.name not in unsent
    ]


@attrs.frozen
class Session:
    """A few simulated minutes of a broad set of streams, shared by several tests."""

    market: SyntheticMarket
    names: Tuple[str, ...]
    polled: Polled
    klines: Tuple[str, ...]
    listed: Tuple[str, ...]
    parsed: Dict[str, List[Any]]  # the events of each stream

    def events(self, name: str) -> List[Any]:
        return self.parsed.get(name, [])


@pytest.fixture(scope="module")
def session() -> Session:
    market = make(seed=11)
    btc_first = yymmdd(market.expirations("BTC")[0])
    eth_first = yymmdd(market.expirations("ETH")[0])
    liquid = near_money(market, "BTC", 0, 6) + near_money(market, "ETH", 0, 4)
    klines = tuple(f"{symbol}@kline_1m" for symbol in liquid)
    far_call = [s for s in market.symbols("BTC") if btc_first in s and s.endswith("-C")][-1]
    names = (
        "BTCUSDT@index",
        "ETHUSDT@index",
        "BTC@markPrice",
        "BTC@trade",
        "ETH@trade",
        "option_pair",
        f"BTC@ticker@{btc_first}",
        f"BTC@openInterest@{btc_first}",
        f"ETH@openInterest@{eth_first}",
        f"{liquid[0]}@ticker",
        f"{liquid[1]}@ticker",
        f"{liquid[0]}@depth10",
        f"{liquid[1]}@depth20@100ms",
        f"{liquid[6]}@depth50@1000ms",
        f"{far_call}@depth100",  # cheap: its bids stop at the minimum price
        *(f"{symbol}@trade" for symbol in liquid[:3]),
        *klines,
    )
    polled: Polled = []
    listed: List[str] = []
    for now in range(T0, T0 + 130 * SECOND + 1, 200):
        if now == T0 + 60 * SECOND:
            listed = market.list_new_expiry("ETH", datetime.date(2026, 6, 26), now_ms=now)
        polled.extend((now, name, payload) for name, payload in market.poll(now, names))
    parsed: Dict[str, List[Any]] = defaultdict(list)
    for _, name, payload in polled:
        parsed[name].extend(parse_message({"stream": name, "data": payload}))
    return Session(market, names, polled, klines, tuple(listed), dict(parsed))


# --------------------------------------------------------------------------
# The listing
# --------------------------------------------------------------------------


def test_expiry_grid_has_dailies_fridays_and_month_ends() -> None:
    market = make()
    expected = [datetime.date(2026, 1, d) for d in (6, 7, 8, 9, 16, 23, 30)] + [
        datetime.date(2026, 2, 27),
        datetime.date(2026, 3, 27),
    ]
    assert market.expirations("BTC") == expected
    assert market.expirations("ETH") == expected


def test_symbols_are_chains_of_calls_and_puts_around_spot() -> None:
    market = make()
    everything = market.symbols()
    assert 200 <= len(everything) <= 500
    assert everything == market.symbols("BTC") + market.symbols("ETH")
    for asset in ("BTC", "ETH"):
        symbols = market.symbols(asset)
        parsed = [OptionSymbol.parse(symbol) for symbol in symbols]
        assert [p.name for p in parsed] == symbols  # exact, uppercase spelling
        assert parsed == sorted(parsed)  # chain order: expiry, strike, call before put
        spot = market.index_price(f"{asset}USDT")
        for expiration in market.expirations(asset):
            chain = [p for p in parsed if p.expiration == expiration]
            calls = [p.strike for p in chain if p.is_call]
            assert calls == [p.strike for p in chain if p.is_put]
            assert len(calls) >= 5
            assert min(calls) < spot < max(calls)
            steps = {b - a for a, b in zip(calls, calls[1:])}
            assert len(steps) == 1
            assert re.fullmatch(r"(1|2|25|5)0*", str(steps.pop()))  # 1, 2, 2.5 or 5 x 10^k


def test_strike_increments_suit_each_underlying() -> None:
    market = make()
    for asset, allowed in (("BTC", range(1000, 10_001)), ("ETH", range(25, 501))):
        for expiration in market.expirations(asset)[:7]:
            strikes = sorted(
                {
                    OptionSymbol.parse(s).strike
                    for s in market.symbols(asset)
                    if s.split("-")[1] == yymmdd(expiration)
                }
            )
            assert int(strikes[1] - strikes[0]) in allowed


def test_index_starts_near_typical_prices_and_matches_the_accessor() -> None:
    market = make()
    assert 90_000 < market.index_price("BTCUSDT") < 110_000
    assert 3_150 < market.index_price("ethusdt") < 3_850
    for now in range(T0, T0 + 3 * SECOND + 1, SECOND):
        [(_, payload)] = market.poll(now, ["BTCUSDT@index"])
        assert float(payload["p"]) == market.index_price("BTCUSDT")


def test_index_follows_a_random_walk_with_about_fifty_percent_volatility() -> None:
    market = make(seed=5)
    polled = run(market, ["BTCUSDT@index"], 30 * MINUTE, step_ms=SECOND)
    prices = [float(payload["p"]) for _, _, payload in polled]
    returns = [math.log(b / a) for a, b in zip(prices, prices[1:])]
    annualised = statistics.pstdev(returns) * math.sqrt(365 * 24 * 3600)
    assert 0.45 < annualised < 0.55  # the walk's volatility is 50%
    assert len(set(prices)) == len(prices)  # it moves every second


# --------------------------------------------------------------------------
# Payload formats
# --------------------------------------------------------------------------


def test_every_payload_has_the_documented_keys_and_json_types(session: Session) -> None:
    seen = set()
    for _, _, payload in session.polled:
        for item in payload if isinstance(payload, list) else [payload]:
            assert shape(item) == shape(live_example(item)), item
            seen.add(item["e"])
    assert seen == set(SPEC_EXAMPLES)


def test_every_stream_parses_into_its_class_with_no_missing_field(session: Session) -> None:
    expected = {
        "@index": IndexPrice,
        "@markPrice": MarkPrice,
        "@trade": Trade,
        "option_pair": NewSymbol,
        "@ticker": Ticker,
        "@openInterest@": OpenInterest,
        "@depth": BookDepth,
        "@kline_": Kline,
    }
    counts: Dict[type, int] = defaultdict(int)
    for name in session.names:
        cls = next(cls for key, cls in expected.items() if key in name)
        for event in session.events(name):
            assert type(event) is cls, (name, event)
            assert missing_fields(event) == [], (name, event)
            counts[cls] += 1
    assert set(counts) == set(expected.values())


def test_payloads_round_trip_through_json(session: Session) -> None:
    for _, _, payload in session.polled[:2000]:
        assert json.loads(json.dumps(payload)) == payload


# --------------------------------------------------------------------------
# Prices and greeks
# --------------------------------------------------------------------------


def all_tickers(market: SyntheticMarket, now: int) -> List[Ticker]:
    names = [
        f"{asset}@ticker@{yymmdd(expiration)}"
        for asset in ("BTC", "ETH")
        for expiration in market.expirations(asset)
    ]
    return events([(now, n, p) for n, p in market.poll(now, names)])


def test_greeks_and_quotes_are_consistent_across_the_whole_chain() -> None:
    market = make(seed=3)
    tickers = all_tickers(market, T0) + all_tickers(market, T0 + 20 * MINUTE)
    assert len(tickers) == 2 * len(market.symbols())
    for t in tickers:
        is_call = t.symbol.endswith("-C")
        assert (0 < t.delta < 1) if is_call else (-1 < t.delta < 0), t
        assert t.gamma > 0
        assert t.vega > 0
        assert t.theta < 0
        assert t.mark_price > 0
        assert t.mark_iv > 0
        assert t.ask_iv > 0
        assert t.best_bid_price < t.best_ask_price
        assert t.mark_price <= t.best_ask_price <= t.max_buy_price
        assert t.high >= max(t.open, t.last_price)
        assert t.low <= min(t.open, t.last_price)
        assert t.last_trade_id - t.first_trade_id + 1 == t.trade_count
        if t.best_bid_price > 0:  # a bid, so its implied volatility is defined
            assert t.min_sell_price <= t.best_bid_price <= t.mark_price
            assert 0 < t.bid_iv < t.mark_iv < t.ask_iv
        else:
            assert t.bid_iv == 0
            assert t.best_bid_quantity == 0


def test_near_expiry_far_options_lose_their_bid_and_stay_consistent() -> None:
    market = make(seed=3)
    expiry = yymmdd(market.expirations("BTC")[0])
    now = T0 + 19 * HOUR + 50 * MINUTE  # ten minutes before 08:00
    tickers: List[Ticker] = events(
        [(now, n, p) for n, p in market.poll(now, [f"BTC@ticker@{expiry}"])]
    )
    one_sided = [t for t in tickers if t.best_bid_price == 0]
    assert one_sided  # worth less than a tick
    for t in tickers:
        assert (0 <= t.delta <= 1) if t.symbol.endswith("-C") else (-1 <= t.delta <= 0)
        assert t.best_ask_price >= 5  # BTC options trade in ticks of 5 USDT
        assert t.mark_price <= t.best_ask_price
        assert t.estimated_exercise_price == pytest.approx(market.index_price("BTCUSDT"))
    for t in one_sided:
        assert t.bid_iv == 0  # no bid, no implied volatility
        assert t.best_bid_quantity == 0
        assert t.ask_iv > t.mark_iv


def test_most_options_have_a_two_sided_market() -> None:
    tickers = all_tickers(make(), T0)
    two_sided = [t for t in tickers if t.best_bid_price > 0]
    assert len(two_sided) > 0.8 * len(tickers)


def test_marks_satisfy_put_call_parity() -> None:
    market = make(seed=4)
    polled = market.poll(T0 + 5 * SECOND, ["BTC@markPrice", "ETH@markPrice"])
    for (_, payload), asset in zip(polled, ("BTC", "ETH")):
        spot = market.index_price(f"{asset}USDT")
        marks = {item["s"]: float(item["mp"]) for item in payload}
        assert set(marks) == set(market.symbols(asset))
        for symbol, call in marks.items():
            if symbol.endswith("-C"):
                put = marks[symbol[:-1] + "P"]
                strike = float(symbol.split("-")[2])
                assert call - put == pytest.approx(spot - strike, abs=0.05), symbol


def test_implied_volatility_smiles_away_from_the_money() -> None:
    market = make()
    tickers = {t.symbol: t for t in all_tickers(market, T0)}
    for asset in ("BTC", "ETH"):
        spot = market.index_price(f"{asset}USDT")
        for expiration in market.expirations(asset):
            calls = [
                tickers[s]
                for s in market.symbols(asset)
                if s.split("-")[1] == yymmdd(expiration) and s.endswith("-C")
            ]
            atm = min(calls, key=lambda t: abs(float(t.symbol.split("-")[2]) - spot))
            assert calls[0].mark_iv > atm.mark_iv
            assert calls[-1].mark_iv > atm.mark_iv


def test_mark_price_accessor_matches_the_streams() -> None:
    market = make()
    symbol = near_money(market, "ETH", 1, 1)[0]
    polled = market.poll(T0 + 7 * SECOND, ["ETH@markPrice", f"{symbol}@ticker"])
    marks = {item["s"]: float(item["mp"]) for item in polled[0][1]}
    assert marks[symbol] == market.mark_price(symbol) == float(polled[1][1]["mp"])
    assert market.mark_price(symbol.lower()) == marks[symbol]


def test_estimated_exercise_price_appears_half_an_hour_before_expiry() -> None:
    market = make()
    expiry = yymmdd(market.expirations("BTC")[0])  # 2026-01-06 08:00 UTC
    name = f"BTC@ticker@{expiry}"
    early = market.poll(T0 + 19 * HOUR, [name])[0][1]
    late = market.poll(T0 + 19 * HOUR + 40 * MINUTE, [name])[0][1]  # 07:40
    assert {item["eep"] for item in early} == {"0"}
    spot = market.index_price("BTCUSDT")
    assert all(float(item["eep"]) == pytest.approx(spot) for item in late)


# --------------------------------------------------------------------------
# Books
# --------------------------------------------------------------------------


def test_depth_books_are_ordered_and_never_crossed(session: Session) -> None:
    depth_names = [name for name in session.names if "@depth" in name]
    for name in depth_names:
        levels = int(name.split("@depth")[1].split("@")[0])
        books: List[BookDepth] = session.events(name)
        assert books
        for book in books:
            assert 1 <= len(book.asks) <= levels  # illiquid options show 1 to 4 levels
            assert len(book.bids) <= levels
            if "@depth100" not in name:  # near the money, a full book on both sides
                assert len(book.asks) == levels
                assert len(book.bids) == levels
            bid_prices = [price for price, _ in book.bids]
            ask_prices = [price for price, _ in book.asks]
            assert bid_prices == sorted(bid_prices, reverse=True)
            assert len(set(bid_prices)) == len(bid_prices)
            assert ask_prices == sorted(ask_prices)
            assert len(set(ask_prices)) == len(ask_prices)
            assert not bid_prices or bid_prices[0] < ask_prices[0]
            assert all(price > 0 and qty > 0 for price, qty in book.bids + book.asks)
            assert book.update_id == book.previous_update_id  # as documented
        ids = [book.update_id for book in books]
        assert all(a < b for a, b in zip(ids, ids[1:]))


def test_ticker_book_top_matches_the_depth_stream() -> None:
    market = make()
    symbol = near_money(market, "BTC", 2, 1)[0]
    names = [f"{symbol}@ticker", f"{symbol}@depth10", f"{symbol}@depth20@100ms"]
    polled = market.poll(T0 + 3 * SECOND, names)
    ticker, depth10, depth20 = (parse_message({"stream": n, "data": p})[0] for n, p in polled)
    assert depth10.best_bid == (ticker.best_bid_price, ticker.best_bid_quantity)
    assert depth10.best_ask == (ticker.best_ask_price, ticker.best_ask_quantity)
    assert depth20.bids[:10] == depth10.bids
    assert depth20.asks[:10] == depth10.asks


# --------------------------------------------------------------------------
# Trades and klines
# --------------------------------------------------------------------------


def test_trades_have_increasing_ids_per_symbol_and_documented_fields(session: Session) -> None:
    trades: List[Trade] = session.events("BTC@trade") + session.events("ETH@trade")
    assert len(trades) > 300  # a few per second per underlying, over 130 seconds
    by_symbol: Dict[str, List[Trade]] = defaultdict(list)
    for trade in trades:
        by_symbol[trade.symbol].append(trade)
        assert trade.direction in (1, -1)
        assert trade.quantity > 0  # positive as live; the direction is in S alone
        assert trade.trade_type is None  # live legacy trades have no X
        assert trade.price > 0
        assert trade.trade_time <= trade.event_time
        assert trade.buy_order_id != trade.sell_order_id
    assert len(by_symbol) > 20
    for symbol_trades in by_symbol.values():
        ids = [trade.trade_id for trade in symbol_trades]
        assert all(a < b for a, b in zip(ids, ids[1:]))
        times = [trade.trade_time for trade in symbol_trades]
        assert times == sorted(times)


def test_symbol_trade_streams_carry_that_symbols_trades(session: Session) -> None:
    everything = session.events("BTC@trade") + session.events("ETH@trade")
    for name in session.names:
        if name.endswith("@trade") and "-" in name:
            symbol = name.split("@")[0]
            own = [(t.trade_id, t.price, t.trade_time) for t in session.events(name)]
            assert own
            assert own == [
                (t.trade_id, t.price, t.trade_time) for t in everything if t.symbol == symbol
            ]


def test_trades_happen_near_the_mark(session: Session) -> None:
    market = make(seed=11)
    symbol = near_money(market, "BTC", 0, 1)[0]
    mark = market.mark_price(symbol)
    prices = [t.price for t in session.events("BTC@trade") if t.symbol == symbol]
    assert prices
    assert all(0.6 * mark < price < 1.4 * mark for price in prices)


def test_klines_are_built_from_the_trades(session: Session) -> None:
    trades: List[Trade] = session.events("BTC@trade") + session.events("ETH@trade")
    closed_with_trades = 0
    for name in session.klines:
        symbol = name.split("@")[0]
        candles: List[Kline] = session.events(name)
        for candle in candles:
            assert candle.high >= max(candle.open, candle.close)
            assert candle.low <= min(candle.open, candle.close)
            assert candle.end_time - candle.start_time == MINUTE  # T = t + interval, as live
        closed = [c for c in candles if c.is_closed]
        assert [c.start_time for c in closed] == [T0, T0 + MINUTE]
        for candle in closed:
            inside = [
                t
                for t in trades
                if t.symbol == symbol and candle.start_time <= t.trade_time <= candle.end_time
            ]
            assert candle.trade_count == len(inside)
            assert candle.volume == pytest.approx(sum(abs(t.quantity) for t in inside))
            if inside:
                closed_with_trades += 1
                assert candle.open == inside[0].price
                assert candle.close == inside[-1].price
                assert candle.high == max(t.price for t in inside)
                assert candle.low == min(t.price for t in inside)
                assert (candle.first_trade_id, candle.last_trade_id) == (
                    inside[0].trade_id,
                    inside[-1].trade_id,
                )
    assert closed_with_trades >= 4


def test_candles_closed_by_a_late_poll_keep_only_their_own_trades() -> None:
    market = make(seed=6, speed=20)  # about 60 trades a second on BTC
    symbol = near_money(market, "BTC", 0, 1)[0]
    name = f"{symbol}@kline_1m"
    polled = run(market, [name, "BTC@trade"], 3 * MINUTE + 7 * SECOND, step_ms=7 * SECOND)
    trades = [t for t in events(polled, "BTC@trade") if t.symbol == symbol]
    closed = [k for k in events(polled, name) if k.is_closed]
    assert [k.start_time for k in closed] == [T0, T0 + MINUTE, T0 + 2 * MINUTE]
    for candle in closed:
        ids = [t.trade_id for t in trades if candle.start_time <= t.trade_time <= candle.end_time]
        assert len(ids) > 10
        assert (candle.trade_count, candle.first_trade_id, candle.last_trade_id) == (
            len(ids),
            ids[0],
            ids[-1],
        )


def test_a_new_trade_subscriber_gets_no_stale_trades() -> None:
    market = make(speed=10)
    run(market, ["ETHUSDT@index"], 5 * SECOND)
    polled = run(market, ["BTC@trade"], 2 * SECOND, start_ms=T0 + 5 * SECOND + 20)
    trades = events(polled)
    assert trades
    assert min(t.trade_time for t in trades) > T0 + 5 * SECOND


def test_speed_multiplies_the_trade_rate() -> None:
    slow = events(run(make(seed=2, speed=1), ["BTC@trade"], 20 * SECOND, step_ms=100))
    fast = events(run(make(seed=2, speed=10), ["BTC@trade"], 20 * SECOND, step_ms=100))
    assert 20 <= len(slow) <= 110  # about 3 a second
    assert len(fast) > 5 * len(slow)


# --------------------------------------------------------------------------
# Subscriptions and cadence
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("template", "speed", "period_ms"),
    [
        ("BTCUSDT@index", 1, 1000),
        ("BTCUSDT@index", 10, 100),
        ("{symbol}@ticker", 4, 250),
        ("BTC@ticker@{expiry}", 1, 1000),
        ("ETH@markPrice", 2, 500),
        ("{symbol}@kline_5m", 1, 1000),
        ("{symbol}@depth10", 1, 500),
        ("{symbol}@depth10@100ms", 1, 100),
        ("{symbol}@depth10@1000ms", 1, 1000),
        ("{symbol}@depth20@100ms", 10, 10),
        ("BTC@openInterest@{expiry}", 1, 60_000),
        ("BTC@openInterest@{expiry}", 10, 6_000),
    ],
)
def test_update_cadence_follows_the_documented_speed(
    template: str, speed: float, period_ms: int
) -> None:
    market = make(speed=speed)
    name = template.format(
        symbol=market.symbols("BTC")[10], expiry=yymmdd(market.expirations("BTC")[0])
    )
    step = 10 if period_ms <= 1000 else 1000
    times = [now for now, _, _ in run(market, [name], 5 * period_ms, step_ms=step)]
    assert times == [T0 + k * period_ms for k in range(6)]


def test_cadence_keeps_its_phase_when_polls_do_not_land_on_it() -> None:
    times = [now for now, _, _ in run(make(), ["BTCUSDT@index"], 10 * SECOND, step_ms=30)]
    assert len(times) == 10  # the last poll is at 9.99 s
    for k, now in enumerate(times):  # the first poll at or after each whole second
        assert T0 + k * SECOND <= now < T0 + k * SECOND + 30


def test_a_new_subscription_is_sent_at_once_then_at_its_pace() -> None:
    market = make()
    btc, eth = "BTCUSDT@index", "ETHUSDT@index"

    def sent(now: int, names: Sequence[str]) -> List[str]:
        return [name for name, _ in market.poll(now, names)]

    assert sent(T0, [btc]) == [btc]
    assert sent(T0 + 300, [btc, eth]) == [eth]  # new: sent at once
    assert sent(T0 + 400, [btc, eth]) == []
    assert sent(T0 + 500, [btc]) == []  # dropped: nothing
    assert sent(T0 + 600, [btc, eth]) == [eth]  # subscribed again: at once
    assert sent(T0 + 1000, [btc, eth]) == [btc]
    assert sent(T0 + 1600, [btc, eth]) == [eth]


@pytest.mark.parametrize(
    ("interval", "start", "end"),
    [
        ("1m", "2026-01-05 12:00", "2026-01-05 12:01"),
        ("1h", "2026-01-05 12:00", "2026-01-05 13:00"),
        ("12h", "2026-01-05 12:00", "2026-01-06 00:00"),
        ("1d", "2026-01-05 00:00", "2026-01-06 00:00"),
        ("3d", "2026-01-04 00:00", "2026-01-07 00:00"),  # counted from the epoch
        ("1w", "2026-01-05 00:00", "2026-01-12 00:00"),  # weeks start on Monday
        ("1M", "2026-01-01 00:00", "2026-02-01 00:00"),
    ],
)
def test_kline_windows_follow_the_interval(interval: str, start: str, end: str) -> None:
    def ms(text: str) -> int:
        moment = datetime.datetime.strptime(text, "%Y-%m-%d %H:%M")
        return int(moment.replace(tzinfo=datetime.timezone.utc).timestamp() * 1000)

    market = make()
    name = f"{near_money(market, 'BTC', 0, 1)[0]}@kline_{interval}"
    [(_, payload)] = market.poll(T0 + 30 * SECOND, [name])
    assert (payload["k"]["t"], payload["k"]["T"]) == (ms(start), ms(end))  # T: t + interval
    assert payload["k"]["i"] == interval


def test_a_stream_listed_twice_in_one_poll_is_sent_once() -> None:
    market = make()
    assert len(market.poll(T0, ["BTCUSDT@index", "BTCUSDT@index"])) == 1
    assert market.poll(T0 + 20, ["BTCUSDT@index", "BTCUSDT@index"]) == []


def test_only_subscribed_streams_are_produced(session: Session) -> None:
    assert {name for _, name, _ in session.polled} == set(session.names)
    market = make()
    assert run(market, [], 3 * SECOND) == []


@pytest.mark.parametrize(
    "name",
    [
        "hello",
        "",
        "btcusdt@index",  # Binance matches names exactly
        "btc-260109-100000-c@ticker",
        "BTC@markprice",
        "BTC-990101-100000-C@ticker",  # well formed, not listed
        "BTC-260109-100001-C@depth10",
        "SOLUSDT@index",  # an underlying this market does not simulate
        "SOL@markPrice",
        "BTC@ticker@990101",
        "BTC@openInterest@260110",
        "BTCUSDT@trade",
        "BTC-260109-100000-C@depth15",
        "BTC-260109-100000-C@kline_7m",
    ],
)
def test_unknown_or_misspelled_streams_produce_nothing(name: str) -> None:
    polled = run(make(speed=10), [name, "ETH@trade"], 3 * SECOND, step_ms=50)
    assert polled  # the market is live
    assert [stream for _, stream, _ in polled if stream == name] == []


# --------------------------------------------------------------------------
# Reproducibility
# --------------------------------------------------------------------------

MIXED = (
    "BTCUSDT@index",
    "ETH@markPrice",
    "BTC@trade",
    "ETH@trade",
    "BTC@ticker@260106",
    "ETH@openInterest@260109",
    "BTC-260109-100000-C@depth20@100ms",
    "BTC-260109-100000-P@kline_1m",
)


def test_same_seed_and_poll_times_give_identical_output() -> None:
    first = run(make(seed=9, speed=5), MIXED, 3 * SECOND)
    second = run(make(seed=9, speed=5), MIXED, 3 * SECOND)
    assert len(first) > 100
    assert json.dumps(first) == json.dumps(second)


def test_a_different_seed_gives_different_output() -> None:
    first = run(make(seed=9, speed=5), MIXED, 3 * SECOND)
    other = run(make(seed=10, speed=5), MIXED, 3 * SECOND)
    assert json.dumps(first) != json.dumps(other)
    assert first[0][2]["p"] != other[0][2]["p"]  # even the index starts elsewhere


def test_prices_do_not_depend_on_what_else_is_polled() -> None:
    symbol = "BTC-260109-100000-C"
    names = ["ETHUSDT@index", f"{symbol}@ticker", f"{symbol}@depth10"]
    alone = run(make(seed=9), names, 5 * SECOND, step_ms=100)
    crowded = run(make(seed=9), [*names, *MIXED, "BTC@markPrice"], 5 * SECOND, step_ms=20)
    assert [p for p in crowded if p[1] in names] == alone


def test_the_global_random_generator_is_left_alone() -> None:
    state = random.getstate()
    run(make(seed=9, speed=5), MIXED, 2 * SECOND)
    assert random.getstate() == state


# --------------------------------------------------------------------------
# Listings
# --------------------------------------------------------------------------


def test_a_new_expiry_is_announced_on_option_pair(session: Session) -> None:
    expiry_ms = 1782460800000  # 2026-06-26 08:00 UTC
    assert session.listed
    assert all(symbol.startswith("ETH-260626-") for symbol in session.listed)
    assert set(session.listed) <= set(session.market.symbols("ETH"))
    assert datetime.date(2026, 6, 26) in session.market.expirations("ETH")
    announced = [(now, payload) for now, name, payload in session.polled if name == "option_pair"]
    assert {now for now, _ in announced} == {T0 + 60 * SECOND}  # the next poll, once
    pairs: List[NewSymbol] = session.events("option_pair")
    assert [pair.symbol for pair in pairs] == list(session.listed)
    for pair in pairs:
        symbol = OptionSymbol.parse(pair.symbol)
        assert pair.underlying == "ETHUSDT"
        assert pair.quote_asset == "USDT"
        assert pair.side == symbol.side
        assert pair.strike_price == float(symbol.strike)
        assert pair.expiration_time == expiry_ms
        assert pair.unit == 1
        assert pair.min_quantity == 0.01
        assert pair.event_time == T0 + 60 * SECOND


def test_listing_an_existing_or_past_expiry() -> None:
    market = make()
    assert market.list_new_expiry("BTC", "260109") == []
    with pytest.raises(ValueError, match="not after"):
        market.list_new_expiry("BTC", datetime.date(2026, 1, 5))
    with pytest.raises(ValueError, match="YYMMDD"):
        market.list_new_expiry("BTC", "2026-01-30")


def test_expiries_roll_by_themselves() -> None:
    market = make()
    names = ["option_pair", "BTC@ticker@260106", "BTC-260106-100000-C@ticker", "ETH@markPrice"]
    polled = run(market, names, 44 * HOUR + 20 * MINUTE, step_ms=20 * MINUTE)
    expiry_1 = 1767686400000  # 2026-01-06 08:00 UTC
    expiry_2 = expiry_1 + 24 * HOUR
    assert polled
    assert all(now < expiry_1 for now, name, _ in polled if "260106" in name)
    assert market.expirations("BTC")[:3] == [
        datetime.date(2026, 1, 8),
        datetime.date(2026, 1, 9),
        datetime.date(2026, 1, 10),  # the new daily
    ]
    assert not any(s.split("-")[1] in ("260106", "260107") for s in market.symbols())
    pairs = [(now, payload) for now, name, payload in polled if name == "option_pair"]
    assert pairs
    assert {now for now, _ in pairs} == {expiry_2}  # announced when the daily expires
    new = {payload["s"] for _, payload in pairs}
    assert new == {s for s in market.symbols() if s.split("-")[1] == "260110"}
    assert all(payload["ed"] == expiry_2 + 3 * 24 * HOUR for _, payload in pairs)
    last_marks = [payload for now, name, payload in polled if name == "ETH@markPrice"][-1]
    assert {item["s"] for item in last_marks} == set(market.symbols("ETH"))


def test_a_long_gap_rolls_the_whole_grid() -> None:
    market = make()
    later = T0 + 30 * 24 * HOUR  # a month later
    polled = market.poll(later, ["option_pair"])
    assert market.expirations("BTC")[0] == datetime.date(2026, 2, 5)
    assert {payload["s"] for _, payload in polled} >= set(market.symbols("BTC")[:4])
    assert 50_000 < market.index_price("BTCUSDT") < 200_000


# --------------------------------------------------------------------------
# Arguments
# --------------------------------------------------------------------------


def test_bad_arguments_are_refused_with_a_clear_message() -> None:
    with pytest.raises(ValueError, match="speed"):
        SyntheticMarket(speed=0)
    with pytest.raises(ValueError, match="unknown underlying 'FOO'"):
        SyntheticMarket(underlyings=("BTC", "FOO"))
    market = make()
    with pytest.raises(ValueError, match="not in this market"):
        market.symbols("SOL")
    with pytest.raises(ValueError, match="not listed"):
        market.mark_price("BTC-990101-100000-C")
    with pytest.raises(ValueError, match="unknown index pair"):
        market.index_price("SOLUSDT")


def test_other_underlyings_and_the_default_start() -> None:
    market = SyntheticMarket(underlyings=["doge"])
    now = datetime.datetime.now(datetime.timezone.utc)
    assert market.symbols() == market.symbols("DOGE")
    first = market.expirations("DOGE")[0]
    assert now.date() <= first <= now.date() + datetime.timedelta(days=1)
    assert abs(market.now_ms - now.timestamp() * 1000) < 61_000
    symbol = market.symbols()[len(market.symbols()) // 2]
    polled = market.poll(market.now_ms, [f"{symbol}@ticker", "DOGEUSDT@index"])
    assert [name for name, _ in polled] == [f"{symbol}@ticker", "DOGEUSDT@index"]
    assert missing_fields(parse_message(polled[0][1])[0]) == []


# --------------------------------------------------------------------------
# Live shapes (the facts of captured live messages)
# --------------------------------------------------------------------------


def test_live_trades_are_positive_with_string_ids_and_no_trade_type(session: Session) -> None:
    payloads = [p for _, name, p in session.polled if name in ("BTC@trade", "ETH@trade")]
    assert len(payloads) > 300
    for payload in payloads:
        assert "X" not in payload
        assert not payload["q"].startswith("-")
        assert float(payload["q"]) > 0
        assert payload["S"] in ("1", "-1")
        for key in ("t", "b", "a"):
            assert isinstance(payload[key], str), key
            assert payload[key].isdigit(), key
    assert {p["S"] for p in payloads} == {"1", "-1"}  # both directions, told by S alone
    assert len(payloads[0]["b"]) == 19  # order ids as long as the exchange's


def test_live_kline_ids_are_strings_and_the_end_is_start_plus_interval(session: Session) -> None:
    for name in session.klines:
        for _, stream, payload in session.polled:
            if stream == name:
                k = payload["k"]
                assert isinstance(k["F"], str)
                assert isinstance(k["L"], str)
                assert k["T"] - k["t"] == MINUTE


def test_live_tickers_carry_r(session: Session) -> None:
    tickers = [p for _, name, p in session.polled if name.endswith("@ticker")]
    assert tickers
    assert all(isinstance(p["r"], str) and float(p["r"]) >= 0 for p in tickers)


def test_live_depth_is_thin_for_illiquid_options_with_t_before_e_and_some_e_missing() -> None:
    market = make(seed=3)
    names = [f"{symbol}@depth10@100ms" for symbol in market.symbols("BTC")[:40]]
    polled = run(market, names, 5 * SECOND, step_ms=100)
    assert len(polled) > 1000
    thin = {name for _, name, p in polled if len(p["a"]) < 5 or 0 < len(p["b"]) < 5}
    assert 0 < len(thin) < len(names)  # some options are illiquid, not all
    without_e = [p for _, _, p in polled if "E" not in p]
    assert 0.02 < len(without_e) / len(polled) < 0.09  # about 1 in 20
    for now, _, payload in polled:
        assert 1 <= now - payload["T"] <= 9  # T a few milliseconds before E
        assert payload.get("E", now) == now
    assert run(make(seed=3), names, 5 * SECOND, step_ms=100) == polled  # seeded


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (7.0, "7.0"),
        (0.0, "0.0"),
        (1580.87, "1580.87"),
        (9_999_999.5, "9999999.5"),
        (16_711_317.692476314, "1.6711317692476314E7"),
        (10_000_000.0, "1.0E7"),
    ],
)
def test_open_interest_is_written_like_the_live_endpoint(value: float, text: str) -> None:
    sim = MarketSimulation(seed=1, start=START)
    expiry = yymmdd(SyntheticMarket(seed=1, start=START).expirations("BTC")[0])
    plan = NbstreamRenderer(sim).plan(nbstream.DIALECT.parse_stream(f"BTC@openInterest@{expiry}"))
    assert plan is not None
    option = sim.chain("BTC", plan.expiry_ms)[0]
    option.open_interest = value
    rendered: List[Dict[str, Any]] = plan.render(plan, sim.now_ms)[0]  # type: ignore[assignment]
    [item] = [item for item in rendered if item["s"] == option.name]
    assert item["o"] == text  # as Java prints a double
    assert float(text) == value


def test_live_open_interest_is_written_as_doubles_with_exponents_for_big_values() -> None:
    market = make()
    expiry = yymmdd(market.expirations("BTC")[0])
    [(_, items)] = market.poll(T0, [f"BTC@openInterest@{expiry}"])
    texts = [item[key] for item in items for key in ("o", "h")]
    assert all(re.fullmatch(r"\d+\.\d+(E\d+)?", text) for text in texts), texts
    assert all(float(item["o"]) == round(float(item["o"]), 2) for item in items)
    # A large open interest (ten million USDT and more) is written in exponent form.
    sim = MarketSimulation(seed=1, start=START)
    renderer = NbstreamRenderer(sim)
    plan = renderer.plan(nbstream.DIALECT.parse_stream(f"BTC@openInterest@{expiry}"))
    assert plan is not None
    option = sim.chain("BTC", plan.expiry_ms)[0]
    option.open_interest = 250.0
    rendered: List[Dict[str, Any]] = plan.render(plan, sim.now_ms)[0]  # type: ignore[assignment]
    [big] = [item for item in rendered if item["s"] == option.name]
    assert big["o"] == "250.0"
    assert re.fullmatch(r"\d\.\d+E7", big["h"]), big["h"]
    assert float(big["h"]) == pytest.approx(250.0 * sim.index("BTC", sim.now_ms))
