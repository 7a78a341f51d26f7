"""The nbstream renderer: the synthetic market as the original endpoint writes it.

The nine documented streams (``BTCUSDT@index``, ``BTC@markPrice``,
``<symbol>@ticker``, ``BTC@ticker@<YYMMDD>``, ``<symbol>@kline_<interval>``,
``<symbol>@depth<levels>[@<speed>]``, ``BTC@openInterest@<YYMMDD>``,
``<symbol|asset>@trade``, ``option_pair``), each with the payload of Binance's
documentation: the ticker carries the book top, implied volatilities and greeks;
the mark price stream is an array of ``{"s", "mp"}``; a depth message is the
book model at that instant, its update id the milliseconds since listing.

Where live messages differ from the document's examples, it writes them as the
live exchange does: a trade's quantity is positive (the taker's side is in
``S`` only) and it has no ``X``; trade, order and kline trade ids are JSON
strings; a kline ends at ``t`` plus its interval; open interest is written as
Java prints a double (``"7.0"``, ``"1.6711317692476314E7"``); a ticker has an
``r`` key; a depth message's ``T`` is a few milliseconds before its ``E``, one
in about :data:`DEPTH_WITHOUT_E` has no ``E`` at all, and illiquid options (far
from the money, seeded) show only one to four levels a side. Every such choice
is drawn from the seed, so it is reproducible.

This module is pure: no sockets, threads or clocks.
"""

from __future__ import annotations

import math
import random
from typing import ClassVar, Dict, List, Mapping, Optional, Sequence, Tuple

from ...dialects import StreamKind
from .._model import mix, num
from .._state import Candle, Option, Trade
from ._base import MalformedSamples, Payload, Plan, Render, Renderer

__all__ = ["DEPTH_WITHOUT_E", "NbstreamRenderer"]

#: About one depth message in this many has no ``E`` key, as seen live.
DEPTH_WITHOUT_E = 20
_THIN_SALT = 0x7448  # seeds whether an option's book is thin, and how thin
_FRAME_SALT = 0x4652  # seeds a depth message's T lag and missing E
_MAX_T_LAG_MS = 9  # a depth message's T is 1 to this many ms before its E
_MAX_THIN_LEVELS = 4


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

    samples: ClassVar[MalformedSamples] = MalformedSamples(
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
        thin = self.thin_levels(option, now)
        if thin is not None:
            bids, asks = bids[: thin[0]], asks[: thin[1]]
        update_id = now - option.listed_ms + 1  # the same book gives the same id on every stream
        rng = random.Random(mix(self.sim.seed, option.key, now, _FRAME_SALT))
        lag = rng.randint(1, _MAX_T_LAG_MS)
        payload: Payload = {
            "e": "depth",
            "E": now,
            "T": now - lag,
            "s": option.name,
            "u": update_id,
            "pu": update_id,
            "b": bids,
            "a": asks,
        }
        if rng.randrange(DEPTH_WITHOUT_E) == 0:
            del payload["E"]  # seen live
        return (payload,)

    def thin_levels(self, option: Option, now: int) -> Optional[Tuple[int, int]]:
        """The bid and ask levels an illiquid option's depth shows (1 to 4), or None.

        Whether an option is illiquid is drawn once per option from the seed,
        likelier the farther from the money it is now (never at the money); so
        is how many levels each side of its book shows.
        """
        rng = random.Random(mix(self.sim.seed, option.key, _THIN_SALT))
        draw = rng.random()
        bids, asks = rng.randint(1, _MAX_THIN_LEVELS), rng.randint(1, _MAX_THIN_LEVELS)
        quote = self.sim.quote(option, now)
        x = math.log(option.strike / quote.spot) / (quote.iv * math.sqrt(quote.years))
        closeness = math.exp(-0.5 * x * x)  # 1 at the money, near 0 far from it
        return (bids, asks) if draw > closeness else None

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
            "r": "0",
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
        return {
            "e": "trade",
            "E": now,
            "s": trade.option.name,
            "t": str(trade.trade_id),
            "p": units.price(trade.price),
            "q": units.quantity(trade.lots),  # positive live (the document's example is signed)
            "b": str(trade.buy_order_id),
            "a": str(trade.sell_order_id),
            "T": trade.time,
            "S": "1" if trade.direction > 0 else "-1",  # the taker's side, only here
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
            "T": candle.end + 1,  # live: the start plus the interval
            "s": option.name,
            "i": interval,
            "F": str(candle.first_id),
            "L": str(candle.last_id),
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
