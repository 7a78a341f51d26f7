"""The synthetic options market itself: its state and how it evolves, with no wire format.

:class:`MarketSimulation` holds what :class:`~binance_options_ws.testing.SyntheticMarket`
describes (an index per underlying following geometric Brownian motion on a
100 ms grid, the expiry grid with its calls and puts, Black-Scholes marks and
greeks over a volatility smile, a book model around the mark, random trades,
klines and 24-hour statistics built from them, open interest, and expiries that
roll by themselves) and the order book sampled every 100 ms, with update ids
that only grow and a log of what changed. It knows nothing of stream names or
wire keys: the renderers of :mod:`binance_options_ws.testing.renderers` read its
state and write each endpoint's payloads.

The simulation is pure: no sockets, threads or clocks. Time comes in as
milliseconds since the epoch and never runs backwards. Every random draw comes
from ``random.Random`` instances derived from the seed, so the same seed and the
same clock values give the same market; prices, trades and books depend only on
the seed and the clock, not on what is read.

Example:
    >>> import datetime
    >>> sim = MarketSimulation(seed=1, start=datetime.datetime(2026, 1, 5, 12, 0))
    >>> [option.name for option in sim.chain_options("BTC")[:2]]
    ['BTC-260106-99000-C', 'BTC-260106-99000-P']
"""

from __future__ import annotations

import bisect
import collections
import datetime as _dt
import math
import random
from typing import Deque, Dict, List, Optional, Sequence, Tuple

from ._model import (
    ASSETS,
    DAY_MS,
    MIN_YEARS,
    SUPPORTED_UNDERLYINGS,
    IndexWalk,
    Ladder,
    Levels,
    Units,
    expiry_grid,
    half_spread,
    mix,
    smile,
    strike_ladder,
    to_ms,
)
from ._state import Book, Option, Quote, Trade
from .pricing import YEAR_MS, bs_price, greeks, implied_vol

__all__ = ["MarketSimulation"]

_TRADES_PER_SECOND = 3.0  # per underlying, at speed 1: an illiquid market
_TRADE_CATCH_UP_MS = 5_000  # after a longer silence between reads, older trades are skipped
_RECENT_TRADES = 20_000  # trades kept for the trade streams
_ORDER_ID_BASE = 4_611_686_018_427_387_904  # 2**62, like the documented order ids
_BOOK_STEP_MS = 100  # the sampled order book changes at most this often
_BOOK_LEVELS = 20  # levels a side of the sampled order book
_UPDATE_ID_BASE = 100_000_000  # book update ids look like the exchange's (nine digits)
_UPDATE_ID_STRIDE = 1000  # update ids a 100 ms step of the sampled book adds, on average
_ID_HASH = 0x9E3779B97F4A7C15  # spreads a seed mix over its bits


