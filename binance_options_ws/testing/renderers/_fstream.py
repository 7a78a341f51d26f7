"""The fstream renderer: the synthetic market as the 2026 endpoint writes it.

The eleven streams of ``wss://fstream.binance.com`` (``!index@arr``,
``<pair>@optionMarkPrice``, ``<symbol>@optionTicker``,
``<pair>@optionTicker@<YYMMDD>``, ``<symbol>@kline_<interval>``,
``<symbol>@depth<levels>@<speed>``, ``<symbol>@depth@<speed>``,
``<symbol>@bookTicker``, ``<pair>@optionOpenInterest@<YYMMDD>``,
``<symbol|pair>@optionTrade``, ``!optionSymbol``), with their own payloads: one
array for every index; the mark price carries the book top, implied
volatilities and greeks, and the ticker only 24-hour statistics; a trade's
quantity is positive with the taker's side in ``S`` and ``m``.

Its order book streams (partial and diff depth, book ticker) show the
simulation's sampled book, 20 levels a side with an update id that only grows,
the same book the REST snapshot returns. Every diff event lists each level
changed since the previous one, so a snapshot plus the later diffs always gives
the current book; a new diff-depth subscription's first event reaches back
``DIFF_LOOKBACK`` changes, as a stream already running would.

Numbers are written as the live endpoint writes them, with fixed decimals and
zeros kept: prices at the underlying's price scale (BTC ``"1420.000"``, ETH
``"16.6000"``), quantities and volumes at its quantity scale (``"10.00"``),
quote amounts with 4 decimals, the index, greeks and implied volatilities with
8, the risk-free rate ``"0.0"``; open interest in USDT as a double
(``"1912992.178168204"``). The mark-price array comes as several messages of
one to three marks; the partial depth's update ids jump (``U`` is well above
``pu`` and well below ``u``), seeded, as live.

Choices where Binance's documentation is silent: the ticker by expiration pushes
one message per option, not an array; the book ticker is sent whenever the top
of the book changes (at most every 100 ms).

This module is pure: no sockets, threads or clocks.
"""

from __future__ import annotations

import random
import zlib
from typing import ClassVar, Dict, List, Mapping, Optional, Sequence, Tuple

from ...dialects import StreamKind, StreamName
from ...dialects import fstream as _dialect
from .._model import DAY_MS, Ladder, Levels, fixed, java_double, mix
from .._state import Candle, Option, Trade
from ._base import MalformedSamples, Payload, Plan, Render, Renderer

__all__ = ["DIFF_LOOKBACK", "MARKS_PER_MESSAGE", "FstreamRenderer"]

#: The most marks one ``optionMarkPrice`` message carries (live: one to three).
MARKS_PER_MESSAGE = 3
_AMOUNT_DECIMALS = 4  # quote amounts (USDT) and the price change percent
_RATIO_DECIMALS = 8  # index, greeks, implied volatilities
_MARK_SALT = 0x4D41  # seeds how the mark-price array is split
_DEPTH_SALT = 0x5044  # seeds the partial depth's U and pu
_MAX_FIRST_JUMP = 450  # u - U of a partial depth message is 2 to this
_MAX_PREVIOUS_JUMP = 20  # U - pu of a partial depth message is 2 to this

#: Book changes a new diff-depth subscription's first event reaches back: a REST
#: snapshot taken just after the SUBSCRIBE was answered is then never newer than
#: the stream's start.
DIFF_LOOKBACK = 10


