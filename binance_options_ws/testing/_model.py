"""The pieces the market simulation is built from: assets, calendars, prices in ticks.

Internal to :mod:`binance_options_ws.testing`: the constants and pure helpers of
:mod:`~binance_options_ws.testing.simulation` (the expiry grid, the strike
ladder, the volatility smile, kline windows), the description of each simulated
underlying, :class:`Units` (prices in ticks, quantities in lots, and their texts)
and :class:`IndexWalk` (an index following geometric Brownian motion).

This module is pure: no sockets, threads or clocks.
"""

from __future__ import annotations

import calendar
import datetime as _dt
import math
import random
from decimal import Decimal
from typing import Dict, List, NamedTuple, Tuple

from ..symbols import parse_expiration
from .pricing import YEAR_MS

__all__ = [
    "ASSETS",
    "DAY_MS",
    "HOUR_MS",
    "MINUTE_MS",
    "MIN_YEARS",
    "SUPPORTED_UNDERLYINGS",
    "AssetSpec",
    "IndexWalk",
    "Ladder",
    "Levels",
    "Units",
    "decimal_text",
    "expiry_at",
    "expiry_grid",
    "fixed",
    "from_ms",
    "half_spread",
    "java_double",
    "kline_window",
    "mix",
    "next_due",
    "num",
    "smile",
    "strike_ladder",
    "to_date",
    "to_ms",
]

MINUTE_MS = 60_000
HOUR_MS = 60 * MINUTE_MS
DAY_MS = 24 * HOUR_MS
_EXPIRY_HOUR = 8  # Binance options expire at 08:00 UTC
_DAILY_EXPIRIES = 3
_WEEKLY_EXPIRIES = 4
_MONTHLY_EXPIRIES = 2
_STRIKES_TARGET = 14  # roughly how many strikes an expiry gets
_SMILE_CURVATURE = 0.045  # IV rises by this fraction of ATM per squared standard deviation
_SMILE_SKEW = -0.03  # puts a little richer than calls
_WALK_STEP_MS = 100
_WALK_MAX_STEPS = 600  # beyond a minute, the rest of a gap is one exact step
MIN_YEARS = MINUTE_MS / YEAR_MS
_WEEK_ORIGIN_MS = 4 * DAY_MS  # 1970-01-05 was a Monday: weekly klines start on Mondays
_TEXT_CACHE = 50_000  # cached price and quantity texts per underlying
_FIXED_INTERVALS_MS = {
    "1m": MINUTE_MS,
    "3m": 3 * MINUTE_MS,
    "5m": 5 * MINUTE_MS,
    "15m": 15 * MINUTE_MS,
    "30m": 30 * MINUTE_MS,
    "1h": HOUR_MS,
    "2h": 2 * HOUR_MS,
    "4h": 4 * HOUR_MS,
    "6h": 6 * HOUR_MS,
    "8h": 8 * HOUR_MS,
    "12h": 12 * HOUR_MS,
    "1d": DAY_MS,
    "3d": 3 * DAY_MS,
}

#: Book levels as the exchange writes them: ``[["price", "quantity"], ...]``.
Levels = List[List[str]]
#: Book levels as ``(price in ticks, quantity in lots)``, best first.
Ladder = List[Tuple[int, int]]


class AssetSpec(NamedTuple):
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
    price_scale: int  # decimals of every fstream price (exchange info's ``priceScale``)
    quantity_scale: int = 2  # decimals of every fstream quantity (``quantityScale``)


ASSETS: Dict[str, AssetSpec] = {
    "BTC": AssetSpec(100_000.0, 0.50, 5.0, 0, "0.01", 2, 0.01, 3.0, 60.0, 3),
    "ETH": AssetSpec(3_500.0, 0.60, 0.1, 1, "0.01", 2, 0.1, 40.0, 600.0, 4),
    "BNB": AssetSpec(650.0, 0.45, 0.1, 1, "0.01", 2, 0.1, 50.0, 500.0, 3),
    "SOL": AssetSpec(180.0, 0.75, 0.01, 2, "0.01", 2, 1.0, 200.0, 3_000.0, 3),
    "XRP": AssetSpec(2.3, 0.80, 0.0001, 4, "1", 0, 50.0, 20_000.0, 200_000.0, 4),
    "DOGE": AssetSpec(0.25, 0.85, 0.0001, 4, "1", 0, 500.0, 200_000.0, 2_000_000.0, 5),
}