class MarketSimulation:
    """A seeded options market in memory: listings, index, prices, trades and books.

    Not thread-safe: call it from one thread, or hold one lock around calls.

    Args:
        seed: Seeds every random draw.
        start: The "now" (UTC; naive means UTC) from which the expiry grid is built.
            Defaults to the current UTC time truncated to the minute.
        speed: Multiplies the trade rate (market time itself is not scaled).
        underlyings: Base assets to list, from
            :data:`~binance_options_ws.testing.market.SUPPORTED_UNDERLYINGS`.

    Raises:
        ValueError: If ``speed`` is not a positive number or an underlying is unknown.

    Attributes:
        seed: As given, an ``int``.
        speed: As given, a ``float``.
        now_ms: The clock: ``start`` until :meth:`advance` moves it.
        pairs: The index pairs and their base assets, e.g. ``{"BTCUSDT": "BTC"}``.
        chains: The listed options of each base asset, by expiry instant.
        options: The listed options by symbol.
        trade_seq: How many trades have happened (a trade's ``seq`` counts from 1).
        announcing: The listings announced at this poll, with their listing times.
    """

    now_ms: int
    pairs: Dict[str, str]
    seed: int
    speed: float
    trade_seq: int

    def __init__(
        self,
        *,
        seed: int = 0,
        start: Optional[_dt.datetime] = None,
        speed: float = 1.0,
        underlyings: Sequence[str] = ("BTC", "ETH"),
    ) -> None:
        if isinstance(speed, bool) or not isinstance(speed, (int, float)):
            raise ValueError(f"speed must be a positive number, got {speed!r}")
        if not (math.isfinite(speed) and speed > 0):
            raise ValueError(f"speed must be a positive number, got {speed!r}")
        if start is None:
            start = _dt.datetime.now(_dt.timezone.utc).replace(second=0, microsecond=0)
        self.seed = int(seed)
        self.speed = float(speed)
        self._start_ms = to_ms(start)
        self.now_ms = self._start_ms
        if isinstance(underlyings, str):
            underlyings = (underlyings,)
        self._assets = {asset: ASSETS[asset] for asset in map(self._asset_name, underlyings)}
        if not self._assets:
            raise ValueError("underlyings must name at least one base asset, e.g. ('BTC',)")
        self.pairs = {f"{asset}USDT": asset for asset in self._assets}
        self._units = {asset: Units(spec) for asset, spec in self._assets.items()}
        self._walks: Dict[str, IndexWalk] = {}
        self._trade_rngs: Dict[str, random.Random] = {}
        self._next_trade_at: Dict[str, float] = {}
        self._order_ids: Dict[str, int] = {}
        spot_rng = self._rng("spot")
        for asset, spec in self._assets.items():
            spot = spec.spot * math.exp(spot_rng.gauss(0.0, 0.02))
            self._walks[asset] = IndexWalk(
                spot, spec.vol, self._rng(f"index:{asset}"), self._start_ms
            )
            rng = self._trade_rngs[asset] = self._rng(f"trades:{asset}")
            self._next_trade_at[asset] = self._start_ms + rng.expovariate(self._trade_rate)
            self._order_ids[asset] = _ORDER_ID_BASE + rng.randrange(10**9)
        self._listing_rng = self._rng("listing")
        self.chains: Dict[str, Dict[int, List[Option]]] = {asset: {} for asset in self._assets}
        self.options: Dict[str, Option] = {}
        self._weights: Dict[str, Tuple[List[Option], List[float]]] = {}
        self._next_expiry = math.inf
        self._recent: Deque[Trade] = collections.deque(maxlen=_RECENT_TRADES)
        self.trade_seq = 0
        self._pending: List[Tuple[Option, int]] = []  # listings for the next poll
        self.announcing: List[Tuple[Option, int]] = []  # listings of the current poll
        self._quote_time = -1
        self._quotes: Dict[str, Quote] = {}
        self._books: Dict[str, Tuple[Levels, Levels]] = {}
        self._sampled: Dict[str, Book] = {}  # sampled order books, made when first needed
        self._skips: Dict[str, int] = {}  # book updates still to lose, per symbol
        for asset in self._assets:
            for expiry in expiry_grid(self._start_ms):
                self._list(asset, expiry, self._start_ms, announce=False)

    # ------------------------------------------------------------------
    # Time and listings
    # ------------------------------------------------------------------

    def advance(self, now_ms: int) -> int:
        """Run trades and expiries up to ``now_ms``; an earlier time changes nothing.

        Returns:
            The clock afterwards.
        """
        if now_ms > self.now_ms:
            self._advance(now_ms)
        return self.now_ms

    def start_poll(self) -> None:
        """Move the listings made since the previous poll to :attr:`announcing`."""
        self.announcing, self._pending = self._pending, []

    def known(self, underlying: str) -> str:
        """The base asset ``underlying`` names (any case).

        Raises:
            ValueError: If the market does not simulate it.
        """
        asset = str(underlying).upper()
        if asset not in self.chains:
            raise ValueError(
                f"underlying {underlying!r} is not in this market; it has {sorted(self.chains)}"
            )
        return asset

    def listed(self, symbol: str) -> Option:
        """The listed option ``symbol`` names (any case).

        Raises:
            ValueError: If it is not listed.
        """
        option = self.options.get(str(symbol).upper())
        if option is None:
            raise ValueError(f"symbol {symbol!r} is not listed")
        return option

    def chain_options(self, asset: str) -> List[Option]:
        """The listed options of a base asset in chain order: expiry, strike, call first."""
        chain = self.chains[asset]
        return [opt for expiry in sorted(chain) for opt in chain[expiry]]

    def chain(self, asset: Optional[str], expiry_ms: int) -> List[Option]:
        """The options of one base asset and expiry instant (empty when none is listed)."""
        return self.chains.get(asset or "", {}).get(expiry_ms, [])

    def list_expiry(self, asset: str, expiry_ms: int, t: int) -> List[Option]:
        """List an expiry at ``t``, announced at the next poll (empty if already listed)."""
        return self._list(asset, expiry_ms, t, announce=True)

    def index(self, asset: str, t: float) -> float:
        """The index of a base asset at ``t`` (the latest value for an earlier ``t``)."""
        return self._walks[asset].at(t)

    def trades_after(self, seq: int) -> List[Trade]:
        """The trades remembered after the one numbered ``seq``, oldest first."""
        fresh: List[Trade] = []
        for trade in reversed(self._recent):
            if trade.seq <= seq:
                break
            fresh.append(trade)
        fresh.reverse()
        return fresh

    def skip_book_updates(self, option: Option, count: int) -> None:
        """Lose the next ``count`` updates of ``option``'s book (see :meth:`take_skip`)."""
        self._skips[option.name] = self._skips.get(option.name, 0) + count

    def take_skip(self, option: Option) -> bool:
        """Whether the next update of ``option``'s book is to be lost (counting it as lost)."""
        skips = self._skips.get(option.name)
        if not skips:
            return False
        self._skips[option.name] = skips - 1
        return True

    # ------------------------------------------------------------------
    # Listing and expiry
    # ------------------------------------------------------------------

    @staticmethod
    def _asset_name(name: str) -> str:
        """The base asset ``name`` names, if it is one the market can simulate."""
        asset = str(name).upper()
        if asset not in ASSETS:
            raise ValueError(
                f"unknown underlying {name!r}; choose from {', '.join(SUPPORTED_UNDERLYINGS)}"
            )
        return asset

    def _rng(self, purpose: str) -> random.Random:
        return random.Random(f"{self.seed}:{purpose}")

    @property
    def _trade_rate(self) -> float:
        """Trades per millisecond per underlying."""
        return _TRADES_PER_SECOND * self.speed / 1000.0

    def _list(self, asset: str, expiry: int, t: int, *, announce: bool) -> List[Option]:
        chain = self.chains[asset]
        if expiry in chain:
            return []
        spec = self._assets[asset]
        spot = self._walks[asset].at(t)
        years = max((expiry - t) / YEAR_MS, MIN_YEARS)
        options = []
        for strike in strike_ladder(spot, spec.vol, years):
            for is_call in (True, False):
                option = Option(asset, spec, self._units[asset], expiry, strike, is_call)
                self._seed_option(option, t, spot, years, history=not announce)
                options.append(option)
                self.options[option.name] = option
                if announce:
                    self._pending.append((option, t))
        chain[expiry] = options
        self._weights.pop(asset, None)
        self._next_expiry = min(self._next_expiry, expiry)
        return options

    def _seed_option(
        self, option: Option, t: int, spot: float, years: float, *, history: bool
    ) -> None:
        """Set how often it trades, its open interest and, for the first grid, a prior day."""
        spec = option.spec
        _, x = smile(spec.vol, option.strike, spot, years)
        closeness = math.exp(-0.5 * x * x)
        option.listed_ms = t
        option.weight = (closeness + 0.02) / (1.0 + years * 365.0 / 7.0)
        if not history:
            return
        rng = self._listing_rng
        option.open_interest = round(spec.open_interest * closeness * rng.uniform(0.3, 1.5), 2)
        mark = self._price(option, t).mark / spec.tick
        option.count = rng.randint(1, 30)
        option.last_id = rng.randint(option.count, option.count + 400)
        option.first_id = option.last_id - option.count + 1
        option.next_id = option.last_id + 1
        option.close = option.prior = max(1, round(mark * math.exp(rng.gauss(0.0, 0.08))))
        option.open = max(1, round(mark * math.exp(rng.gauss(0.0, 0.25))))
        top, bottom = max(option.open, option.close), min(option.open, option.close)
        option.high = top + round(top * abs(rng.gauss(0.0, 0.05)))
        option.low = max(1, bottom - round(bottom * abs(rng.gauss(0.0, 0.05))))
        sizes = [option.units.trade_lots(rng) for _ in range(option.count)]
        option.volume = sum(sizes) * option.units.lot
        option.last_qty = sizes[-1]
        option.amount = option.volume * (option.open + option.close) / 2.0 * spec.tick

    def _roll(self, t: int) -> None:
        """Delist every expiry at or before ``t`` and list the grid's new expiries."""
        for asset, chain in self.chains.items():
            for expiry in [expiry for expiry in chain if expiry <= t]:
                for option in chain.pop(expiry):
                    del self.options[option.name]
                    self._sampled.pop(option.name, None)
                    self._skips.pop(option.name, None)
                self._weights.pop(asset, None)
        self._next_expiry = min(
            (expiry for chain in self.chains.values() for expiry in chain), default=math.inf
        )
        for asset in self.chains:
            for expiry in expiry_grid(t):
                self._list(asset, expiry, t, announce=True)

    # ------------------------------------------------------------------
    # Time, trades
    # ------------------------------------------------------------------

    def _advance(self, now: int) -> None:
        """Run trades and expiries from the market's clock up to ``now``."""
        while self._next_expiry <= now:
            expiry = int(self._next_expiry)
            t = expiry if now - expiry < DAY_MS else now  # after a long gap, roll once
            self._run_trades(t - 1)
            self._roll(t)
        self._run_trades(now)
        self.now_ms = now

    def _run_trades(self, until: float) -> None:
        rate = self._trade_rate
        for asset, t in self._next_trade_at.items():
            if t > until:
                continue
            rng = self._trade_rngs[asset]
            t = max(t, until - _TRADE_CATCH_UP_MS)
            while t <= until:
                self._trade(asset, t, rng)
                t += rng.expovariate(rate)
            self._next_trade_at[asset] = t

    def _pick(self, asset: str, rng: random.Random) -> Optional[Option]:
        """A listed option, near the money and short-dated ones more often."""
        weights = self._weights.get(asset)
        if weights is None:
            options = self.chain_options(asset)
            cumulative, total = [], 0.0
            for option in options:
                total += option.weight
                cumulative.append(total)
            weights = self._weights[asset] = (options, cumulative)
        options, cumulative = weights
        if not options:
            return None
        index = bisect.bisect_right(cumulative, rng.random() * cumulative[-1])
        return options[min(index, len(options) - 1)]

    def _trade(self, asset: str, t: float, rng: random.Random) -> None:
        option = self._pick(asset, rng)
        if option is None:
            return
        spot, years, iv, x = self._inputs(option, t)
        bid, ask = self._bid_ask(option, spot, years, iv, half_spread(x))
        direction = 1 if rng.random() < 0.5 or bid == 0 else -1
        lots = option.units.trade_lots(rng)
        maker = self._order_ids[asset] + 1 + int(rng.random() * 60)
        taker = maker + 1 + int(rng.random() * 60)
        self._order_ids[asset] = taker
        buyer, seller = (taker, maker) if direction > 0 else (maker, taker)
        self.trade_seq += 1
        trade = Trade(
            self.trade_seq,
            option,
            option.next_id,
            int(t),
            ask if direction > 0 else bid,
            lots,
            direction,
            buyer,
            seller,
        )
        option.next_id += 1
        opening = rng.random() < 0.6
        self._record(option, trade, opening)
        self._recent.append(trade)

    @staticmethod
    def _record(option: Option, trade: Trade, opening: bool) -> None:
        """Add a trade to the option's statistics, history and open interest."""
        price = trade.price
        if option.count == 0:
            option.open = option.high = option.low = price
            option.first_id = trade.trade_id
        option.high = max(option.high, price)
        option.low = min(option.low, price)
        option.close = price
        contracts = trade.lots * option.units.lot
        option.volume += contracts
        option.amount += contracts * price * option.units.tick
        option.last_qty = trade.lots
        option.last_id = trade.trade_id
        option.count += 1
        change = contracts if opening else -contracts
        option.open_interest = round(max(0.0, option.open_interest + change), 2)
        option.trades.append(trade)

    # ------------------------------------------------------------------
    # Prices and books
    # ------------------------------------------------------------------

    def _inputs(self, option: Option, t: float) -> Tuple[float, float, float, float]:
        """Spot, years to expiry, implied volatility and moneyness (in standard deviations)."""
        spot = self._walks[option.asset].at(t)
        years = max((option.expiry_ms - t) / YEAR_MS, MIN_YEARS)
        iv, x = smile(option.spec.vol, option.strike, spot, years)
        return spot, years, iv, x

    @staticmethod
    def _mark_of(option: Option, spot: float, years: float, iv: float) -> float:
        """The mark: the Black-Scholes value, never below the smallest published price."""
        price = bs_price(spot, option.strike, years, iv, option.is_call)
        return max(price, 10.0 ** -(option.spec.decimals + 2))

    @staticmethod
    def _bid_ask(
        option: Option, spot: float, years: float, iv: float, half: float
    ) -> Tuple[int, int]:
        """The best bid and ask in ticks: the values ``half`` a volatility below and above.

        The bid is rounded down and the ask up to the tick; a bid below one tick
        means no bid, and the ask is at least one tick above the bid.
        """
        strike, is_call, tick = option.strike, option.is_call, option.spec.tick
        low = bs_price(spot, strike, years, max(iv - half, 0.01), is_call)
        high = bs_price(spot, strike, years, iv + half, is_call)
        bid = max(0, math.floor(low / tick + 1e-9))
        return bid, max(math.ceil(high / tick - 1e-9), bid + 1, 1)

    def _price(self, option: Option, t: float) -> Quote:
        """Mark, greeks and book top of ``option`` at ``t``."""
        spot, years, iv, x = self._inputs(option, t)
        half = half_spread(x)
        bid, ask = self._bid_ask(option, spot, years, iv, half)
        mark = self._mark_of(option, spot, years, iv)
        quote = greeks(spot, option.strike, years, iv, option.is_call)
        return Quote(spot, years, iv, half, quote, mark, bid, ask)

    def _at(self, now: int) -> None:
        """Start a new instant: forget the quotes and books of the previous one."""
        if now != self._quote_time:
            self._quote_time = now
            self._quotes = {}
            self._books = {}

    def quote(self, option: Option, now: int) -> Quote:
        """Mark, greeks and book top of ``option`` at ``now``, computed once per instant."""
        self._at(now)
        quote = self._quotes.get(option.name)
        if quote is None:
            quote = self._quotes[option.name] = self._price(option, now)
        return quote

    def mark(self, option: Option, now: int) -> float:
        """The mark at ``now``, without the greeks and book when no quote is cached."""
        self._at(now)
        quote = self._quotes.get(option.name)
        if quote is not None:
            return quote.mark
        spot, years, iv, _ = self._inputs(option, now)
        return self._mark_of(option, spot, years, iv)

    def _book_rng(self, option: Option, now: int) -> random.Random:
        """The random source of ``option``'s book at ``now``: the same for every stream."""
        return random.Random(mix(self.seed, option.key, now))

    def _book_top(self, option: Option, now: int) -> Tuple[random.Random, int, int]:
        """The book's random source at ``now`` and the best bid and ask sizes, in lots."""
        rng = self._book_rng(option, now)
        return rng, option.units.book_lots(rng), option.units.book_lots(rng)

    def top_sizes(self, option: Option, now: int) -> Tuple[int, int]:
        """The sizes of the book model's best bid and ask at ``now``, in lots."""
        _, bid_lots, ask_lots = self._book_top(option, now)
        return bid_lots, ask_lots

    def _ladders(
        self, option: Option, quote: Quote, now: int, levels: int
    ) -> Tuple[Ladder, Ladder]:
        """The book model: the top ``levels`` bids and asks at ``now``, in ticks and lots."""
        units = option.units
        rng, bid_lots, ask_lots = self._book_top(option, now)
        spacing = max(1, int(quote.mark * 0.003 / units.tick))
        bid, ask = quote.bid, quote.ask
        bids: Ladder = []
        asks: Ladder = []
        for level in range(levels):
            if level:  # always four draws per level, so depth10 is a prefix of depth20
                bid -= spacing * (1 if rng.random() < 0.7 else 2)
                ask += spacing * (1 if rng.random() < 0.7 else 2)
                bid_lots, ask_lots = units.book_lots(rng), units.book_lots(rng)
            if bid >= 1:  # a cheap option's bids stop at the minimum price
                bids.append((bid, bid_lots))
            asks.append((ask, ask_lots))
        return bids, asks

    @staticmethod
    def level_texts(option: Option, ladder: Ladder, fixed: bool = False) -> Levels:
        """Book levels as texts: ``[["price", "quantity"], ...]``.

        ``fixed``: at the fstream scales (``"4725.000"``, as the REST book and the
        fstream streams write them), else as nbstream does (``"4725"``).
        """
        units = option.units
        price = units.fixed_price if fixed else units.price
        quantity = units.fixed_quantity if fixed else units.quantity
        return [[price(ticks), quantity(lots)] for ticks, lots in ladder]

    def book_levels(self, option: Option, now: int, levels: int) -> Tuple[Levels, Levels]:
        """The top ``levels`` bids and asks at ``now``, built once per option and instant."""
        quote = self.quote(option, now)  # first: it clears the caches when the instant changes
        cached = self._books.get(option.name)
        if cached is not None and len(cached[1]) >= levels:
            return cached[0][:levels], cached[1][:levels]
        bids, asks = self._ladders(option, quote, now, levels)
        book = (self.level_texts(option, bids), self.level_texts(option, asks))
        self._books[option.name] = book
        return book

    def sampled_book(self, option: Option, now: int) -> Book:
        """The sampled order book of ``option``, brought up to ``now``.

        It is the book model (the one :meth:`book_levels` shows) sampled on a
        100 ms grid, 20 levels a side; its update id (:meth:`book_update_id`)
        only grows.
        """
        t = now - now % _BOOK_STEP_MS
        book = self._sampled.get(option.name)
        if book is not None and t <= book.checked_at:
            return book
        bids, asks = self._ladders(option, self._price(option, t), t, _BOOK_LEVELS)
        update_id = self.book_update_id(option, t)
        if book is None:
            book = self._sampled[option.name] = Book(bids, asks, update_id, t)
        else:
            book.advance(bids, asks, update_id, t)
        return book

    def book_update_id(self, option: Option, t: int) -> int:
        """The update id of ``option``'s sampled book at grid time ``t``.

        Like the exchange's, it jumps: many order events fall between two samples.
        Each 100 ms step adds ``_UPDATE_ID_STRIDE`` ids, give or take a seeded
        amount less than half of that, so ids of later samples are always larger.
        """
        steps = (t - option.listed_ms) // _BOOK_STEP_MS + 1
        jitter = (mix(self.seed, option.key, steps) * _ID_HASH) >> 24
        return _UPDATE_ID_BASE + steps * _UPDATE_ID_STRIDE + jitter % (_UPDATE_ID_STRIDE // 2)

    @staticmethod
    def book_ivs(option: Option, quote: Quote) -> Tuple[Optional[float], Optional[float]]:
        """Implied volatilities of the best bid and ask (None where no volatility fits)."""
        tick = option.spec.tick
        args = (quote.spot, option.strike, quote.years, option.is_call)
        bid_iv = (
            implied_vol(quote.bid * tick, *args, guess=quote.iv - quote.half_spread)
            if quote.bid
            else None
        )
        ask_iv = implied_vol(quote.ask * tick, *args, guess=quote.iv + quote.half_spread)
        return bid_iv, ask_iv
