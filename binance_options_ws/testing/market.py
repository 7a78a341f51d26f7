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

import bisect
import calendar
import collections
import datetime as _dt
import math
import random
import zlib
from decimal import Decimal
from typing import (
    Callable,
    Collection,
    Deque,
    Dict,
    FrozenSet,
    List,
    NamedTuple,
    Optional,
    Sequence,
    Set,
    Tuple,
    Union,
)

from .. import fstream
from ..exceptions import InvalidStreamError
from ..streams import StreamKind, StreamName, parse_stream
from .pricing import YEAR_MS, Greeks, bs_price, greeks, implied_vol

__all__ = ["STREAM_PERIODS_MS", "SUPPORTED_UNDERLYINGS", "SyntheticMarket"]

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

_MINUTE_MS = 60_000
_HOUR_MS = 60 * _MINUTE_MS
_DAY_MS = 24 * _HOUR_MS
_EXPIRY_HOUR = 8  # Binance options expire at 08:00 UTC
_DAILY_EXPIRIES = 3
_WEEKLY_EXPIRIES = 4
_MONTHLY_EXPIRIES = 2
_STRIKES_TARGET = 14  # roughly how many strikes an expiry gets
_SMILE_CURVATURE = 0.045  # IV rises by this fraction of ATM per squared standard deviation
_SMILE_SKEW = -0.03  # puts a little richer than calls
_WALK_STEP_MS = 100
_WALK_MAX_STEPS = 600  # beyond a minute, the rest of a gap is one exact step
_TRADES_PER_SECOND = 3.0  # per underlying, at speed 1: an illiquid market
_TRADE_CATCH_UP_MS = 5_000  # after a longer silence between polls, older trades are skipped
_RECENT_TRADES = 20_000  # trades kept for the trade streams
_TRADES_PER_OPTION = 2_000  # trades kept per option for klines
_ESTIMATE_WINDOW_MS = 30 * _MINUTE_MS  # eep is published half an hour before expiry
_MIN_YEARS = _MINUTE_MS / YEAR_MS
_WEEK_ORIGIN_MS = 4 * _DAY_MS  # 1970-01-05 was a Monday: weekly klines start on Mondays
_ORDER_ID_BASE = 4_611_686_018_427_387_904  # 2**62, like the documented order ids
_TEXT_CACHE = 50_000  # cached price and quantity texts per underlying
_DEPTH_SPEEDS_MS = {"100ms": 100, "500ms": 500, "1000ms": 1000}
_BOOK_STEP_MS = 100  # the fstream order book changes at most this often
_BOOK_LEVELS = 20  # levels a side of the fstream order book (and of the REST snapshot)
_BOOK_LOG = 1024  # book changes remembered for the diff-depth streams
_DIFF_LOOKBACK = 10  # changes a new diff-depth subscription's first event reaches back
_FIXED_INTERVALS_MS = {
    "1m": _MINUTE_MS,
    "3m": 3 * _MINUTE_MS,
    "5m": 5 * _MINUTE_MS,
    "15m": 15 * _MINUTE_MS,
    "30m": 30 * _MINUTE_MS,
    "1h": _HOUR_MS,
    "2h": 2 * _HOUR_MS,
    "4h": 4 * _HOUR_MS,
    "6h": 6 * _HOUR_MS,
    "8h": 8 * _HOUR_MS,
    "12h": 12 * _HOUR_MS,
    "1d": _DAY_MS,
    "3d": 3 * _DAY_MS,
}

_Payload = Dict[str, object]
_Levels = List[List[str]]
_Ladder = List[Tuple[int, int]]  # book levels as (price in ticks, quantity in lots), best first


class _AssetSpec(NamedTuple):
    """What one underlying looks like (ticks and lot sizes from Binance's exchange info)."""

    spot: float  # typical index price
    vol: float  # annualised volatility of the index walk and the ATM implied volatility
    tick: float  # option price tick
    decimals: int  # decimals of option prices
    min_qty: str  # lot size, as the exchange writes it
    qty_decimals: int
    qty_low: float  # trade sizes are log-uniform between these
    qty_high: float
    open_interest: float  # typical open interest of an at-the-money option, in contracts


_ASSETS: Dict[str, _AssetSpec] = {
    "BTC": _AssetSpec(100_000.0, 0.50, 5.0, 0, "0.01", 2, 0.01, 3.0, 60.0),
    "ETH": _AssetSpec(3_500.0, 0.60, 0.1, 1, "0.01", 2, 0.1, 40.0, 600.0),
    "BNB": _AssetSpec(650.0, 0.45, 0.1, 1, "0.01", 2, 0.1, 50.0, 500.0),
    "SOL": _AssetSpec(180.0, 0.75, 0.01, 2, "0.01", 2, 1.0, 200.0, 3_000.0),
    "XRP": _AssetSpec(2.3, 0.80, 0.0001, 4, "1", 0, 50.0, 20_000.0, 200_000.0),
    "DOGE": _AssetSpec(0.25, 0.85, 0.0001, 4, "1", 0, 500.0, 200_000.0, 2_000_000.0),
}

#: The underlyings :class:`SyntheticMarket` can simulate.
SUPPORTED_UNDERLYINGS: Tuple[str, ...] = tuple(_ASSETS)


# --------------------------------------------------------------------------
# Small pure helpers
# --------------------------------------------------------------------------


_FORMATS = tuple(f".{decimals}f" for decimals in range(12))


def _num(value: float, decimals: int) -> str:
    """A number as the exchange writes it: fixed decimals, trailing zeros dropped."""
    text = format(value, _FORMATS[decimals])
    if decimals:
        text = text.rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _decimal_text(value: Decimal) -> str:
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _to_ms(moment: _dt.datetime) -> int:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=_dt.timezone.utc)
    return round(moment.timestamp() * 1000)


def _from_ms(ms: float) -> _dt.datetime:
    return _dt.datetime.fromtimestamp(ms / 1000.0, tz=_dt.timezone.utc)


def _expiry_ms(date: _dt.date) -> int:
    """The expiry instant of a date: 08:00 UTC."""
    return _to_ms(_dt.datetime(date.year, date.month, date.day, _EXPIRY_HOUR))