#: The underlyings :class:`SyntheticMarket` can simulate.
SUPPORTED_UNDERLYINGS: Tuple[str, ...] = tuple(ASSETS)


# --------------------------------------------------------------------------
# Small pure helpers
# --------------------------------------------------------------------------


_FORMATS = tuple(f".{decimals}f" for decimals in range(12))


def num(value: float, decimals: int) -> str:
    """A number as the exchange writes it: fixed decimals, trailing zeros dropped."""
    text = format(value, _FORMATS[decimals])
    if decimals:
        text = text.rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def fixed(value: float, decimals: int) -> str:
    """A number as fstream writes it: exactly ``decimals`` decimals, zeros kept.

    Example:
        >>> fixed(1420, 3), fixed(-0.0001, 2), fixed(0, 1)
        ('1420.000', '0.00', '0.0')
    """
    text = format(value, _FORMATS[decimals])
    return text[1:] if text.startswith("-") and not text.strip("-0.") else text


_JAVA_PLAIN_LOW = 1e-3
_JAVA_PLAIN_HIGH = 1e7


def java_double(value: float) -> str:
    """A number as Java's ``Double.toString`` writes it (the legacy open interest).

    The shortest digits that read back as ``value``, with at least one decimal;
    in exponent form below 0.001 and from 10 million up.

    Example:
        >>> java_double(7), java_double(16711317.692476314), java_double(0.0)
        ('7.0', '1.6711317692476314E7', '0.0')
    """
    if value == 0 or not math.isfinite(value):
        return "0.0" if value == 0 else repr(value)
    sign = "-" if value < 0 else ""
    digits_tuple = Decimal(repr(abs(value))).normalize().as_tuple()
    digits = "".join(map(str, digits_tuple.digits))
    exponent = len(digits) + int(digits_tuple.exponent) - 1  # of the first digit
    if _JAVA_PLAIN_LOW <= abs(value) < _JAVA_PLAIN_HIGH:
        if exponent >= 0:
            whole, frac = digits[: exponent + 1].ljust(exponent + 1, "0"), digits[exponent + 1 :]
        else:
            whole, frac = "0", "0" * (-exponent - 1) + digits
        return f"{sign}{whole}.{frac or '0'}"
    return f"{sign}{digits[0]}.{digits[1:] or '0'}E{exponent}"


