"""What every renderer has: subscribed-stream plans, the shared bookkeeping, the interface.

A *renderer* turns the state of a
:class:`~binance_options_ws.testing.simulation.MarketSimulation` into one
endpoint dialect's wire payloads, one render method per stream kind. This module
holds what does not depend on the dialect: the :class:`Plan` of a subscribed
stream (what it is and when it is next due), the bookkeeping several kinds
share (which trades a stream has not delivered yet, the candles of a kline
stream, the quote of an option as texts) and the :class:`Renderer` interface.
The wire keys live in the dialect modules,
``NbstreamRenderer`` and ``FstreamRenderer``.

This module is pure: no sockets, threads or clocks.
"""

from __future__ import annotations

import abc
import math
from typing import Callable, ClassVar, Dict, List, Mapping, NamedTuple, Optional, Sequence, Tuple

from ...dialects import StreamKind, StreamName
from .._model import MINUTE_MS, expiry_at, java_double, kline_window, num
from .._state import Candle, Option, Trade, feed_candle, new_candle
from ..simulation import MarketSimulation

__all__ = [
    "STREAM_PERIODS_MS",
    "MalformedSamples",
    "Payload",
    "Plan",
    "QuoteTexts",
    "QuoteValues",
    "Render",
    "Renderer",
]

#: Documented update speed of each periodic stream, in milliseconds at ``speed=1``.
#: Depth streams use the speed in their name (100, 500 or 1000 ms); trade and
#: listing messages are events, sent when they happen; the fstream book ticker is
#: sent when the top of the book changes.
STREAM_PERIODS_MS: Dict[StreamKind, int] = {
    StreamKind.INDEX: 1000,
    StreamKind.TICKER: 1000,
    StreamKind.TICKER_BY_EXPIRATION: 1000,
    StreamKind.MARK_PRICE: 1000,
    StreamKind.KLINE: 1000,
    StreamKind.OPEN_INTEREST: 60_000,
}

_DEPTH_SPEEDS_MS = {"100ms": 100, "500ms": 500, "1000ms": 1000}
_DEFAULT_DEPTH_SPEED = "500ms"
_ESTIMATE_WINDOW_MS = 30 * MINUTE_MS  # the estimated exercise price shows half an hour ahead

#: One JSON object of a payload.
Payload = Dict[str, object]
#: A render method: the payloads a due stream sends now (each one message's ``data``).
Render = Callable[["Plan", int], Sequence[object]]


class Plan:
    """A subscribed stream: what it is, how to render it, and when it is due.

    Attributes:
        name: The exact stream name.
        stream: The name taken apart by its dialect.
        render: The renderer's method for its kind.
        period: Milliseconds between two messages (already divided by the
            market's speed); 0 for streams sent when something happens.
        asset: The base asset of an underlying's stream, or None.
        expiry_ms: The expiry instant of a stream of one expiry, else 0.
        due: When it is next due.
        seen: The poll that last saw it subscribed.
        cursor: The trade sequence number already delivered (trade streams).
        candle: The candle being built (kline streams).
        last_update_id: The book update id last sent (book streams that chain ids).
        last_top: The book top last sent (streams sent when the top changes).
    """

    __slots__ = (
        "asset",
        "candle",
        "cursor",
        "due",
        "expiry_ms",
        "last_top",
        "last_update_id",
        "name",
        "period",
        "render",
        "seen",
        "stream",
    )

    cursor: int
    due: float
    expiry_ms: int
    name: str
    period: float
    render: Render
    seen: int
    stream: StreamName

    def __init__(self, name: str, stream: StreamName, render: Render, period: float) -> None:
        self.name = name
        self.stream = stream
        self.render = render
        self.period = period
        self.asset: Optional[str] = None
        self.expiry_ms = 0
        self.due = -math.inf
        self.seen = -1
        self.cursor = 0
        self.candle: Optional[Candle] = None
        self.last_update_id: Optional[int] = None
        self.last_top: Optional[Tuple[object, ...]] = None

    def reset(self, now: int, trade_seq: int) -> None:
        """Start a newly subscribed stream: due now, no old trades, a fresh candle and book."""
        self.due = now if self.period else -math.inf
        self.cursor = trade_seq
        self.candle = None
        self.last_update_id = None
        self.last_top = None


class QuoteValues(NamedTuple):
    """An option's book top, implied volatilities, greeks and price limits, as numbers.

    Prices in ticks (``bid`` is 0 when there is no bid), sizes in lots
    (``bid_lots`` is 0 when there is no bid), the mark, the index and the
    estimated exercise price (0 until half an hour before expiry) in USDT.
    """

    bid: int
    ask: int
    bid_lots: int
    ask_lots: int
    bid_iv: Optional[float]
    ask_iv: Optional[float]
    delta: float
    theta: float
    gamma: float
    vega: float
    iv: float
    mark: float
    max_buy: int
    min_sell: int
    estimate: float
    index_price: float


