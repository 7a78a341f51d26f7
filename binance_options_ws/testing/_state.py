"""What the market simulation is made of: options, trades, quotes, candles, order books.

Internal to :mod:`binance_options_ws.testing`. These are plain state holders;
:class:`~binance_options_ws.testing.simulation.MarketSimulation` makes them evolve.
Prices are in ticks and quantities in lots (integers); none of these classes
knows how an endpoint writes them.

This module is pure: no sockets, threads or clocks.
"""

from __future__ import annotations

import collections
import zlib
from decimal import Decimal
from typing import Deque, Dict, FrozenSet, List, NamedTuple, Set, Tuple

from ._model import AssetSpec, Ladder, Units, decimal_text, from_ms
from .pricing import Greeks

__all__ = ["Book", "Candle", "Option", "Quote", "Trade", "feed_candle", "new_candle"]

_TRADES_PER_OPTION = 2_000  # trades kept per option for klines
_BOOK_LOG = 1024  # book changes remembered for the diff-depth streams


class Option:
    """One listed option: its contract terms, 24-hour statistics, trades and open interest."""

    __slots__ = (
        "amount",
        "asset",
        "close",
        "count",
        "expiry_ms",
        "first_id",
        "high",
        "is_call",
        "key",
        "last_id",
        "last_qty",
        "listed_ms",
        "low",
        "name",
        "next_id",
        "open",
        "open_interest",
        "prior",
        "spec",
        "strike",
        "strike_text",
        "trades",
        "units",
        "volume",
        "weight",
    )

    amount: float
    asset: str
    close: int
    count: int
    expiry_ms: int
    first_id: int
    high: int
    is_call: bool
    key: int
    last_id: int
    last_qty: int
    listed_ms: int
    low: int
    name: str
    next_id: int
    open: int
    open_interest: float
    prior: int
    spec: AssetSpec
    strike: float
    strike_text: str
    units: Units
    volume: float
    weight: float

    def __init__(
        self,
        asset: str,
        spec: AssetSpec,
        units: Units,
        expiry_ms: int,
        strike: Decimal,
        is_call: bool,
    ) -> None:
        expiry = from_ms(expiry_ms)
        self.asset = asset
        self.spec = spec
        self.units = units
        self.expiry_ms = expiry_ms
        self.strike_text = decimal_text(strike)
        self.strike = float(strike)
        self.is_call = is_call
        self.name = f"{asset}-{expiry:%y%m%d}-{self.strike_text}-{'C' if is_call else 'P'}"
        self.key = zlib.crc32(self.name.encode())
        self.listed_ms = 0
        self.weight = 1.0
        # 24-hour statistics; prices in ticks.
        self.open = self.high = self.low = self.close = self.prior = 0
        self.volume = self.amount = 0.0  # contracts, USDT
        self.first_id = self.last_id = self.count = self.last_qty = 0  # last_qty in lots
        self.next_id = 1
        self.open_interest = 0.0
        self.trades: Deque[Trade] = collections.deque(maxlen=_TRADES_PER_OPTION)


class Trade(NamedTuple):
    """One trade: which option, when, at what price and size, and who took it."""

    seq: int  # position in the market's trade sequence
    option: Option
    trade_id: int
    time: int
    price: int  # in ticks
    lots: int  # size in lots, positive
    direction: int  # 1 buyer-initiated, -1 seller-initiated
    buy_order_id: int
    sell_order_id: int


class Quote(NamedTuple):
    """An option's prices at one instant."""

    spot: float
    years: float
    iv: float
    half_spread: float  # in volatility
    greeks: Greeks
    mark: float
    bid: int  # ticks; 0 means no bid
    ask: int  # ticks