def decimal_text(value: Decimal) -> str:
    """A decimal without an exponent or trailing zeros, e.g. ``Decimal("2.50")`` -> ``"2.5"``."""
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def to_ms(moment: _dt.datetime) -> int:
    """Milliseconds since the epoch of a datetime (naive means UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=_dt.timezone.utc)
    return round(moment.timestamp() * 1000)


def from_ms(ms: float) -> _dt.datetime:
    """The UTC datetime of milliseconds since the epoch."""
    return _dt.datetime.fromtimestamp(ms / 1000.0, tz=_dt.timezone.utc)


def expiry_at(date: _dt.date) -> int:
    """The expiry instant of a date: 08:00 UTC."""
    return to_ms(_dt.datetime(date.year, date.month, date.day, _EXPIRY_HOUR))


def to_date(value: object) -> _dt.date:
    """An expiry date given as a ``datetime.date`` or ``"YYMMDD"``.

    Raises:
        ValueError: If ``value`` is neither (an ``InvalidStreamError``).
    """
    return parse_expiration(value)


def _last_friday(year: int, month: int) -> _dt.date:
    """The last Friday of a month."""
    last = _dt.date(year, month, calendar.monthrange(year, month)[1])
    return last - _dt.timedelta(days=(last.weekday() - calendar.FRIDAY) % 7)


def expiry_grid(now_ms: float) -> List[int]:
    """Dailies, Fridays and month-end Fridays after ``now_ms``, as 08:00 UTC instants."""
    now = from_ms(now_ms)
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
    return sorted({expiry_at(day) for day in dailies + weeklies + monthlies})


def _nice_step(raw: float) -> Decimal:
    """The smallest of 1, 2, 2.5, 5 times a power of ten that is at least ``raw``."""
    exponent = math.floor(math.log10(raw))
    scale = Decimal(10) ** exponent
    for mantissa in ("1", "2", "2.5", "5", "10"):
        step = Decimal(mantissa) * scale
        if step >= Decimal(repr(raw)):
            return step
    return Decimal(10) * scale  # pragma: no cover - "10" always matches


def strike_ladder(spot: float, vol: float, years: float) -> List[Decimal]:
    """Strikes on a round increment covering about two standard deviations of spot."""
    width = spot * min(0.8, max(0.04, 2.2 * vol * math.sqrt(years)))
    step = _nice_step(2.0 * width / _STRIKES_TARGET)
    size = float(step)
    low = max(1, math.ceil((spot - width) / size))
    high = max(low, math.floor((spot + width) / size))
    return [step * k for k in range(low, high + 1)]


def smile(vol: float, strike: float, spot: float, years: float) -> Tuple[float, float]:
    """The implied volatility of a strike, and its distance from spot in standard deviations."""
    atm = vol * (1.0 + 0.15 * math.exp(-years * 365.0 / 7.0))  # short dates a little richer
    x = math.log(strike / spot) / (atm * math.sqrt(years))
    x = min(4.0, max(-4.0, x))
    return atm * (1.0 + _SMILE_CURVATURE * x * x + _SMILE_SKEW * x), x


def half_spread(x: float) -> float:
    """Half the book's width in volatility: a few points, wider away from the money."""
    return 0.015 + 0.005 * abs(x)


def kline_window(interval: str, t: int) -> Tuple[int, int]:
    """The first and last millisecond of the ``interval`` candle that contains ``t``."""
    size = _FIXED_INTERVALS_MS.get(interval)
    if size is not None:
        start = t // size * size
        return start, start + size - 1
    if interval == "1w":
        week = 7 * DAY_MS
        start = (t - _WEEK_ORIGIN_MS) // week * week + _WEEK_ORIGIN_MS
        return start, start + week - 1
    moment = from_ms(t)  # "1M": calendar months
    first = _dt.datetime(moment.year, moment.month, 1, tzinfo=_dt.timezone.utc)
    year, month = (moment.year + 1, 1) if moment.month == 12 else (moment.year, moment.month + 1)
    following = _dt.datetime(year, month, 1, tzinfo=_dt.timezone.utc)
    return to_ms(first), to_ms(following) - 1


def next_due(due: float, period: float, now: int) -> float:
    """The first time on the grid ``due + k * period`` strictly after ``now``."""
    return due + (math.floor((now - due) / period) + 1) * period


def mix(*parts: int) -> int:
    """One integer seed from several (for ``random.Random``)."""
    seed = 0
    for part in parts:
        seed = (seed * 1_000_003) ^ (part & 0xFFFF_FFFF_FFFF_FFFF)
    return seed


# --------------------------------------------------------------------------
# Units and the index
# --------------------------------------------------------------------------


