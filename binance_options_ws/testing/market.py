"""A seeded, synthetic Binance options market: what the fake exchange publishes.

:class:`SyntheticMarket` simulates an options exchange in memory and renders its
streams exactly as Binance sends them (the ``data`` part of a combined-stream
message: a dict, or a list for array streams), for both endpoints: the nine
documented nbstream streams (``BTCUSDT@index``, ``BTC@markPrice``, ...) and the
eleven of the 2026 fstream endpoint (``!index@arr``, ``btcusdt@optionMarkPrice``,
``<symbol>@bookTicker``, ``<symbol>@depth@100ms``, ...), each with its own
payloads. A name is served in the exact spelling of its endpoint only. The
simulation underneath is one:

* an index per underlying (``BTCUSDT`` near 100,000, ``ETHUSDT`` near 3,500)
  following geometric Brownian motion on a 100 ms grid;
* an expiry grid built from ``start``: three dailies, four Fridays and two
  month-end Fridays, all at 08:00 UTC, with strikes around spot and a call and
  a put per strike (about 180 symbols per underlying);
* Black-Scholes marks and greeks over a volatility smile, a book around the
  mark with bid and ask implied volatilities, random trades at the bid or the
  ask, klines and 24-hour statistics built from those trades, open interest;
* expiries roll by themselves: when the clock passes an expiry its symbols are
  delisted and the next expiries of the grid are listed, announced on
  ``option_pair`` and ``!optionSymbol``. :meth:`SyntheticMarket.list_new_expiry`
  lists one by hand.

The same seed gives the same market on both endpoints: the same index, marks,
greeks, trades, 24-hour statistics, klines and open interest (fstream's mark
price carries the book top, IVs and greeks of nbstream's ticker). The fstream
order book (partial and diff depth, book ticker, and the REST snapshot of
:meth:`SyntheticMarket.depth_snapshot`) is the same book model sampled every
100 ms, 20 levels a side, with an update id that only grows; every diff event
lists each level changed since the previous one, so a snapshot plus the later
diffs always gives the current book.

fstream choices where Binance's documentation is silent: the ticker by
expiration (``btcusdt@optionTicker@261225`` or ``btcusdt@optionTicker261225``)
pushes one message per option every second, not an array; the book ticker is
sent whenever the top of the book changes (at most every 100 ms); a new
diff-depth subscription sends its first event one period after subscribing,
with ``pu`` the book's update id at subscription.

Simplifications: the rate is zero; 24-hour statistics start from a plausible
prior day and accumulate without rolling off; a trade's price is the best bid or
ask at that instant; trades more than 5 s older than a poll are skipped, so a
market polled rarely stays cheap (the fake exchange polls every ~20 ms).

The state and its evolution live in
:class:`~binance_options_ws.testing.simulation.MarketSimulation`, which knows no
wire format; each endpoint's payloads are written by its renderer
(:mod:`binance_options_ws.testing.renderers`), looked up by the dialect that
reads the name. A registered dialect without a renderer gets nothing here.

The market is pure: no sockets, threads or clocks. Time comes in as ``now_ms``
(milliseconds since the epoch, the clock of ``start``) and never runs
backwards; a poll earlier than the latest one seen counts as the latest. Every
random draw comes from ``random.Random`` instances derived from ``seed``, so the
same seed and the same poll times give the same messages. Prices, trades and
books depend only on the seed and the clock, not on which streams are polled.

Example:
    >>> import datetime
    >>> market = SyntheticMarket(seed=7, start=datetime.datetime(2026, 1, 5, 12, 0))
    >>> [(name, data["s"]) for name, data in market.poll(1767614400000, ["BTCUSDT@index"])]
    [('BTCUSDT@index', 'BTCUSDT')]
    >>> [[item["s"] for item in data] for _, data in market.poll(1767614401000, ["!index@arr"])]
    [['BTCUSDT', 'ETHUSDT']]
"""

