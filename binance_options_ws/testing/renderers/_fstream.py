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

Choices where Binance's documentation is silent: the ticker by expiration pushes
one message per option, not an array; the book ticker is sent whenever the top
of the book changes (at most every 100 ms).

This module is pure: no sockets, threads or clocks.
"""

from __future__ import annotations

from typing import Dict, Mapping, Optional, Sequence

from ...dialects import StreamKind, StreamName
from ...dialects import fstream as _dialect
from .._model import DAY_MS, num
from .._state import Candle, Option, Trade
from ._base import MalformedSamples, Payload, Plan, Render, Renderer

__all__ = ["DIFF_LOOKBACK", "FstreamRenderer"]

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

    samples = MalformedSamples(
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
            {"e": "indexPrice", "E": now, "s": pair, "p": num(self.sim.index(asset, now), 8)}
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
        """``<pair>@optionMarkPrice``: one array, each mark with the book top and greeks."""
        asset = plan.asset or ""
        if asset not in self.sim.chains:
            return ()
        marks = [self._mark(option, now) for option in self.sim.chain_options(asset)]
        return (marks,) if marks else ()

    def render_depth(self, plan: Plan, now: int) -> Sequence[object]:
        """Partial depth: the top levels, with the update ids since this stream's last push."""
        option = self.option(plan)
        if option is None:
            return ()
        book = self.sim.sampled_book(option, now)
        levels = plan.stream.levels or 10
        u = book.update_id
        pu = u - 1 if plan.last_update_id is None else plan.last_update_id
        plan.last_update_id = u
        payload: Payload = {
            "e": "depthUpdate",
            "E": now,
            "T": book.changed_at,
            "s": option.name,
            "U": pu + 1 if u > pu else u,
            "u": u,
            "pu": pu,
            "b": self.sim.level_texts(option, book.bids[:levels]),
            "a": self.sim.level_texts(option, book.asks[:levels]),
        }
        return (payload,)

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
        units = option.units
        payload: Payload = {
            "e": "depthUpdate",
            "E": now,
            "T": book.changed_at,
            "s": option.name,
            "U": previous + 1,
            "u": book.update_id,
            "pu": previous,
            "b": [[units.price(p), units.quantity(bids[p])] for p in sorted(bids, reverse=True)],
            "a": [[units.price(p), units.quantity(asks[p])] for p in sorted(asks)],
        }
        return (payload,)

    def render_book_ticker(self, plan: Plan, now: int) -> Sequence[object]:
        """The best bid and ask, sent whenever they change (at most every 100 ms)."""
        option = self.option(plan)
        if option is None:
            return ()
        book = self.sim.sampled_book(option, now)
        units = option.units
        bid = book.bids[0] if book.bids else None
        ask = book.asks[0] if book.asks else None
        if (bid, ask) == plan.last_top:
            return ()
        plan.last_top = (bid, ask)
        payload: Payload = {
            "e": "bookTicker",
            "u": book.update_id,
            "s": option.name,
            "b": units.price(bid[0]) if bid else "0",
            "B": units.quantity(bid[1]) if bid else "0",
            "a": units.price(ask[0]) if ask else "0",
            "A": units.quantity(ask[1]) if ask else "0",
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
            "p": units.price(change),
            "P": num(percent, 4),
            "w": num(average, units.decimals + 2),
            "c": units.price(option.close),
            "Q": units.quantity(option.last_qty) if option.last_qty else "0",
            "o": units.price(option.open),
            "h": units.price(option.high),
            "l": units.price(option.low),
            "v": units.contracts(option.volume),
            "q": num(option.amount, 4),
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
        q = self.quote_texts(option, now)
        book = self.sim.sampled_book(option, now)
        units = option.units
        top = {
            "bo": q.bid_price,
            "ao": q.ask_price,
            "bq": q.bid_quantity,
            "aq": q.ask_quantity,
        }
        for side, price_key, quantity_key in ((book.bids, "bo", "bq"), (book.asks, "ao", "aq")):
            if side:
                top[price_key] = units.price(side[0][0])
                top[quantity_key] = units.quantity(side[0][1])
        return {
            "s": option.name,
            "mp": q.mark,
            "E": now,
            "e": "markPrice",
            "i": q.index_price,
            "P": q.estimate,
            "bo": top["bo"],
            "ao": top["ao"],
            "bq": top["bq"],
            "aq": top["aq"],
            "b": q.bid_iv or "-1.0",  # -1 means no quote on that side
            "a": q.ask_iv or "-1.0",
            "hl": q.max_buy,
            "ll": q.min_sell,
            "vo": q.iv,
            "rf": "0",
            "d": q.delta,
            "t": q.theta,
            "g": q.gamma,
            "v": q.vega,
        }

    def trade_payload(self, trade: Trade, now: int) -> Payload:
        units = trade.option.units
        return {
            "e": "trade",
            "E": now,
            "T": trade.time,
            "s": trade.option.name,
            "t": trade.trade_id,
            "p": units.price(trade.price),
            "q": units.quantity(trade.lots),  # always positive on fstream
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
            "T": candle.end,
            "s": option.name,
            "i": interval,
            "f": candle.first_id,
            "L": candle.last_id,
            "o": units.price(candle.open),
            "c": units.price(candle.close),
            "h": units.price(candle.high),
            "l": units.price(candle.low),
            "v": units.contracts(candle.volume),
            "n": candle.count,
            "x": closed,
            "q": num(candle.quote_volume, 4),
            "V": units.contracts(candle.taker_volume),
            "Q": num(candle.taker_quote_volume, 4),
        }
        return {"e": "kline", "E": now, "s": option.name, "k": k}