class Units:
    """One underlying's price ticks and lot sizes, with their texts cached.

    Prices are kept in ticks and quantities in lots (integers), so books and
    trades are exact and their texts can be reused: formatting is the hot path.
    """

    __slots__ = (
        "_fixed_prices",
        "_fixed_quantities",
        "_log_high",
        "_log_low",
        "_prices",
        "_quantities",
        "_typical_book",
        "decimals",
        "lot",
        "price_scale",
        "qty_decimals",
        "quantity_scale",
        "tick",
    )

    decimals: int
    lot: float
    price_scale: int
    qty_decimals: int
    quantity_scale: int
    tick: float

    def __init__(self, spec: AssetSpec) -> None:
        self.tick = spec.tick
        self.decimals = spec.decimals
        self.lot = float(spec.min_qty)
        self.qty_decimals = spec.qty_decimals
        self._log_low = math.log(spec.qty_low / self.lot)
        self._log_high = math.log(spec.qty_high / self.lot)
        self._typical_book = 2.0 * math.sqrt(spec.qty_low * spec.qty_high) / self.lot
        self.price_scale = spec.price_scale
        self.quantity_scale = spec.quantity_scale
        self._prices: Dict[int, str] = {}
        self._quantities: Dict[int, str] = {}
        self._fixed_prices: Dict[int, str] = {}
        self._fixed_quantities: Dict[int, str] = {}

    def price(self, ticks: int) -> str:
        """The text of a price given in ticks, e.g. ``945`` ticks of 5 -> ``"4725"``."""
        text = self._prices.get(ticks)
        if text is None:
            if len(self._prices) > _TEXT_CACHE:
                self._prices.clear()
            text = self._prices[ticks] = num(ticks * self.tick, self.decimals)
        return text

    def quantity(self, lots: int) -> str:
        """The text of a quantity given in lots, e.g. ``13`` lots of 0.01 -> ``"0.13"``."""
        text = self._quantities.get(lots)
        if text is None:
            if len(self._quantities) > _TEXT_CACHE:
                self._quantities.clear()
            text = self._quantities[lots] = num(lots * self.lot, self.qty_decimals)
        return text

    def contracts(self, value: float) -> str:
        """The text of a quantity in contracts (volumes, open interest)."""
        return num(value, self.qty_decimals)

    def fixed_price(self, ticks: int) -> str:
        """A price in ticks as fstream writes it: ``price_scale`` decimals, e.g. ``"4725.000"``."""
        text = self._fixed_prices.get(ticks)
        if text is None:
            if len(self._fixed_prices) > _TEXT_CACHE:
                self._fixed_prices.clear()
            text = self._fixed_prices[ticks] = fixed(ticks * self.tick, self.price_scale)
        return text

    def fixed_quantity(self, lots: int) -> str:
        """A quantity in lots as fstream writes it: ``quantity_scale`` decimals, e.g. ``"0.13"``."""
        text = self._fixed_quantities.get(lots)
        if text is None:
            if len(self._fixed_quantities) > _TEXT_CACHE:
                self._fixed_quantities.clear()
            text = self._fixed_quantities[lots] = fixed(lots * self.lot, self.quantity_scale)
        return text

    def fixed_contracts(self, value: float) -> str:
        """A quantity in contracts as fstream writes it (volumes, open interest)."""
        return fixed(value, self.quantity_scale)

    def fixed_value(self, value: float) -> str:
        """A price that is not a whole number of ticks (mark, average) at ``price_scale``."""
        return fixed(value, self.price_scale)

    def trade_lots(self, rng: random.Random) -> int:
        """A trade size: log-uniform between the underlying's small and large trades."""
        return max(1, round(math.exp(rng.uniform(self._log_low, self._log_high))))

    def book_lots(self, rng: random.Random) -> int:
        """The size of one book level: a typical size times a factor from 0.2 to 4.5."""
        return max(1, int(self._typical_book * math.exp(3.0 * (rng.random() - 0.5))))


class IndexWalk:
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
            self._jump(min((steps - _WALK_MAX_STEPS) * _WALK_STEP_MS, DAY_MS))
            steps = _WALK_MAX_STEPS
        value, drift, diffusion, gauss = self.value, self._drift, self._diffusion, self._rng.gauss
        for _ in range(steps):
            value *= math.exp(drift + diffusion * gauss(0.0, 1.0))
        self.value = value
        return value

    def _jump(self, gap_ms: float) -> None:
        """Cross a long gap in one exact step."""
        years = gap_ms / YEAR_MS
        shock = self._vol * math.sqrt(years) * self._rng.gauss(0.0, 1.0)
        self.value *= math.exp(-0.5 * self._vol * self._vol * years + shock)