class FstreamRenderer(Renderer):
    """The payloads of the 2026 fstream endpoint.

    Example:
        >>> from binance_options_ws.dialects import fstream
        >>> from binance_options_ws.testing.simulation import MarketSimulation
        >>> renderer = FstreamRenderer(MarketSimulation(seed=7))
        >>> plan = renderer.plan(fstream.DIALECT.parse_stream("!index@arr"))
        >>> [[item["s"] for item in data] for data in plan.render(plan, renderer.sim.now_ms)]
        [['BTCUSDT', 'ETHUSDT']]
    """

    samples: ClassVar[MalformedSamples] = MalformedSamples(
        index_stream=_dialect.INDEX_STREAM,
        index_event='[{"e":"indexPrice","E":%d,"s":"BTCUSDT","p":"65000.12345678"}]',
        unknown_stream="btcusdt@futureEvent",
        array_stream="btcusdt@optionMarkPrice",
    )

    def renders(self) -> Mapping[StreamKind, Render]:
        """The render method of each of the eleven streams."""
        return {
            StreamKind.INDEX: self.render_index,
            StreamKind.TICKER: self.render_ticker,
            StreamKind.TICKER_BY_EXPIRATION: self.render_tickers,
            StreamKind.MARK_PRICE: self.render_marks,
            StreamKind.KLINE: self.render_kline,
            StreamKind.DEPTH: self.render_depth,
            StreamKind.DIFF_DEPTH: self.render_diff_depth,
            StreamKind.BOOK_TICKER: self.render_book_ticker,
            StreamKind.OPEN_INTEREST: self.render_open_interest,
            StreamKind.TRADE: self.render_trades,
            StreamKind.NEW_SYMBOL_INFO: self.render_listings,
        }

    def asset(self, stream: StreamName) -> Optional[str]:
        """fstream names the pair (``btcusdt``): its base asset, if the market has it."""
        return self.sim.pairs.get(stream.underlying or "")

    # ------------------------------------------------------------------
    # One method per stream kind
    # ------------------------------------------------------------------

    def render_index(self, plan: Plan, now: int) -> Sequence[object]:
        """``!index@arr``: one array with the index of every pair."""
        prices = [
            {
                "e": "indexPrice",
                "E": now,
                "s": pair,
                "p": fixed(self.sim.index(asset, now), _RATIO_DECIMALS),
            }
            for pair, asset in self.sim.pairs.items()
        ]
        return (prices,)

    def render_ticker(self, plan: Plan, now: int) -> Sequence[object]:
        """``<symbol>@optionTicker``: 24-hour statistics."""
        option = self.option(plan)
        if option is None:
            return ()
        return (self._ticker(option, now),)

    def render_tickers(self, plan: Plan, now: int) -> Sequence[object]:
        """``<pair>@optionTicker@<YYMMDD>``: one message per option of the expiry."""
        chain = self.sim.chain(plan.asset, plan.expiry_ms)
        return [self._ticker(option, now) for option in chain]

    def render_marks(self, plan: Plan, now: int) -> Sequence[object]:
        """``<pair>@optionMarkPrice``: the chain's marks in arrays of one to three (seeded)."""
        asset = plan.asset or ""
        if asset not in self.sim.chains:
            return ()
        marks = [self._mark(option, now) for option in self.sim.chain_options(asset)]
        rng = random.Random(mix(self.sim.seed, zlib.crc32(asset.encode()), now, _MARK_SALT))
        messages: List[object] = []
        while marks:
            size = rng.randint(1, MARKS_PER_MESSAGE)
            messages.append(marks[:size])
            marks = marks[size:]
        return messages

    def render_depth(self, plan: Plan, now: int) -> Sequence[object]:
        """Partial depth: the top levels, with the update ids since this stream's last push."""
        option = self.option(plan)
        if option is None:
            return ()
        book = self.sim.sampled_book(option, now)
        levels = plan.stream.levels or 10
        u = book.update_id
        first, previous = self.partial_ids(option, u)
        plan.last_update_id = u
        payload: Payload = {
            "e": "depthUpdate",
            "E": now,
            "T": book.changed_at,
            "s": option.name,
            "U": first,
            "u": u,
            "pu": previous,
            "b": self.levels(option, book.bids[:levels]),
            "a": self.levels(option, book.asks[:levels]),
        }
        return (payload,)

    def partial_ids(self, option: Option, u: int) -> Tuple[int, int]:
        """``U`` and ``pu`` of a partial depth message whose book has update id ``u``.

        As live, they jump: ``u - U`` is 2 to 450 and ``U - pu`` 2 to 20, drawn
        from the seed and ``u``, so every partial depth stream of the option
        agrees. ``U`` stays above the previous sample's id (the sampled book's
        ids grow by at least 500 a change).
        """
        rng = random.Random(mix(self.sim.seed, option.key, u, _DEPTH_SALT))
        first = u - rng.randint(2, _MAX_FIRST_JUMP)
        return first, first - rng.randint(2, _MAX_PREVIOUS_JUMP)

    @staticmethod
    def levels(option: Option, ladder: Ladder) -> Levels:
        """Book levels at the underlying's price and quantity scales."""
        price, quantity = option.units.fixed_price, option.units.fixed_quantity
        return [[price(ticks), quantity(lots)] for ticks, lots in ladder]

    def render_diff_depth(self, plan: Plan, now: int) -> Sequence[object]:
        """Diff depth: every level changed since this stream's last event (quantity 0: gone).

        A new subscription's first event reaches back ``DIFF_LOOKBACK``
        changes. Each later event has ``U`` = previous ``u`` + 1 and ``pu`` =
        previous ``u``. An event lost to ``skip_depth_updates`` still counts as sent.
        """
        option = self.option(plan)
        if option is None:
            return ()
        book = self.sim.sampled_book(option, now)
        previous = plan.last_update_id
        if previous is None:
            previous = book.update_id_back(DIFF_LOOKBACK)
        plan.last_update_id = book.update_id
        if book.update_id == previous:
            return ()
        if self.sim.take_skip(option):
            return ()
        bids, asks = book.changes_since(previous)
        payload: Payload = {
            "e": "depthUpdate",
            "E": now,
            "T": book.changed_at,
            "s": option.name,
            "U": previous + 1,
            "u": book.update_id,
            "pu": previous,
            "b": self.levels(option, [(p, bids[p]) for p in sorted(bids, reverse=True)]),
            "a": self.levels(option, [(p, asks[p]) for p in sorted(asks)]),
        }
        return (payload,)

    def render_book_ticker(self, plan: Plan, now: int) -> Sequence[object]:
        """The best bid and ask, sent whenever they change (at most every 100 ms)."""
        option = self.option(plan)
        if option is None:
            return ()
        book = self.sim.sampled_book(option, now)
        units = option.units
        bid = book.bids[0] if book.bids else (0, 0)
        ask = book.asks[0] if book.asks else (0, 0)
        if (bid, ask) == plan.last_top:
            return ()
        plan.last_top = (bid, ask)
        payload: Payload = {
            "e": "bookTicker",
            "u": book.update_id,
            "s": option.name,
            "b": units.fixed_price(bid[0]),
            "B": units.fixed_quantity(bid[1]),
            "a": units.fixed_price(ask[0]),
            "A": units.fixed_quantity(ask[1]),
            "T": book.changed_at,
            "E": now,
        }
        return (payload,)

    def render_kline(self, plan: Plan, now: int) -> Sequence[object]:
        """``<symbol>@kline_<interval>``: the candle, after the last one closed if it just did."""
        option = self.option(plan)
        if option is None:
            return ()
        interval = plan.stream.interval or "1m"
        return [
            self._kline(option, interval, candle, now, closed=closed)
            for candle, closed in self.candles(plan, option, now)
        ]

    # ------------------------------------------------------------------
    # Payloads
    # ------------------------------------------------------------------

    @staticmethod
    def _ticker(option: Option, now: int) -> Payload:
        """The ticker: 24-hour statistics only (the greeks are in the mark price)."""
        units = option.units
        change = option.close - option.open
        percent = change / option.open if option.open else 0.0
        average = option.amount / option.volume if option.volume else 0.0
        return {
            "e": "24hrTicker",
            "E": now,
            "s": option.name,
            "p": units.fixed_price(change),
            "P": fixed(percent, _AMOUNT_DECIMALS),
            "w": units.fixed_value(average),
            "c": units.fixed_price(option.close),
            "Q": units.fixed_quantity(option.last_qty),
            "o": units.fixed_price(option.open),
            "h": units.fixed_price(option.high),
            "l": units.fixed_price(option.low),
            "v": units.fixed_contracts(option.volume),
            "q": fixed(option.amount, _AMOUNT_DECIMALS),
            "O": now - DAY_MS,
            "C": now,
            "F": option.first_id,
            "L": option.last_id,
            "n": option.count,
        }

    def _mark(self, option: Option, now: int) -> Payload:
        """The mark price with the book top, IVs and greeks.

        The book top is that of the sampled book (the one bookTicker, depth and
        the REST snapshot show) where it has one; prices agree with the quote's.
        """
        q = self.quote_values(option, now)
        book = self.sim.sampled_book(option, now)
        units = option.units
        bid = book.bids[0] if book.bids else (q.bid, q.bid_lots)
        ask = book.asks[0] if book.asks else (q.ask, q.ask_lots)
        return {
            "s": option.name,
            "mp": units.fixed_value(q.mark),
            "E": now,
            "e": "markPrice",
            "i": fixed(q.index_price, _RATIO_DECIMALS),
            "P": units.fixed_value(q.estimate),
            "bo": units.fixed_price(bid[0]),
            "ao": units.fixed_price(ask[0]),
            "bq": units.fixed_quantity(bid[1]),
            "aq": units.fixed_quantity(ask[1]),
            "b": _ratio(q.bid_iv),  # -1 means no quote on that side
            "a": _ratio(q.ask_iv),
            "hl": units.fixed_price(q.max_buy),
            "ll": units.fixed_price(q.min_sell),
            "vo": fixed(q.iv, _RATIO_DECIMALS),
            "rf": "0.0",
            "d": fixed(q.delta, _RATIO_DECIMALS),
            "t": fixed(q.theta, _RATIO_DECIMALS),
            "g": fixed(q.gamma, _RATIO_DECIMALS),
            "v": fixed(q.vega, _RATIO_DECIMALS),
        }

    def open_interest_texts(self, option: Option, usdt: float) -> Tuple[str, str]:
        """Contracts at the quantity scale (``"1580.87"``), USDT as a double."""
        return option.units.fixed_contracts(option.open_interest), java_double(usdt)

    def trade_payload(self, trade: Trade, now: int) -> Payload:
        units = trade.option.units
        return {
            "e": "trade",
            "E": now,
            "T": trade.time,
            "s": trade.option.name,
            "t": trade.trade_id,
            "p": units.fixed_price(trade.price),
            "q": units.fixed_quantity(trade.lots),  # always positive on fstream
            "X": "MARKET",
            "S": "BUY" if trade.direction > 0 else "SELL",
            "m": trade.direction < 0,  # a seller-initiated trade hit a resting buy order
        }

    def listing_payload(self, option: Option, t: int) -> Payload:
        return {
            "e": "optionSymbol",
            "E": t,
            "s": option.name,
            "ps": f"{option.asset}USDT",
            "qa": "USDT",
            "d": "CALL" if option.is_call else "PUT",
            "sp": option.strike_text,
            "dt": option.expiry_ms,
            "u": 1,
            "ot": t,
            "cs": "TRADING",
        }

    @staticmethod
    def _kline(option: Option, interval: str, candle: Candle, now: int, *, closed: bool) -> Payload:
        units = option.units
        k: Dict[str, object] = {
            "t": candle.start,
            "T": candle.end + 1,  # live: the start plus the interval
            "s": option.name,
            "i": interval,
            "f": candle.first_id,
            "L": candle.last_id,
            "o": units.fixed_price(candle.open),
            "c": units.fixed_price(candle.close),
            "h": units.fixed_price(candle.high),
            "l": units.fixed_price(candle.low),
            "v": units.fixed_contracts(candle.volume),
            "n": candle.count,
            "x": closed,
            "q": fixed(candle.quote_volume, _AMOUNT_DECIMALS),
            "V": units.fixed_contracts(candle.taker_volume),
            "Q": fixed(candle.taker_quote_volume, _AMOUNT_DECIMALS),
        }
        return {"e": "kline", "E": now, "s": option.name, "k": k}


def _ratio(value: Optional[float]) -> str:
    """An implied volatility with 8 decimals, or ``"-1.0"`` where there is none."""
    return "-1.0" if value is None else fixed(value, _RATIO_DECIMALS)