def _to_date(value: object) -> _dt.date:
    if isinstance(value, _dt.datetime):
        return value.date()
    if isinstance(value, _dt.date):
        return value
    if isinstance(value, str) and len(value) == 6 and value.isdigit():
        try:
            return _dt.datetime.strptime(value, "%y%m%d").date()
        except ValueError:
            pass
    raise ValueError(f"expiration must be a datetime.date or 'YYMMDD', got {value!r}")


def _last_friday(year: int, month: int) -> _dt.date:
    last = _dt.date(year, month, calendar.monthrange(year, month)[1])
    return last - _dt.timedelta(days=(last.weekday() - calendar.FRIDAY) % 7)


def _expiry_grid(now_ms: float) -> List[int]:
    """Dailies, Fridays and month-end Fridays after ``now_ms``, as 08:00 UTC instants."""
    now = _from_ms(now_ms)
    first = now.date() if now.hour < _EXPIRY_HOUR else now.date() + _dt.timedelta(days=1)
    dailies = [first + _dt.timedelta(days=i) for i in range(_DAILY_EXPIRIES)]
    friday = first + _dt.timedelta(days=(calendar.FRIDAY - first.weekday()) % 7)
    weeklies = [friday + _dt.timedelta(weeks=i) for i in range(_WEEKLY_EXPIRIES)]
    monthlies: List[_dt.date] = []
    year, month = friday.year, friday.month
    while len(monthlies) < _MONTHLY_EXPIRIES:
        candidate = _last_friday(year, month)
        if candidate > weeklies[-1]:
            monthlies.append(candidate)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return sorted({_expiry_ms(day) for day in dailies + weeklies + monthlies})


def _nice_step(raw: float) -> Decimal:
    """The smallest of 1, 2, 2.5, 5 times a power of ten that is at least ``raw``."""
    exponent = math.floor(math.log10(raw))
    scale = Decimal(10) ** exponent
    for mantissa in ("1", "2", "2.5", "5", "10"):
        step = Decimal(mantissa) * scale
        if step >= Decimal(repr(raw)):
            return step
    return Decimal(10) * scale  # pragma: no cover - "10" always matches


def _strike_ladder(spot: float, vol: float, years: float) -> List[Decimal]:
    """Strikes on a round increment covering about two standard deviations of spot."""
    width = spot * min(0.8, max(0.04, 2.2 * vol * math.sqrt(years)))
    step = _nice_step(2.0 * width / _STRIKES_TARGET)
    size = float(step)
    low = max(1, math.ceil((spot - width) / size))
    high = max(low, math.floor((spot + width) / size))
    return [step * k for k in range(low, high + 1)]


def _smile(vol: float, strike: float, spot: float, years: float) -> Tuple[float, float]:
    """The implied volatility of a strike, and its distance from spot in standard deviations."""
    atm = vol * (1.0 + 0.15 * math.exp(-years * 365.0 / 7.0))  # short dates a little richer
    x = math.log(strike / spot) / (atm * math.sqrt(years))
    x = min(4.0, max(-4.0, x))
    return atm * (1.0 + _SMILE_CURVATURE * x * x + _SMILE_SKEW * x), x


def _half_spread(x: float) -> float:
    """Half the book's width in volatility: a few points, wider away from the money."""
    return 0.015 + 0.005 * abs(x)


def _kline_window(interval: str, t: int) -> Tuple[int, int]:
    """The first and last millisecond of the ``interval`` candle that contains ``t``."""
    size = _FIXED_INTERVALS_MS.get(interval)
    if size is not None:
        start = t // size * size
        return start, start + size - 1
    if interval == "1w":
        week = 7 * _DAY_MS
        start = (t - _WEEK_ORIGIN_MS) // week * week + _WEEK_ORIGIN_MS
        return start, start + week - 1
    moment = _from_ms(t)  # "1M": calendar months
    first = _dt.datetime(moment.year, moment.month, 1, tzinfo=_dt.timezone.utc)
    year, month = (moment.year + 1, 1) if moment.month == 12 else (moment.year, moment.month + 1)
    following = _dt.datetime(year, month, 1, tzinfo=_dt.timezone.utc)
    return _to_ms(first), _to_ms(following) - 1


def _next_due(due: float, period: float, now: int) -> float:
    """The first time on the grid ``due + k * period`` strictly after ``now``."""
    return due + (math.floor((now - due) / period) + 1) * period


def _mix(*parts: int) -> int:
    """One integer seed from several (for ``random.Random``)."""
    seed = 0
    for part in parts:
        seed = (seed * 1_000_003) ^ (part & 0xFFFF_FFFF_FFFF_FFFF)
    return seed


# --------------------------------------------------------------------------
# Market state
# --------------------------------------------------------------------------


class _Units:
    """One underlying's price ticks and lot sizes, with their texts cached.

    Prices are kept in ticks and quantities in lots (integers), so books and
    trades are exact and their texts can be reused: formatting is the hot path.
    """

    __slots__ = (
        "_log_high",
        "_log_low",
        "_prices",
        "_quantities",
        "_typical_book",
        "decimals",
        "lot",
        "qty_decimals",
        "tick",
    )

    def __init__(self, spec: _AssetSpec) -> None:
        self.tick = spec.tick
        self.decimals = spec.decimals
        self.lot = float(spec.min_qty)
        self.qty_decimals = spec.qty_decimals
        self._log_low = math.log(spec.qty_low / self.lot)
        self._log_high = math.log(spec.qty_high / self.lot)
        self._typical_book = 2.0 * math.sqrt(spec.qty_low * spec.qty_high) / self.lot
        self._prices: Dict[int, str] = {}
        self._quantities: Dict[int, str] = {}

    def price(self, ticks: int) -> str:
        """The text of a price given in ticks, e.g. ``945`` ticks of 5 -> ``"4725"``."""
        text = self._prices.get(ticks)
        if text is None:
            if len(self._prices) > _TEXT_CACHE:
                self._prices.clear()
            text = self._prices[ticks] = _num(ticks * self.tick, self.decimals)
        return text

    def quantity(self, lots: int) -> str:
        """The text of a quantity given in lots, e.g. ``13`` lots of 0.01 -> ``"0.13"``."""
        text = self._quantities.get(lots)
        if text is None:
            if len(self._quantities) > _TEXT_CACHE:
                self._quantities.clear()
            text = self._quantities[lots] = _num(lots * self.lot, self.qty_decimals)
        return text

    def contracts(self, value: float) -> str:
        """The text of a quantity in contracts (volumes, open interest)."""
        return _num(value, self.qty_decimals)

    def trade_lots(self, rng: random.Random) -> int:
        """A trade size: log-uniform between the underlying's small and large trades."""
        return max(1, round(math.exp(rng.uniform(self._log_low, self._log_high))))

    def book_lots(self, rng: random.Random) -> int:
        """The size of one book level: a typical size times a factor from 0.2 to 4.5."""
        return max(1, int(self._typical_book * math.exp(3.0 * (rng.random() - 0.5))))


