"""The nbstream renderer: the synthetic market as the original endpoint writes it.

The nine documented streams (``BTCUSDT@index``, ``BTC@markPrice``,
``<symbol>@ticker``, ``BTC@ticker@<YYMMDD>``, ``<symbol>@kline_<interval>``,
``<symbol>@depth<levels>[@<speed>]``, ``BTC@openInterest@<YYMMDD>``,
``<symbol|asset>@trade``, ``option_pair``), each with the payload of Binance's
documentation: the ticker carries the book top, implied volatilities and greeks;
the mark price stream is an array of ``{"s", "mp"}``; a depth message is the
book model at that instant, its update id the milliseconds since listing; a
trade's quantity is signed by the taker's side.

This module is pure: no sockets, threads or clocks.
"""

from __future__ import annotations

from typing import Dict, List, Mapping, Sequence

from ...dialects import StreamKind
from .._model import num
from .._state import Candle, Option, Trade
from ._base import MalformedSamples, Payload, Plan, Render, Renderer

__all__ = ["NbstreamRenderer"]


class NbstreamRenderer(Renderer):
    """The payloads of the original nbstream endpoint.

    Example:
        >>> import datetime
        >>> from binance_options_ws.dialects import nbstream
        >>> from binance_options_ws.testing.simulation import MarketSimulation
        >>> renderer = NbstreamRenderer(MarketSimulation(seed=7))
        >>> plan = renderer.plan(nbstream.DIALECT.parse_stream("BTCUSDT@index"))
        >>> [payload["e"] for payload in plan.render(plan, renderer.sim.now_ms)]
        ['index']
    """

    samples = MalformedSamples(
        index_stream="BTCUSDT@index",
        index_event='{"e":"index","E":%d,"s":"BTCUSDT","p":"65000.12345678"}',
        unknown_stream="BTCUSDT@futureEvent",
        array_stream="BTC@markPrice",
    )

    def renders(self) -> Mapping[StreamKind, Render]:
        """The render method of each of the nine streams."""
        return {
            StreamKind.INDEX: self.render_index,
            StreamKind.TICKER: self.render_ticker,
            StreamKind.TICKER_BY_EXPIRATION: self.render_tickers,
            StreamKind.MARK_PRICE: self.render_marks,
            StreamKind.KLINE: self.render_kline,
            StreamKind.DEPTH: self.render_depth,
            StreamKind.OPEN_INTEREST: self.render_open_interest,
            StreamKind.TRADE: self.render_trades,
            StreamKind.NEW_SYMBOL_INFO: self.render_listings,
        }

    # ------------------------------------------------------------------
    # One method per stream kind
    # ------------------------------------------------------------------

    def render_index(self, plan: Plan, now: int) -> Sequence[object]:
        """``<PAIR>@index``: the index price of one pair."""
        pair = plan.stream.symbol or ""
        asset = self.sim.pairs.get(pair)
        if asset is None:
            return ()
        price = num(self.sim.index(asset, now), 8)
        return ({"e": "index", "E": now, "s": pair, "p": price},)

    def render_ticker(self, plan: Plan, now: int) -> Sequence[object]:
        """``<symbol>@ticker``: 24-hour statistics with the book top and greeks."""
        option = self.option(plan)
        if option is None:
            return ()
        return (self._ticker(option, now),)

    def render_tickers(self, plan: Plan, now: int) -> Sequence[object]:
        """``<ASSET>@ticker@<YYMMDD>``: one array of the expiry's tickers."""
        chain = self.sim.chain(plan.asset, plan.expiry_ms)
        if not chain:
            return ()
        return ([self._ticker(option, now) for option in chain],)

    def render_marks(self, plan: Plan, now: int) -> Sequence[object]:
        """``<ASSET>@markPrice``: one array of every option's mark price."""
        asset = plan.asset or ""
        if asset not in self.sim.chains:
            return ()
        marks: List[Payload] = []
        for option in self.sim.chain_options(asset):
            mark = num(self.sim.mark(option, now), option.spec.decimals + 2)
            marks.append({"e": "markPrice", "E": now, "s": option.name, "mp": mark})
        return (marks,) if marks else ()

    def render_depth(self, plan: Plan, now: int) -> Sequence[object]:
        """``<symbol>@depth<levels>``: the book model's top levels at this instant."""
        option = self.option(plan)
        if option is None:
            return ()
        bids, asks = self.sim.book_levels(option, now, plan.stream.levels or 10)
        update_id = now - option.listed_ms + 1  # the same book gives the same id on every stream
        payload: Payload = {
            "e": "depth",
            "E": now,
            "T": now,
            "s": option.name,
            "u": update_id,
            "pu": update_id,
            "b": bids,
            "a": asks,
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

    def _ticker(self, option: Option, now: int) -> Payload:
        """The ticker: 24-hour statistics with the book top and greeks."""
        units = option.units
        q = self.quote_texts(option, now)
        change = option.close - option.open
        percent = change / option.open if option.open else 0.0
        return {
            "e": "24hrTicker",
            "E": now,
            "T": now,
            "s": option.name,
            "o": units.price(option.open),
            "h": units.price(option.high),
            "l": units.price(option.low),
            "c": units.price(option.close),
            "V": units.contracts(option.volume),
            "A": num(option.amount, 4),
            "P": num(percent, 4),
            "p": units.price(change),
            "Q": units.quantity(option.last_qty) if option.last_qty else "0",
            "F": str(option.first_id),
            "L": str(option.last_id),
            "n": option.count,
            "bo": q.bid_price,
            "ao": q.ask_price,
            "bq": q.bid_quantity,
            "aq": q.ask_quantity,
            "b": q.bid_iv or "0",
            "a": q.ask_iv or "0",
            "d": q.delta,
            "t": q.theta,
            "g": q.gamma,
            "v": q.vega,
            "vo": q.iv,
            "mp": q.mark,
            "hl": q.max_buy,
            "ll": q.min_sell,
            "eep": q.estimate,
        }

    def trade_payload(self, trade: Trade, now: int) -> Payload:
        units = trade.option.units
        qty = units.quantity(trade.lots)
        return {
            "e": "trade",
            "E": now,
            "s": trade.option.name,
            "t": trade.trade_id,
            "p": units.price(trade.price),
            "q": qty if trade.direction > 0 else "-" + qty,  # signed, as documented
            "b": trade.buy_order_id,
            "a": trade.sell_order_id,
            "T": trade.time,
            "S": "1" if trade.direction > 0 else "-1",
            "X": "MARKET",
        }

    def listing_payload(self, option: Option, t: int) -> Payload:
        return {
            "e": "OPTION_PAIR",
            "E": t,
            "u": f"{option.asset}USDT",
            "qa": "USDT",
            "s": option.name,
            "unit": 1,
            "mq": option.spec.min_qty,
            "d": "CALL" if option.is_call else "PUT",
            "sp": option.strike_text,
            "ed": option.expiry_ms,
        }

    @staticmethod
    def _kline(option: Option, interval: str, candle: Candle, now: int, *, closed: bool) -> Payload:
        units = option.units
        k: Dict[str, object] = {
            "t": candle.start,
            "T": candle.end,
            "s": option.name,
            "i": interval,
            "F": candle.first_id,
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