from __future__ import annotations

import datetime as _dt
from typing import Collection, Dict, List, Optional, Sequence, Tuple, Union

from ..endpoints import ENDPOINTS
from ..exceptions import InvalidStreamError
from . import _model, _rest, renderers
from ._model import expiry_at, from_ms, next_due, num, to_date
from .renderers import Plan, Renderer, renderer_for
from .simulation import MarketSimulation

__all__ = ["STREAM_PERIODS_MS", "SUPPORTED_UNDERLYINGS", "SyntheticMarket"]

#: The base assets a market can list (``underlyings=`` takes a selection of them).
SUPPORTED_UNDERLYINGS = _model.SUPPORTED_UNDERLYINGS
#: The documented update period of each periodic stream kind, in milliseconds at ``speed=1``.
STREAM_PERIODS_MS = renderers.STREAM_PERIODS_MS


class SyntheticMarket:
    """A seeded options market that renders Binance's option streams on demand.

    The fake exchange calls :meth:`poll` every few milliseconds with the clock
    and the subscribed stream names, and publishes what comes back. The market
    is not thread-safe: call it from one thread, or hold one lock around calls.

    Args:
        seed: Seeds every random draw; the same seed and poll times give the same data.
        start: The "now" (UTC; naive means UTC) from which the expiry grid is built.
            Defaults to the current UTC time truncated to the minute. Poll with
            the same clock (milliseconds since the epoch).
        speed: Multiplies every stream's update rate and the trade rate
            (``speed=10``: a 1000 ms stream updates every 100 ms). Market time
            itself, expiries and kline intervals follow ``now_ms`` unscaled.
        underlyings: Base assets to list, from :data:`SUPPORTED_UNDERLYINGS`.

    Raises:
        ValueError: If ``speed`` is not a positive number or an underlying is unknown.

    Example:
        >>> market = SyntheticMarket(seed=1, start=datetime.datetime(2026, 1, 5, 12, 0))
        >>> market.symbols("BTC")[:2]
        ['BTC-260106-99000-C', 'BTC-260106-99000-P']
    """

    def __init__(
        self,
        *,
        seed: int = 0,
        start: Optional[_dt.datetime] = None,
        speed: float = 1.0,
        underlyings: Sequence[str] = ("BTC", "ETH"),
    ) -> None:
        self._sim = MarketSimulation(seed=seed, start=start, speed=speed, underlyings=underlyings)
        # The renderer of each dialect met so far (None: it has no renderer).
        self._renderers: Dict[object, Optional[Renderer]] = {}
        # The plan of each name met so far (None: no dialect with a renderer spells it so).
        self._plans: Dict[str, Optional[Plan]] = {}
        self._poll_index = 0

    # ------------------------------------------------------------------
    # Public interface
    # ------------------------------------------------------------------

    @property
    def seed(self) -> int:
        """The seed the market was built with.

        Example:
            >>> SyntheticMarket(seed=3).seed
            3
        """
        return self._sim.seed

    @property
    def speed(self) -> float:
        """The update-rate multiplier.

        Example:
            >>> SyntheticMarket(speed=10).speed
            10.0
        """
        return self._sim.speed

    @property
    def now_ms(self) -> int:
        """The market's clock: ``start`` until the first poll, then the latest ``now_ms``.

        Example:
            >>> SyntheticMarket(start=datetime.datetime(2026, 1, 5, 12, 0)).now_ms
            1767614400000
        """
        return self._sim.now_ms

    def poll(self, now_ms: int, subscribed: Collection[str]) -> List[Tuple[str, object]]:
        """Advance the market to ``now_ms`` and render every subscribed stream that is due.

        A stream is due on its first poll after being subscribed (a name missing
        from the previous poll counts as newly subscribed), then every period
        divided by ``speed``. Trade and listing messages are sent at the first
        poll after they happen, book tickers when the top of the book changes.
        Names that are not valid, not in the exact spelling of their endpoint
        (nbstream: uppercase symbols, ``markPrice``; fstream: lowercase symbols,
        ``optionMarkPrice``) or not listed give nothing.

        Args:
            now_ms: The clock, in milliseconds since the epoch.
            subscribed: The subscribed stream names, e.g. ``{"BTCUSDT@index", "!index@arr"}``.

        Returns:
            ``(stream_name, payload)`` pairs; the payload is the JSON-ready ``data``
            of a combined-stream message: a dict, or a list for array streams.

        Example:
            >>> market = SyntheticMarket(seed=1, start=datetime.datetime(2026, 1, 5, 12, 0))
            >>> [name for name, _ in market.poll(1767614400000, ["ETH@markPrice", "nonsense"])]
            ['ETH@markPrice']
        """
        sim = self._sim
        now = sim.advance(int(now_ms))
        sim.start_poll()
        previous = self._poll_index
        current = self._poll_index = previous + 1
        plans = self._plans
        out: List[Tuple[str, object]] = []
        for name in subscribed:
            try:
                plan = plans[name]
            except KeyError:
                plan = plans[name] = self._make_plan(name)
            if plan is None or plan.seen == current:  # unknown, or listed twice
                continue
            if plan.seen != previous:
                plan.reset(now, sim.trade_seq)
            plan.seen = current
            if now < plan.due:
                continue
            if plan.period:
                plan.due = next_due(plan.due, plan.period, now)
            for payload in plan.render(plan, now):
                out.append((name, payload))
        return out

    def symbols(self, underlying: Optional[str] = None) -> List[str]:
        """The listed option symbols in chain order: expiry, strike, call before put.

        Args:
            underlying: A base asset such as ``"BTC"``; None lists every underlying.

        Returns:
            The symbols, e.g. ``["BTC-260106-99000-C", "BTC-260106-99000-P", ...]``.

        Raises:
            ValueError: If ``underlying`` is not simulated by this market.

        Example:
            >>> market = SyntheticMarket(seed=1, start=datetime.datetime(2026, 1, 5, 12, 0))
            >>> market.symbols("ETH")[0]
            'ETH-260106-3250-C'
        """
        sim = self._sim
        assets = sorted(sim.chains) if underlying is None else [sim.known(underlying)]
        return [opt.name for asset in assets for opt in sim.chain_options(asset)]

    def expirations(self, underlying: str) -> List[_dt.date]:
        """The listed expiry dates of an underlying, soonest first (each expires 08:00 UTC).

        Args:
            underlying: A base asset such as ``"BTC"``.

        Returns:
            The dates.

        Raises:
            ValueError: If ``underlying`` is not simulated by this market.

        Example:
            >>> market = SyntheticMarket(seed=1, start=datetime.datetime(2026, 1, 5, 12, 0))
            >>> market.expirations("BTC")[0]
            datetime.date(2026, 1, 6)
        """
        chain = self._sim.chains[self._sim.known(underlying)]
        return [from_ms(expiry).date() for expiry in sorted(chain)]

    def index_price(self, pair: str) -> float:
        """The index price of a pair at the market's clock, as the index stream shows it.

        Args:
            pair: The underlying pair, e.g. ``"BTCUSDT"``.

        Returns:
            The price, rounded to 8 decimals like the stream.

        Raises:
            ValueError: If the pair is not simulated by this market.

        Example:
            >>> market = SyntheticMarket(seed=1, start=datetime.datetime(2026, 1, 5, 12, 0))
            >>> 80_000 < market.index_price("BTCUSDT") < 120_000
            True
        """
        sim = self._sim
        asset = sim.pairs.get(str(pair).upper())
        if asset is None:
            raise ValueError(f"unknown index pair {pair!r}; this market has {sorted(sim.pairs)}")
        return float(num(sim.index(asset, sim.now_ms), 8))

    def mark_price(self, symbol: str) -> float:
        """The mark price of a listed option at the market's clock, as the streams show it.

        Args:
            symbol: The option symbol, e.g. ``"BTC-260106-100000-C"``.

        Returns:
            The mark price, rounded like the ``mp`` field.

        Raises:
            ValueError: If the symbol is not listed.

        Example:
            >>> market = SyntheticMarket(seed=1, start=datetime.datetime(2026, 1, 5, 12, 0))
            >>> market.mark_price(market.symbols("BTC")[0]) > 0
            True
        """
        sim = self._sim
        option = sim.listed(symbol)
        return float(num(sim.mark(option, sim.now_ms), option.spec.decimals + 2))

    def list_new_expiry(
        self,
        underlying: str,
        expiration: Union[_dt.date, str],
        now_ms: Optional[int] = None,
    ) -> List[str]:
        """List calls and puts for a new expiry, announced at the next poll.

        The announcement goes out on ``option_pair`` (nbstream) and ``!optionSymbol``
        (fstream).

        Strikes are centred on the index at ``now_ms``. The market also lists
        expiries by itself when an expiry passes.

        Args:
            underlying: A base asset such as ``"BTC"``.
            expiration: The expiry date (``datetime.date`` or ``"YYMMDD"``); it expires
                at 08:00 UTC that day.
            now_ms: The listing time (the events' ``E``); defaults to the market's clock.

        Returns:
            The new symbols in chain order; empty if that expiry was already listed.

        Raises:
            ValueError: If the underlying is unknown or the expiry is not in the future.

        Example:
            >>> market = SyntheticMarket(seed=1, start=datetime.datetime(2026, 1, 5, 12, 0))
            >>> market.list_new_expiry("BTC", datetime.date(2026, 6, 26))[0]
            'BTC-260626-40000-C'
        """
        sim = self._sim
        asset = sim.known(underlying)
        date = to_date(expiration)
        t = sim.now_ms if now_ms is None else int(now_ms)
        expiry = expiry_at(date)
        if expiry <= t:
            raise ValueError(f"expiration {date} 08:00 UTC is not after the listing time")
        return [opt.name for opt in sim.list_expiry(asset, expiry, t)]

    def depth_snapshot(
        self, symbol: str, limit: int = 100, now_ms: Optional[int] = None
    ) -> Dict[str, object]:
        """The fstream order book of an option, as ``GET /eapi/v1/depth`` returns it.

        The book is the one the ``<symbol>@depth@<speed>`` diff stream describes:
        apply, to this snapshot, the diff events with ``u > lastUpdateId`` (the
        first has ``U <= lastUpdateId + 1 <= u``) and you get the book of any
        later snapshot. The book has at most 20 levels a side.

        Args:
            symbol: The option symbol, e.g. ``"BTC-260106-100000-C"`` (any case).
            limit: The most levels per side to return.
            now_ms: The clock (it advances the market like :meth:`poll`); None
                means the market's clock.

        Returns:
            ``{"bids": [["price", "qty"], ...], "asks": [...], "T": ms, "lastUpdateId": id}``,
            best prices first; ``T`` is when the book last changed.

        Raises:
            ValueError: If the symbol is not listed.

        Example:
            >>> market = SyntheticMarket(seed=1, start=datetime.datetime(2026, 1, 5, 12, 0))
            >>> sorted(market.depth_snapshot(market.symbols("BTC")[0], limit=10))
            ['T', 'asks', 'bids', 'lastUpdateId']
        """
        sim = self._sim
        option = sim.listed(symbol)
        if now_ms is not None:
            sim.advance(int(now_ms))
        book = sim.sampled_book(option, sim.now_ms)
        return _rest.depth_body(  # fixed decimals (priceScale), as the diff stream's
            sim.level_texts(option, book.bids[:limit], fixed=True),
            sim.level_texts(option, book.asks[:limit], fixed=True),
            book.changed_at,
            book.update_id,
        )

    def exchange_info(self, now_ms: Optional[int] = None) -> Dict[str, object]:
        """Every listed option, as ``GET /eapi/v1/exchangeInfo`` returns it.

        The symbols are those the streams publish (:meth:`symbols`), with each
        underlying's tick, lot size and fstream scales, so that
        :class:`~binance_options_ws.RestClient` pointed at the fake exchange's
        ``rest_url`` finds the same chain the streams deliver.

        Args:
            now_ms: The clock (it advances the market like :meth:`poll`); None
                means the market's clock.

        Returns:
            ``{"timezone": "UTC", "serverTime": ms, "optionContracts": [...],
            "optionAssets": [...], "optionSymbols": [...], "rateLimits": [...]}``.

        Example:
            >>> market = SyntheticMarket(seed=1, start=datetime.datetime(2026, 1, 5, 12, 0))
            >>> market.exchange_info()["optionSymbols"][0]["symbol"]
            'BTC-260106-99000-C'
        """
        sim = self._sim
        if now_ms is not None:
            sim.advance(int(now_ms))
        assets = sorted(sim.chains)
        entries: List[Dict[str, object]] = []
        for asset in assets:
            for option in sim.chain_options(asset):
                units = option.units
                entries.append(
                    _rest.option_symbol(
                        len(entries) + 1,
                        option.name,
                        asset,
                        option.expiry_ms,
                        option.strike_text,
                        option.is_call,
                        num(units.tick, units.decimals),
                        num(units.lot, units.qty_decimals),
                        units.price_scale,
                        units.quantity_scale,
                    )
                )
        return _rest.exchange_info_body(sim.now_ms, assets, entries)

    def skip_depth_updates(self, symbol: str, count: int = 1) -> None:
        """Lose the next ``count`` diff-depth events of ``symbol``.

        The events are computed but not returned by :meth:`poll`, so the next one
        sent has a ``pu`` that is not the ``u`` of the last one sent: a gap. The
        count is shared by the symbol's diff streams (``@depth@100ms`` and
        ``@depth@500ms``) and waits for one if none is subscribed yet.

        Args:
            symbol: The option symbol (any case).
            count: How many events to lose.

        Raises:
            ValueError: If the symbol is not listed or ``count`` is not positive.

        Example:
            >>> market = SyntheticMarket(seed=1, start=datetime.datetime(2026, 1, 5, 12, 0))
            >>> market.skip_depth_updates(market.symbols("BTC")[0], count=2)
        """
        option = self._sim.listed(symbol)
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            raise ValueError(f"count must be a positive integer, got {count!r}")
        self._sim.skip_book_updates(option, count)

    # ------------------------------------------------------------------
    # Plans: which dialect spells a name, and its renderer
    # ------------------------------------------------------------------

    def _make_plan(self, name: object) -> Optional[Plan]:
        """A plan for a name in the exact spelling of a dialect with a renderer, else None.

        The registered dialects are asked in order. Their ``parse_stream`` accept
        any case, so a name belongs to the dialect whose canonical form it is:
        Binance matches names exactly, and ``btc-...@ticker`` or
        ``BTC-...@optionTicker`` gets nothing.
        """
        if not isinstance(name, str):
            return None
        for dialect in list(ENDPOINTS.values()):
            renderer = self._renderer(dialect)
            if renderer is None:
                continue
            try:
                parsed = dialect.parse_stream(name)
            except InvalidStreamError:
                continue
            if parsed.name == name:
                return renderer.plan(parsed)
        return None

    def _renderer(self, dialect: object) -> Optional[Renderer]:
        """This market's renderer for ``dialect``, made on first use (None: it has none)."""
        try:
            return self._renderers[dialect]
        except KeyError:
            pass
        renderer_class = renderer_for(dialect)
        renderer = None if renderer_class is None else renderer_class(self._sim)
        self._renderers[dialect] = renderer
        return renderer