class Candle:
    """A kline being built from trades."""

    __slots__ = (
        "close",
        "count",
        "end",
        "first_id",
        "high",
        "last_id",
        "low",
        "open",
        "quote_volume",
        "seen_id",
        "start",
        "taker_quote_volume",
        "taker_volume",
        "volume",
    )

    close: int
    count: int
    end: int
    first_id: int
    high: int
    last_id: int
    low: int
    open: int
    quote_volume: float
    seen_id: int
    start: int
    taker_quote_volume: float
    taker_volume: float
    volume: float

    def __init__(self, start: int, end: int, prior: int, seen_id: int) -> None:
        self.start, self.end = start, end
        self.open = self.high = self.low = self.close = prior
        self.volume = self.quote_volume = self.taker_volume = self.taker_quote_volume = 0.0
        self.count = self.first_id = self.last_id = 0
        self.seen_id = seen_id

    def add(self, trade: Trade, units: Units) -> None:
        """Count one trade into the candle."""
        price = trade.price
        if self.count == 0:
            self.open = self.high = self.low = price
            self.first_id = trade.trade_id
        self.high = max(self.high, price)
        self.low = min(self.low, price)
        self.close = price
        contracts = trade.lots * units.lot
        amount = contracts * price * units.tick
        self.volume += contracts
        self.quote_volume += amount
        if trade.direction > 0:
            self.taker_volume += contracts
            self.taker_quote_volume += amount
        self.count += 1
        self.last_id = self.seen_id = trade.trade_id


class Book:
    """The sampled order book of one option: the book model, sampled every 100 ms.

    Each sample that changes anything gets a new, larger update id; the changed
    prices of recent samples are kept so that a diff event can list every level
    that changed since the previous one.
    """

    __slots__ = ("asks", "bids", "changed_at", "checked_at", "first_id", "log", "update_id")

    asks: Ladder
    bids: Ladder
    changed_at: int
    checked_at: int
    first_id: int
    update_id: int

    def __init__(self, bids: Ladder, asks: Ladder, update_id: int, t: int) -> None:
        self.bids, self.asks = bids, asks
        self.update_id = self.first_id = update_id
        self.changed_at = self.checked_at = t
        #: (update id, changed bid prices, changed ask prices), oldest first.
        self.log: Deque[Tuple[int, FrozenSet[int], FrozenSet[int]]] = collections.deque(
            maxlen=_BOOK_LOG
        )

    def advance(self, bids: Ladder, asks: Ladder, update_id: int, t: int) -> None:
        """Move to the sample ``(bids, asks)`` taken at ``t``."""
        self.checked_at = t
        changed_bids = _changed(self.bids, bids)
        changed_asks = _changed(self.asks, asks)
        if changed_bids or changed_asks:
            self.bids, self.asks = bids, asks
            self.update_id = update_id
            self.changed_at = t
            self.log.append((update_id, changed_bids, changed_asks))

    def update_id_back(self, changes: int) -> int:
        """The update id the book had ``changes`` changes ago (or when it was made)."""
        if len(self.log) > changes:
            return self.log[-changes - 1][0]
        return self.first_id  # the log is whole: it only drops entries past 1024

    def changes_since(self, update_id: int) -> Tuple[Dict[int, int], Dict[int, int]]:
        """Every level changed after ``update_id``, with its quantity now (0: removed)."""
        bid_prices: Set[int] = set()
        ask_prices: Set[int] = set()
        for logged, bid_changes, ask_changes in reversed(self.log):
            if logged <= update_id:
                break
            bid_prices |= bid_changes
            ask_prices |= ask_changes
        bids, asks = dict(self.bids), dict(self.asks)
        return (
            {price: bids.get(price, 0) for price in bid_prices},
            {price: asks.get(price, 0) for price in ask_prices},
        )


def _changed(old: Ladder, new: Ladder) -> FrozenSet[int]:
    """The prices whose quantity differs between two ladders (absent counts as 0)."""
    before, after = dict(old), dict(new)
    return frozenset(p for p in before.keys() | after.keys() if before.get(p) != after.get(p))


def new_candle(option: Option, start: int, end: int) -> Candle:
    """An empty candle opening at the last price before ``start``."""
    prior, seen = option.prior, 0
    for trade in reversed(option.trades):
        if trade.time < start:
            prior, seen = trade.price, trade.trade_id
            break
    else:
        if option.trades:  # history starts inside the candle
            seen = option.trades[0].trade_id - 1
    return Candle(start, end, prior, seen)


def feed_candle(candle: Candle, option: Option, until: int) -> None:
    """Add the option's trades after the candle's last one, up to ``until``."""
    fresh: List[Trade] = []
    for trade in reversed(option.trades):
        if trade.trade_id <= candle.seen_id:
            break
        fresh.append(trade)
    for trade in reversed(fresh):
        if trade.time > until:
            break
        candle.add(trade, option.units)