class _IndexWalk:
    """Geometric Brownian motion sampled on a fixed 100 ms grid.

    Read at least once a minute, the path does not depend on when it is read:
    each grid step draws one normal number. A longer gap is crossed with one
    exact step for the excess, capped at a day of variance, so that a market
    polled far from its start keeps plausible prices.
    """

    __slots__ = ("_diffusion", "_drift", "_rng", "_vol", "time", "value")

    def __init__(self, value: float, vol: float, rng: random.Random, time: int) -> None:
        self.value = value
        self.time = time
        self._vol = vol
        self._rng = rng
        years = _WALK_STEP_MS / YEAR_MS
        self._drift = -0.5 * vol * vol * years
        self._diffusion = vol * math.sqrt(years)

    def at(self, t: float) -> float:
        """The index at ``t``; times before the latest one read give the latest value."""
        steps = int((t - self.time) // _WALK_STEP_MS)
        if steps <= 0:
            return self.value
        self.time += steps * _WALK_STEP_MS
        if steps > _WALK_MAX_STEPS:
            self._jump(min((steps - _WALK_MAX_STEPS) * _WALK_STEP_MS, _DAY_MS))
            steps = _WALK_MAX_STEPS
        value, drift, diffusion, gauss = self.value, self._drift, self._diffusion, self._rng.gauss
        for _ in range(steps):
            value *= math.exp(drift + diffusion * gauss(0.0, 1.0))
        self.value = value
        return value

    def _jump(self, gap_ms: float) -> None:
        years = gap_ms / YEAR_MS
        shock = self._vol * math.sqrt(years) * self._rng.gauss(0.0, 1.0)
        self.value *= math.exp(-0.5 * self._vol * self._vol * years + shock)


class _Option:
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

    def __init__(
        self,
        asset: str,
        spec: _AssetSpec,
        units: _Units,
        expiry_ms: int,
        strike: Decimal,
        is_call: bool,
    ) -> None:
        expiry = _from_ms(expiry_ms)
        self.asset = asset
        self.spec = spec
        self.units = units
        self.expiry_ms = expiry_ms
        self.strike_text = _decimal_text(strike)
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
        self.trades: Deque[_Trade] = collections.deque(maxlen=_TRADES_PER_OPTION)


class _Trade(NamedTuple):
    seq: int  # position in the market's trade sequence
    option: _Option
    trade_id: int
    time: int
    price: int  # in ticks
    lots: int  # size in lots, positive
    direction: int  # 1 buyer-initiated, -1 seller-initiated
    buy_order_id: int
    sell_order_id: int


class _Quote(NamedTuple):
    """An option's prices at one instant."""

    spot: float
    years: float
    iv: float
    half_spread: float  # in volatility
    greeks: Greeks
    mark: float
    bid: int  # ticks; 0 means no bid
    ask: int  # ticks


class _Candle:
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

    def __init__(self, start: int, end: int, prior: int, seen_id: int) -> None:
        self.start, self.end = start, end
        self.open = self.high = self.low = self.close = prior
        self.volume = self.quote_volume = self.taker_volume = self.taker_quote_volume = 0.0
        self.count = self.first_id = self.last_id = 0
        self.seen_id = seen_id

    def add(self, trade: _Trade, units: _Units) -> None:
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


_Render = Callable[["_Plan", int], Sequence[object]]


class _Plan:
    """A subscribed stream: what it is, how to render it, and when it is due."""

    __slots__ = (
        "asset",
        "candle",
        "cursor",
        "due",
        "expiry_ms",
        "fstream",
        "name",
        "period",
        "render",
        "seen",
        "sent_u",
        "stream",
        "top",
    )

    def __init__(
        self, name: str, stream: StreamName, render: _Render, period: float, *, fresh: bool
    ) -> None:
        self.name = name
        self.stream = stream
        self.render = render
        self.period = period  # milliseconds; 0 for event streams
        self.fstream = fresh  # a stream of the 2026 fstream endpoint
        self.asset: Optional[str] = None  # the base asset of an underlying's stream
        self.due = -math.inf
        self.seen = -1  # the poll that last saw it subscribed
        self.cursor = 0  # trade sequence already delivered (trade streams)
        self.candle: Optional[_Candle] = None  # kline streams
        self.expiry_ms = 0  # ticker by expiration and open interest
        self.sent_u: Optional[int] = None  # fstream depth: the last update id sent
        self.top: Optional[Tuple[object, ...]] = None  # book ticker: the top last sent


class _Book:
    """The fstream order book of one option: the book model, sampled every 100 ms.

    Each sample that changes anything gets a new, larger update id; the changed
    prices of recent samples are kept so that a diff event can list every level
    that changed since the previous one.
    """

    __slots__ = ("asks", "bids", "changed_at", "checked_at", "first_id", "log", "update_id")

    def __init__(self, bids: _Ladder, asks: _Ladder, update_id: int, t: int) -> None:
        self.bids, self.asks = bids, asks
        self.update_id = self.first_id = update_id
        self.changed_at = self.checked_at = t
        #: (update id, changed bid prices, changed ask prices), oldest first.
        self.log: Deque[Tuple[int, FrozenSet[int], FrozenSet[int]]] = collections.deque(
            maxlen=_BOOK_LOG
        )

    def advance(self, bids: _Ladder, asks: _Ladder, update_id: int, t: int) -> None:
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


def _changed(old: _Ladder, new: _Ladder) -> FrozenSet[int]:
    """The prices whose quantity differs between two ladders (absent counts as 0)."""
    before, after = dict(old), dict(new)
    return frozenset(p for p in before.keys() | after.keys() if before.get(p) != after.get(p))


# --------------------------------------------------------------------------
# The market
# --------------------------------------------------------------------------


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
        if isinstance(speed, bool) or not isinstance(speed, (int, float)):
            raise ValueError(f"speed must be a positive number, got {speed!r}")
        if not (math.isfinite(speed) and speed > 0):
            raise ValueError(f"speed must be a positive number, got {speed!r}")
        if start is None:
            start = _dt.datetime.now(_dt.timezone.utc).replace(second=0, microsecond=0)
        self._seed = int(seed)
        self._speed = float(speed)
        self._start_ms = _to_ms(start)
        self._now_ms = self._start_ms
        if isinstance(underlyings, str):
            underlyings = (underlyings,)
        self._assets = {asset: _ASSETS[asset] for asset in map(self._asset_name, underlyings)}
        if not self._assets:
            raise ValueError("underlyings must name at least one base asset, e.g. ('BTC',)")
        self._pairs = {f"{asset}USDT": asset for asset in self._assets}
        self._units = {asset: _Units(spec) for asset, spec in self._assets.items()}
        self._walks: Dict[str, _IndexWalk] = {}
        self._trade_rngs: Dict[str, random.Random] = {}
        self._next_trade_at: Dict[str, float] = {}
        self._order_ids: Dict[str, int] = {}
        spot_rng = self._rng("spot")
        for asset, spec in self._assets.items():
            spot = spec.spot * math.exp(spot_rng.gauss(0.0, 0.02))
            self._walks[asset] = _IndexWalk(
                spot, spec.vol, self._rng(f"index:{asset}"), self._start_ms
            )
            rng = self._trade_rngs[asset] = self._rng(f"trades:{asset}")
            self._next_trade_at[asset] = self._start_ms + rng.expovariate(self._trade_rate)
            self._order_ids[asset] = _ORDER_ID_BASE + rng.randrange(10**9)
        self._listing_rng = self._rng("listing")
        self._chains: Dict[str, Dict[int, List[_Option]]] = {asset: {} for asset in self._assets}
        self._options: Dict[str, _Option] = {}
        self._weights: Dict[str, Tuple[List[_Option], List[float]]] = {}
        self._next_expiry = math.inf
        self._recent: Deque[_Trade] = collections.deque(maxlen=_RECENT_TRADES)
        self._trade_seq = 0
        self._pending: List[Tuple[_Option, int]] = []  # listings for the next poll
        self._announcing: List[Tuple[_Option, int]] = []  # listings of the current poll
        self._plans: Dict[str, Optional[_Plan]] = {}
        self._poll_index = 0
        self._quote_time = -1
        self._quotes: Dict[str, _Quote] = {}
        self._books: Dict[str, Tuple[_Levels, _Levels]] = {}
        self._fbooks: Dict[str, _Book] = {}  # fstream order books, made when first needed
        self._skips: Dict[str, int] = {}  # diff-depth events still to lose, per symbol
        for asset in self._assets:
            for expiry in _expiry_grid(self._start_ms):
                self._list(asset, expiry, self._start_ms, announce=False)

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
        return self._seed

    @property
    def speed(self) -> float:
        """The update-rate multiplier.

        Example:
            >>> SyntheticMarket(speed=10).speed
            10.0
        """
        return self._speed

    @property
    def now_ms(self) -> int:
        """The market's clock: ``start`` until the first poll, then the latest ``now_ms``.

        Example:
            >>> SyntheticMarket(start=datetime.datetime(2026, 1, 5, 12, 0)).now_ms
            1767614400000
        """
        return self._now_ms

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
        now = int(now_ms)
        if now > self._now_ms:
            self._advance(now)
        now = self._now_ms
        self._announcing, self._pending = self._pending, []
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
                self._reset(plan, now)
            plan.seen = current
            if now < plan.due:
                continue
            if plan.period:
                plan.due = _next_due(plan.due, plan.period, now)
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
        assets = sorted(self._chains) if underlying is None else [self._known(underlying)]
        return [opt.name for asset in assets for opt in self._chain_options(asset)]

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
        chain = self._chains[self._known(underlying)]
        return [_from_ms(expiry).date() for expiry in sorted(chain)]

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
        asset = self._pairs.get(str(pair).upper())
        if asset is None:
            raise ValueError(f"unknown index pair {pair!r}; this market has {sorted(self._pairs)}")
        return float(_num(self._walks[asset].at(self._now_ms), 8))

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
        option = self._options.get(str(symbol).upper())
        if option is None:
            raise ValueError(f"symbol {symbol!r} is not listed")
        return float(_num(self._mark(option, self._now_ms), option.spec.decimals + 2))

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
        asset = self._known(underlying)
        date = _to_date(expiration)
        t = self._now_ms if now_ms is None else int(now_ms)
        expiry = _expiry_ms(date)
        if expiry <= t:
            raise ValueError(f"expiration {date} 08:00 UTC is not after the listing time")
        return [opt.name for opt in self._list(asset, expiry, t, announce=True)]

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
        option = self._options.get(str(symbol).upper())
        if option is None:
            raise ValueError(f"symbol {symbol!r} is not listed")
        if now_ms is not None and int(now_ms) > self._now_ms:
            self._advance(int(now_ms))
        book = self._fbook(option, self._now_ms)
        return {
            "bids": self._texts(option, book.bids[:limit]),
            "asks": self._texts(option, book.asks[:limit]),
            "T": book.changed_at,
            "lastUpdateId": book.update_id,
        }

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
        name = str(symbol).upper()
        if name not in self._options:
            raise ValueError(f"symbol {symbol!r} is not listed")
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            raise ValueError(f"count must be a positive integer, got {count!r}")
        self._skips[name] = self._skips.get(name, 0) + count

    # ------------------------------------------------------------------
    # Listing and expiry
    # ------------------------------------------------------------------

    @staticmethod
    def _asset_name(name: str) -> str:
        asset = str(name).upper()
        if asset not in _ASSETS:
            raise ValueError(
                f"unknown underlying {name!r}; choose from {', '.join(SUPPORTED_UNDERLYINGS)}"
            )
        return asset

    def _known(self, underlying: str) -> str:
        asset = str(underlying).upper()
        if asset not in self._chains:
            raise ValueError(
                f"underlying {underlying!r} is not in this market; it has {sorted(self._chains)}"
            )
        return asset

    def _rng(self, purpose: str) -> random.Random:
        return random.Random(f"{self._seed}:{purpose}")

    @property
    def _trade_rate(self) -> float:
        """Trades per millisecond per underlying."""
        return _TRADES_PER_SECOND * self._speed / 1000.0

    def _chain_options(self, asset: str) -> List[_Option]:
        chain = self._chains[asset]
        return [opt for expiry in sorted(chain) for opt in chain[expiry]]

    def _list(self, asset: str, expiry: int, t: int, *, announce: bool) -> List[_Option]:
        chain = self._chains[asset]
        if expiry in chain:
            return []
        spec = self._assets[asset]
        spot = self._walks[asset].at(t)
        years = max((expiry - t) / YEAR_MS, _MIN_YEARS)
        options = []
        for strike in _strike_ladder(spot, spec.vol, years):
            for is_call in (True, False):
                option = _Option(asset, spec, self._units[asset], expiry, strike, is_call)
                self._seed_option(option, t, spot, years, history=not announce)
                options.append(option)
                self._options[option.name] = option
                if announce:
                    self._pending.append((option, t))
        chain[expiry] = options
        self._weights.pop(asset, None)
        self._next_expiry = min(self._next_expiry, expiry)
        return options

    def _seed_option(
        self, option: _Option, t: int, spot: float, years: float, *, history: bool
    ) -> None:
        """Set how often it trades, its open interest and, for the first grid, a prior day."""
        spec = option.spec
        _, x = _smile(spec.vol, option.strike, spot, years)
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

    @staticmethod
    def _listing_payload(option: _Option, t: int) -> _Payload:
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

    def _roll(self, t: int) -> None:
        """Delist every expiry at or before ``t`` and list the grid's new expiries."""
        for asset, chain in self._chains.items():
            for expiry in [expiry for expiry in chain if expiry <= t]:
                for option in chain.pop(expiry):
                    del self._options[option.name]
                    self._fbooks.pop(option.name, None)
                    self._skips.pop(option.name, None)
                self._weights.pop(asset, None)
        self._next_expiry = min(
            (expiry for chain in self._chains.values() for expiry in chain), default=math.inf
        )
        for asset in self._chains:
            for expiry in _expiry_grid(t):
                self._list(asset, expiry, t, announce=True)

    # ------------------------------------------------------------------
    # Time, trades
    # ------------------------------------------------------------------

    def _advance(self, now: int) -> None:
        """Run trades and expiries from the market's clock up to ``now``."""
        while self._next_expiry <= now:
            expiry = int(self._next_expiry)
            t = expiry if now - expiry < _DAY_MS else now  # after a long gap, roll once
            self._run_trades(t - 1)
            self._roll(t)
        self._run_trades(now)
        self._now_ms = now

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

    def _pick(self, asset: str, rng: random.Random) -> Optional[_Option]:
        """A listed option, near the money and short-dated ones more often."""
        weights = self._weights.get(asset)
        if weights is None:
            options = self._chain_options(asset)
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
        bid, ask = self._bid_ask(option, spot, years, iv, _half_spread(x))
        direction = 1 if rng.random() < 0.5 or bid == 0 else -1
        lots = option.units.trade_lots(rng)
        maker = self._order_ids[asset] + 1 + int(rng.random() * 60)
        taker = maker + 1 + int(rng.random() * 60)
        self._order_ids[asset] = taker
        buyer, seller = (taker, maker) if direction > 0 else (maker, taker)
        self._trade_seq += 1
        trade = _Trade(
            self._trade_seq,
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
    def _record(option: _Option, trade: _Trade, opening: bool) -> None:
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
    # Prices
    # ------------------------------------------------------------------

    def _inputs(self, option: _Option, t: float) -> Tuple[float, float, float, float]:
        """Spot, years to expiry, implied volatility and moneyness (in standard deviations)."""
        spot = self._walks[option.asset].at(t)
        years = max((option.expiry_ms - t) / YEAR_MS, _MIN_YEARS)
        iv, x = _smile(option.spec.vol, option.strike, spot, years)
        return spot, years, iv, x

    @staticmethod
    def _mark_of(option: _Option, spot: float, years: float, iv: float) -> float:
        """The mark: the Black-Scholes value, never below the smallest published price."""
        price = bs_price(spot, option.strike, years, iv, option.is_call)
        return max(price, 10.0 ** -(option.spec.decimals + 2))

    @staticmethod
    def _bid_ask(
        option: _Option, spot: float, years: float, iv: float, half: float
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

    def _price(self, option: _Option, t: float) -> _Quote:
        """Mark, greeks and book top of ``option`` at ``t``."""
        spot, years, iv, x = self._inputs(option, t)
        half = _half_spread(x)
        bid, ask = self._bid_ask(option, spot, years, iv, half)
        mark = self._mark_of(option, spot, years, iv)
        quote = greeks(spot, option.strike, years, iv, option.is_call)
        return _Quote(spot, years, iv, half, quote, mark, bid, ask)

    def _at(self, now: int) -> None:
        """Start a new instant: forget the quotes and books of the previous one."""
        if now != self._quote_time:
            self._quote_time = now
            self._quotes = {}
            self._books = {}

    def _quote(self, option: _Option, now: int) -> _Quote:
        """:meth:`_price` at ``now``, computed once per option per instant."""
        self._at(now)
        quote = self._quotes.get(option.name)
        if quote is None:
            quote = self._quotes[option.name] = self._price(option, now)
        return quote

    def _mark(self, option: _Option, now: int) -> float:
        """The mark at ``now``, without the greeks and book when no quote is cached."""
        self._at(now)
        quote = self._quotes.get(option.name)
        if quote is not None:
            return quote.mark
        spot, years, iv, _ = self._inputs(option, now)
        return self._mark_of(option, spot, years, iv)

    def _book_rng(self, option: _Option, now: int) -> random.Random:
        """The random source of ``option``'s book at ``now``: the same for every stream."""
        return random.Random(_mix(self._seed, option.key, now))

    def _book_top(self, option: _Option, now: int) -> Tuple[random.Random, int, int]:
        """The book's random source at ``now`` and the best bid and ask sizes, in lots."""
        rng = self._book_rng(option, now)
        return rng, option.units.book_lots(rng), option.units.book_lots(rng)

    def _ladders(
        self, option: _Option, quote: _Quote, now: int, levels: int
    ) -> Tuple[_Ladder, _Ladder]:
        """The book model: the top ``levels`` bids and asks at ``now``, in ticks and lots."""
        units = option.units
        rng, bid_lots, ask_lots = self._book_top(option, now)
        spacing = max(1, int(quote.mark * 0.003 / units.tick))
        bid, ask = quote.bid, quote.ask
        bids: _Ladder = []
        asks: _Ladder = []
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
    def _texts(option: _Option, ladder: _Ladder) -> _Levels:
        """Book levels as the exchange writes them: ``[["price", "quantity"], ...]``."""
        price, quantity = option.units.price, option.units.quantity
        return [[price(ticks), quantity(lots)] for ticks, lots in ladder]

    def _book(self, option: _Option, now: int, levels: int) -> Tuple[_Levels, _Levels]:
        """The top ``levels`` bids and asks at ``now``, built once per option and instant."""
        quote = self._quote(option, now)  # first: it clears the caches when the instant changes
        cached = self._books.get(option.name)
        if cached is not None and len(cached[1]) >= levels:
            return cached[0][:levels], cached[1][:levels]
        bids, asks = self._ladders(option, quote, now, levels)
        book = self._books[option.name] = (self._texts(option, bids), self._texts(option, asks))
        return book

    def _fbook(self, option: _Option, now: int) -> _Book:
        """The fstream order book of ``option``, brought up to ``now``.

        It is the book model (the one the nbstream depth streams show) sampled on
        a 100 ms grid; the update id counts grid steps since the listing, so it
        only grows.
        """
        t = now - now % _BOOK_STEP_MS
        book = self._fbooks.get(option.name)
        if book is not None and t <= book.checked_at:
            return book
        bids, asks = self._ladders(option, self._price(option, t), t, _BOOK_LEVELS)
        update_id = (t - option.listed_ms) // _BOOK_STEP_MS + 1
        if book is None:
            book = self._fbooks[option.name] = _Book(bids, asks, update_id, t)
        else:
            book.advance(bids, asks, update_id, t)
        return book

    # ------------------------------------------------------------------
    # Plans: which renderer a name needs, and when
    # ------------------------------------------------------------------

    def _make_plan(self, name: object) -> Optional[_Plan]:
        """A plan for a name in the exact spelling of either endpoint, else None.

        Both ``parse_stream`` functions accept any case, so a name belongs to the
        endpoint whose canonical form it is: Binance matches names exactly, and
        ``btc-...@ticker`` or ``BTC-...@optionTicker`` gets nothing.
        """
        if not isinstance(name, str):
            return None
        stream: Optional[StreamName] = None
        fresh = False
        for parse in (parse_stream, fstream.parse_stream):
            try:
                parsed = parse(name)
            except InvalidStreamError:
                continue
            if parsed.name == name:
                stream, fresh = parsed, parse is fstream.parse_stream
                break
        if stream is None:
            return None
        renderers = self._fstream_renderers if fresh else self._nbstream_renderers
        if stream.kind in (StreamKind.DEPTH, StreamKind.DIFF_DEPTH):
            period = float(_DEPTH_SPEEDS_MS[stream.speed or "500ms"])
        else:
            period = float(STREAM_PERIODS_MS.get(stream.kind, 0))
        plan = _Plan(name, stream, renderers[stream.kind], period / self._speed, fresh=fresh)
        if stream.underlying is not None:  # fstream names the pair (BTCUSDT), nbstream the asset
            plan.asset = self._pairs.get(stream.underlying) if fresh else stream.underlying
        if stream.expiration is not None:
            plan.expiry_ms = _expiry_ms(stream.expiration)
        return plan

    @property
    def _nbstream_renderers(self) -> Dict[StreamKind, _Render]:
        return {
            StreamKind.INDEX: self._render_index,
            StreamKind.TICKER: self._render_ticker,
            StreamKind.TICKER_BY_EXPIRATION: self._render_tickers,
            StreamKind.MARK_PRICE: self._render_marks,
            StreamKind.KLINE: self._render_kline,
            StreamKind.DEPTH: self._render_depth,
            StreamKind.OPEN_INTEREST: self._render_open_interest,
            StreamKind.TRADE: self._render_trades,
            StreamKind.NEW_SYMBOL_INFO: self._render_listings,
        }

    @property
    def _fstream_renderers(self) -> Dict[StreamKind, _Render]:
        return {
            StreamKind.INDEX: self._render_f_index,
            StreamKind.TICKER: self._render_ticker,
            StreamKind.TICKER_BY_EXPIRATION: self._render_tickers,
            StreamKind.MARK_PRICE: self._render_f_marks,
            StreamKind.KLINE: self._render_kline,
            StreamKind.DEPTH: self._render_f_depth,
            StreamKind.DIFF_DEPTH: self._render_diff_depth,
            StreamKind.BOOK_TICKER: self._render_book_ticker,
            StreamKind.OPEN_INTEREST: self._render_open_interest,
            StreamKind.TRADE: self._render_trades,
            StreamKind.NEW_SYMBOL_INFO: self._render_listings,
        }

    def _reset(self, plan: _Plan, now: int) -> None:
        """Start a newly subscribed stream: due now, no old trades, a fresh candle and book."""
        plan.due = now if plan.period else -math.inf
        plan.cursor = self._trade_seq
        plan.candle = None
        plan.sent_u = None
        plan.top = None

    # ------------------------------------------------------------------
    # Renderers: one per stream kind, each returning the payloads to send.
    # Those named _render_f_* are fstream's own; the others serve both
    # endpoints and pick the payload format from plan.fstream.
    # ------------------------------------------------------------------

    def _render_index(self, plan: _Plan, now: int) -> Sequence[object]:
        pair = plan.stream.symbol or ""
        asset = self._pairs.get(pair)
        if asset is None:
            return ()
        price = _num(self._walks[asset].at(now), 8)
        return ({"e": "index", "E": now, "s": pair, "p": price},)

    def _render_f_index(self, plan: _Plan, now: int) -> Sequence[object]:
        prices = [
            {"e": "indexPrice", "E": now, "s": pair, "p": _num(self._walks[asset].at(now), 8)}
            for pair, asset in self._pairs.items()
        ]
        return (prices,)

    def _render_ticker(self, plan: _Plan, now: int) -> Sequence[object]:
        option = self._options.get(plan.stream.symbol or "")
        if option is None:
            return ()
        return (self._f_ticker(option, now) if plan.fstream else self._ticker(option, now),)

    def _render_tickers(self, plan: _Plan, now: int) -> Sequence[object]:
        chain = self._chains.get(plan.asset or "", {}).get(plan.expiry_ms)
        if not chain:
            return ()
        if plan.fstream:  # one message per option (see the module docstring)
            return [self._f_ticker(option, now) for option in chain]
        return ([self._ticker(option, now) for option in chain],)

    def _render_marks(self, plan: _Plan, now: int) -> Sequence[object]:
        asset = plan.asset or ""
        if asset not in self._chains:
            return ()
        marks: List[_Payload] = []
        for option in self._chain_options(asset):
            mark = _num(self._mark(option, now), option.spec.decimals + 2)
            marks.append({"e": "markPrice", "E": now, "s": option.name, "mp": mark})
        return (marks,) if marks else ()

    def _render_f_marks(self, plan: _Plan, now: int) -> Sequence[object]:
        asset = plan.asset or ""
        if asset not in self._chains:
            return ()
        marks = [self._f_mark(option, now) for option in self._chain_options(asset)]
        return (marks,) if marks else ()

    def _render_open_interest(self, plan: _Plan, now: int) -> Sequence[object]:
        asset = plan.asset or ""
        chain = self._chains.get(asset, {}).get(plan.expiry_ms)
        if not chain:
            return ()
        spot = self._walks[asset].at(now)
        items: List[_Payload] = [
            {
                "e": "openInterest",
                "E": now,
                "s": option.name,
                "o": option.units.contracts(option.open_interest),
                "h": _num(option.open_interest * spot, 8),
            }
            for option in chain
        ]
        return (items,)

    def _render_trades(self, plan: _Plan, now: int) -> Sequence[object]:
        if plan.cursor == self._trade_seq:
            return ()
        fresh: List[_Trade] = []
        for trade in reversed(self._recent):
            if trade.seq <= plan.cursor:
                break
            fresh.append(trade)
        plan.cursor = self._trade_seq
        symbol, asset = plan.stream.symbol, plan.asset
        payload = self._f_trade_payload if plan.fstream else self._trade_payload
        return [
            payload(trade, now)
            for trade in reversed(fresh)
            if trade.option.name == symbol or trade.option.asset == asset
        ]

    def _render_listings(self, plan: _Plan, now: int) -> Sequence[object]:
        payload = self._f_listing_payload if plan.fstream else self._listing_payload
        return [payload(option, t) for option, t in self._announcing]

    def _render_depth(self, plan: _Plan, now: int) -> Sequence[object]:
        option = self._options.get(plan.stream.symbol or "")
        if option is None:
            return ()
        bids, asks = self._book(option, now, plan.stream.levels or 10)
        update_id = now - option.listed_ms + 1  # the same book gives the same id on every stream
        payload: _Payload = {
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

    def _render_f_depth(self, plan: _Plan, now: int) -> Sequence[object]:
        """Partial depth: the top levels, with the update ids since this stream's last push."""
        option = self._options.get(plan.stream.symbol or "")
        if option is None:
            return ()
        book = self._fbook(option, now)
        levels = plan.stream.levels or 10
        u = book.update_id
        pu = u - 1 if plan.sent_u is None else plan.sent_u
        plan.sent_u = u
        payload: _Payload = {
            "e": "depthUpdate",
            "E": now,
            "T": book.changed_at,
            "s": option.name,
            "U": pu + 1 if u > pu else u,
            "u": u,
            "pu": pu,
            "b": self._texts(option, book.bids[:levels]),
            "a": self._texts(option, book.asks[:levels]),
        }
        return (payload,)

    def _render_diff_depth(self, plan: _Plan, now: int) -> Sequence[object]:
        """Diff depth: every level changed since this stream's last event (quantity 0: gone).

        A new subscription's first event reaches back ``_DIFF_LOOKBACK`` changes, as
        a stream that was already running would: a REST snapshot taken just after
        the SUBSCRIBE was answered is then never newer than the stream's start. Each
        later event has ``U`` = previous ``u`` + 1 and ``pu`` = previous ``u``.
        """
        option = self._options.get(plan.stream.symbol or "")
        if option is None:
            return ()
        book = self._fbook(option, now)
        previous = plan.sent_u
        if previous is None:
            previous = book.update_id_back(_DIFF_LOOKBACK)
        plan.sent_u = book.update_id
        if book.update_id == previous:
            return ()
        skips = self._skips.get(option.name)
        if skips:  # skip_depth_updates(): the event is lost
            self._skips[option.name] = skips - 1
            return ()
        bids, asks = book.changes_since(previous)
        units = option.units
        payload: _Payload = {
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

    def _render_book_ticker(self, plan: _Plan, now: int) -> Sequence[object]:
        """The best bid and ask, sent whenever they change (at most every 100 ms)."""
        option = self._options.get(plan.stream.symbol or "")
        if option is None:
            return ()
        book = self._fbook(option, now)
        units = option.units
        bid = book.bids[0] if book.bids else None
        ask = book.asks[0] if book.asks else None
        if (bid, ask) == plan.top:
            return ()
        plan.top = (bid, ask)
        payload: _Payload = {
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

    def _render_kline(self, plan: _Plan, now: int) -> Sequence[object]:
        option = self._options.get(plan.stream.symbol or "")
        if option is None:
            return ()
        interval = plan.stream.interval or "1m"
        start, end = _kline_window(interval, now)
        out: List[_Payload] = []
        candle = plan.candle
        fresh = plan.fstream
        if candle is not None and candle.start != start:
            self._feed(candle, option, candle.end)
            out.append(self._kline_payload(option, interval, candle, now, closed=True, fresh=fresh))
            candle = None
        if candle is None:
            candle = self._new_candle(option, start, end)
        self._feed(candle, option, now)
        plan.candle = candle
        out.append(self._kline_payload(option, interval, candle, now, closed=False, fresh=fresh))
        return out

    # ------------------------------------------------------------------
    # Payload builders
    # ------------------------------------------------------------------

    def _quote_texts(self, option: _Option, now: int) -> Dict[str, str]:
        """The book top, implied volatilities, greeks and limits at ``now``, as texts.

        Keyed by the nbstream ticker's wire keys; ``b``/``a`` are the bid and ask
        implied volatilities, empty when there is none on that side.
        """
        units = option.units
        quote = self._quote(option, now)
        _, bid_lots, ask_lots = self._book_top(option, now)
        bid_iv, ask_iv = self._book_ivs(option, quote)
        band = max(0.05 * quote.mark, 0.005 * quote.spot) / units.tick
        max_buy = quote.ask + math.ceil(band)
        min_sell = max(1, min(quote.bid, quote.bid - math.floor(band))) if quote.bid else 1
        to_expiry = option.expiry_ms - now
        g = quote.greeks
        return {
            "bo": units.price(quote.bid),
            "ao": units.price(quote.ask),
            "bq": units.quantity(bid_lots) if quote.bid else "0",
            "aq": units.quantity(ask_lots),
            "b": "" if bid_iv is None else _num(bid_iv, 8),
            "a": "" if ask_iv is None else _num(ask_iv, 8),
            "d": _num(g.delta, 8),
            "t": _num(g.theta, 8),
            "g": _num(g.gamma, 8),
            "v": _num(g.vega, 8),
            "vo": _num(quote.iv, 8),
            "mp": _num(quote.mark, units.decimals + 2),
            "hl": units.price(max_buy),
            "ll": units.price(min_sell),
            "eep": _num(quote.spot, 8) if 0 < to_expiry <= _ESTIMATE_WINDOW_MS else "0",
            "i": _num(quote.spot, 8),
        }

    def _ticker(self, option: _Option, now: int) -> _Payload:
        """The nbstream ticker: 24-hour statistics with the book top and greeks."""
        units = option.units
        q = self._quote_texts(option, now)
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
            "A": _num(option.amount, 4),
            "P": _num(percent, 4),
            "p": units.price(change),
            "Q": units.quantity(option.last_qty) if option.last_qty else "0",
            "F": str(option.first_id),
            "L": str(option.last_id),
            "n": option.count,
            "bo": q["bo"],
            "ao": q["ao"],
            "bq": q["bq"],
            "aq": q["aq"],
            "b": q["b"] or "0",
            "a": q["a"] or "0",
            "d": q["d"],
            "t": q["t"],
            "g": q["g"],
            "v": q["v"],
            "vo": q["vo"],
            "mp": q["mp"],
            "hl": q["hl"],
            "ll": q["ll"],
            "eep": q["eep"],
        }

    @staticmethod
    def _f_ticker(option: _Option, now: int) -> _Payload:
        """The fstream ticker: 24-hour statistics only (the greeks are in the mark price)."""
        units = option.units
        change = option.close - option.open
        percent = change / option.open if option.open else 0.0
        average = option.amount / option.volume if option.volume else 0.0
        return {
            "e": "24hrTicker",
            "E": now,
            "s": option.name,
            "p": units.price(change),
            "P": _num(percent, 4),
            "w": _num(average, units.decimals + 2),
            "c": units.price(option.close),
            "Q": units.quantity(option.last_qty) if option.last_qty else "0",
            "o": units.price(option.open),
            "h": units.price(option.high),
            "l": units.price(option.low),
            "v": units.contracts(option.volume),
            "q": _num(option.amount, 4),
            "O": now - _DAY_MS,
            "C": now,
            "F": option.first_id,
            "L": option.last_id,
            "n": option.count,
        }

    def _f_mark(self, option: _Option, now: int) -> _Payload:
        """The fstream mark price: the mark with the book top, IVs and greeks.

        The book top is that of the fstream book (the one bookTicker, depth and the
        REST snapshot show) where it has one; prices agree with the quote's.
        """
        q = dict(self._quote_texts(option, now))
        book = self._fbook(option, now)
        units = option.units
        for side, price_key, quantity_key in ((book.bids, "bo", "bq"), (book.asks, "ao", "aq")):
            if side:
                q[price_key] = units.price(side[0][0])
                q[quantity_key] = units.quantity(side[0][1])
        return {
            "s": option.name,
            "mp": q["mp"],
            "E": now,
            "e": "markPrice",
            "i": q["i"],
            "P": q["eep"],
            "bo": q["bo"],
            "ao": q["ao"],
            "bq": q["bq"],
            "aq": q["aq"],
            "b": q["b"] or "-1.0",  # -1 means no quote on that side
            "a": q["a"] or "-1.0",
            "hl": q["hl"],
            "ll": q["ll"],
            "vo": q["vo"],
            "rf": "0",
            "d": q["d"],
            "t": q["t"],
            "g": q["g"],
            "v": q["v"],
        }

    @staticmethod
    def _book_ivs(option: _Option, quote: _Quote) -> Tuple[Optional[float], Optional[float]]:
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

    @staticmethod
    def _trade_payload(trade: _Trade, now: int) -> _Payload:
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

    @staticmethod
    def _f_trade_payload(trade: _Trade, now: int) -> _Payload:
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

    @staticmethod
    def _f_listing_payload(option: _Option, t: int) -> _Payload:
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
    def _new_candle(option: _Option, start: int, end: int) -> _Candle:
        """An empty candle opening at the last price before ``start``."""
        prior, seen = option.prior, 0
        for trade in reversed(option.trades):
            if trade.time < start:
                prior, seen = trade.price, trade.trade_id
                break
        else:
            if option.trades:  # history starts inside the candle
                seen = option.trades[0].trade_id - 1
        return _Candle(start, end, prior, seen)

    @staticmethod
    def _feed(candle: _Candle, option: _Option, until: int) -> None:
        """Add the option's trades after the candle's last one, up to ``until``."""
        fresh: List[_Trade] = []
        for trade in reversed(option.trades):
            if trade.trade_id <= candle.seen_id:
                break
            fresh.append(trade)
        for trade in reversed(fresh):
            if trade.time > until:
                break
            candle.add(trade, option.units)

    @staticmethod
    def _kline_payload(
        option: _Option,
        interval: str,
        candle: _Candle,
        now: int,
        *,
        closed: bool,
        fresh: bool = False,
    ) -> _Payload:
        """A kline; fstream (``fresh``) names the first trade id ``f`` instead of ``F``."""
        units = option.units
        return {
            "e": "kline",
            "E": now,
            "s": option.name,
            "k": {
                "t": candle.start,
                "T": candle.end,
                "s": option.name,
                "i": interval,
                "f" if fresh else "F": candle.first_id,
                "L": candle.last_id,
                "o": units.price(candle.open),
                "c": units.price(candle.close),
                "h": units.price(candle.high),
                "l": units.price(candle.low),
                "v": units.contracts(candle.volume),
                "n": candle.count,
                "x": closed,
                "q": _num(candle.quote_volume, 4),
                "V": units.contracts(candle.taker_volume),
                "Q": _num(candle.taker_quote_volume, 4),
            },
        }