class QuoteTexts(NamedTuple):
    """An option's book top, implied volatilities, greeks and price limits, as texts.

    The book top is the book model's; ``bid_iv`` and ``ask_iv`` are empty where
    no volatility fits, ``bid_quantity`` is ``"0"`` when there is no bid, and
    ``estimate`` (the estimated exercise price) is ``"0"`` until half an hour
    before expiry.
    """

    bid_price: str
    ask_price: str
    bid_quantity: str
    ask_quantity: str
    bid_iv: str
    ask_iv: str
    delta: str
    theta: str
    gamma: str
    vega: str
    iv: str
    mark: str
    max_buy: str
    min_sell: str
    estimate: str
    index_price: str


class MalformedSamples(NamedTuple):
    """The frames a dialect's broken messages are cut from (``FakeExchange.send_malformed``).

    Attributes:
        index_stream: The stream of :attr:`index_event`.
        index_event: An index payload as JSON text, with ``%d`` for its event time,
            cut in half for ``"truncated_json"``.
        unknown_stream: The stream an ``"unknown_event"`` payload comes on.
        array_stream: The array stream an ``"empty_array"`` payload comes on.
    """

    index_stream: str
    index_event: str
    unknown_stream: str
    array_stream: str


class Renderer(abc.ABC):
    """One dialect's payloads, rendered from a market simulation.

    A subclass says which kinds it renders (:meth:`renders`) and writes their
    payloads; this class makes the :class:`Plan` of a name and keeps the
    bookkeeping the kinds share. Register a subclass for a dialect with
    :func:`binance_options_ws.testing.renderers.register_renderer`.

    Args:
        sim: The simulation to read.

    Example:
        >>> from binance_options_ws.testing.renderers import NbstreamRenderer
        >>> renderer = NbstreamRenderer(MarketSimulation(seed=1))
        >>> StreamKind.BOOK_TICKER in renderer.renders()
        False
    """

    #: The simulation it reads; the per-stream state lives in each :class:`Plan`.
    sim: MarketSimulation
    #: What ``FakeExchange.send_malformed`` cuts its frames from; each dialect
    #: writes its own, these neutral ones serve a dialect without a renderer.
    samples: ClassVar[MalformedSamples] = MalformedSamples(
        "futureStream",
        '{"e":"futureEvent","E":%d,"s":"BTCUSDT","x":"1"}',
        "futureStream",
        "futureStream",
    )

    def __init__(self, sim: MarketSimulation) -> None:
        self.sim = sim
        self._renders = dict(self.renders())

    @abc.abstractmethod
    def renders(self) -> Mapping[StreamKind, Render]:
        """The render method of each stream kind this dialect has."""

    def asset(self, stream: StreamName) -> Optional[str]:
        """The base asset of a stream naming an underlying (the dialect's spelling of it)."""
        return stream.underlying

    def plan(self, stream: StreamName) -> Optional[Plan]:
        """The plan of a parsed name, or None if this renderer has no such stream.

        Example:
            >>> from binance_options_ws.dialects import nbstream
            >>> from binance_options_ws.testing.renderers import NbstreamRenderer
            >>> plan = NbstreamRenderer(MarketSimulation()).plan(
            ...     nbstream.DIALECT.parse_stream("BTC@markPrice"))
            >>> plan.asset, plan.period
            ('BTC', 1000.0)
        """
        render = self._renders.get(stream.kind)
        if render is None:
            return None
        if stream.kind in (StreamKind.DEPTH, StreamKind.DIFF_DEPTH):
            period = float(_DEPTH_SPEEDS_MS[stream.speed or _DEFAULT_DEPTH_SPEED])
        else:
            period = float(STREAM_PERIODS_MS.get(stream.kind, 0))
        plan = Plan(stream.name, stream, render, period / self.sim.speed)
        if stream.underlying is not None:
            plan.asset = self.asset(stream)
        if stream.expiration is not None:
            plan.expiry_ms = expiry_at(stream.expiration)
        return plan

    # ------------------------------------------------------------------
    # Stream kinds both built-in dialects write alike
    # ------------------------------------------------------------------

    def render_open_interest(self, plan: Plan, now: int) -> Sequence[object]:
        """Open interest of one underlying and expiry: one array, in contracts and in USDT."""
        asset = plan.asset or ""
        chain = self.sim.chain(asset, plan.expiry_ms)
        if not chain:
            return ()
        spot = self.sim.index(asset, now)
        items: List[Payload] = []
        for option in chain:
            contracts, usdt = self.open_interest_texts(option, option.open_interest * spot)
            items.append(
                {"e": "openInterest", "E": now, "s": option.name, "o": contracts, "h": usdt}
            )
        return (items,)

    def open_interest_texts(self, option: Option, usdt: float) -> Tuple[str, str]:
        """Open interest in contracts and in USDT as texts: the legacy endpoint's doubles.

        The legacy endpoint writes both as Java prints a double: ``"7.0"``,
        ``"0.0"``, and ``"1.6711317692476314E7"`` from ten million up.
        """
        return java_double(option.open_interest), java_double(usdt)

    def render_trades(self, plan: Plan, now: int) -> Sequence[object]:
        """Trades of an option or an underlying: each new trade (see :meth:`trade_payload`)."""
        return [self.trade_payload(trade, now) for trade in self.new_trades(plan)]

    def render_listings(self, plan: Plan, now: int) -> Sequence[object]:
        """New listings: each option listed since the previous poll (:meth:`listing_payload`)."""
        return [self.listing_payload(option, t) for option, t in self.sim.announcing]

    def trade_payload(self, trade: Trade, now: int) -> Payload:
        """One trade in this dialect's keys."""
        raise NotImplementedError

    def listing_payload(self, option: Option, t: int) -> Payload:
        """One new listing in this dialect's keys."""
        raise NotImplementedError

    # ------------------------------------------------------------------
    # Shared bookkeeping
    # ------------------------------------------------------------------

    def option(self, plan: Plan) -> Optional[Option]:
        """The listed option a stream of one option names, or None."""
        return self.sim.options.get(plan.stream.symbol or "")

    def new_trades(self, plan: Plan) -> List[Trade]:
        """The stream's trades since its last message, oldest first (they count as sent)."""
        sim = self.sim
        if plan.cursor == sim.trade_seq:
            return []
        fresh = sim.trades_after(plan.cursor)
        plan.cursor = sim.trade_seq
        symbol, asset = plan.stream.symbol, plan.asset
        return [
            trade for trade in fresh if trade.option.name == symbol or trade.option.asset == asset
        ]

    @staticmethod
    def candles(plan: Plan, option: Option, now: int) -> List[Tuple[Candle, bool]]:
        """The candles a kline stream sends now, each with whether it is closed.

        A candle whose interval ended since the last message is sent closed, with
        its own trades only; then the current one, open.
        """
        start, end = kline_window(plan.stream.interval or "1m", now)
        out: List[Tuple[Candle, bool]] = []
        candle = plan.candle
        if candle is not None and candle.start != start:
            feed_candle(candle, option, candle.end)
            out.append((candle, True))
            candle = None
        if candle is None:
            candle = new_candle(option, start, end)
        feed_candle(candle, option, now)
        plan.candle = candle
        out.append((candle, False))
        return out

    def quote_values(self, option: Option, now: int) -> QuoteValues:
        """The option's book top, implied volatilities, greeks and limits at ``now``."""
        sim = self.sim
        quote = sim.quote(option, now)
        bid_lots, ask_lots = sim.top_sizes(option, now)
        bid_iv, ask_iv = sim.book_ivs(option, quote)
        band = max(0.05 * quote.mark, 0.005 * quote.spot) / option.units.tick
        to_expiry = option.expiry_ms - now
        g = quote.greeks
        return QuoteValues(
            bid=quote.bid,
            ask=quote.ask,
            bid_lots=bid_lots if quote.bid else 0,
            ask_lots=ask_lots,
            bid_iv=bid_iv,
            ask_iv=ask_iv,
            delta=g.delta,
            theta=g.theta,
            gamma=g.gamma,
            vega=g.vega,
            iv=quote.iv,
            mark=quote.mark,
            max_buy=quote.ask + math.ceil(band),
            min_sell=max(1, min(quote.bid, quote.bid - math.floor(band))) if quote.bid else 1,
            estimate=quote.spot if 0 < to_expiry <= _ESTIMATE_WINDOW_MS else 0.0,
            index_price=quote.spot,
        )

    def quote_texts(self, option: Option, now: int) -> QuoteTexts:
        """The option's book top, implied volatilities, greeks and limits at ``now``, as texts."""
        units = option.units
        q = self.quote_values(option, now)
        return QuoteTexts(
            bid_price=units.price(q.bid),
            ask_price=units.price(q.ask),
            bid_quantity=units.quantity(q.bid_lots) if q.bid else "0",
            ask_quantity=units.quantity(q.ask_lots),
            bid_iv="" if q.bid_iv is None else num(q.bid_iv, 8),
            ask_iv="" if q.ask_iv is None else num(q.ask_iv, 8),
            delta=num(q.delta, 8),
            theta=num(q.theta, 8),
            gamma=num(q.gamma, 8),
            vega=num(q.vega, 8),
            iv=num(q.iv, 8),
            mark=num(q.mark, units.decimals + 2),
            max_buy=units.price(q.max_buy),
            min_sell=units.price(q.min_sell),
            estimate=num(q.estimate, 8) if q.estimate else "0",
            index_price=num(q.index_price, 8),
        )
