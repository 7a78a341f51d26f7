"""Black-Scholes prices, greeks and implied volatility for the synthetic market.

The risk-free rate is zero, which is close enough for options that live days or
weeks. Greeks follow the exchange's conventions: delta per unit of underlying,
gamma per 1 USDT move of the underlying, theta in USDT per calendar day, and
vega in USDT per volatility point (0.01).

Example:
    >>> quote = greeks(spot=100_000.0, strike=100_000.0, years=7 / 365, vol=0.5, is_call=True)
    >>> round(quote.price), round(quote.delta, 3)
    (2762, 0.514)

This module is pure: no sockets, threads or clocks.
"""

from __future__ import annotations

import math
from typing import NamedTuple, Optional

__all__ = ["YEAR_MS", "Greeks", "bs_price", "greeks", "implied_vol", "norm_cdf", "norm_pdf"]

#: Milliseconds in a (365-day) year, the unit of time to expiry.
YEAR_MS = 365 * 24 * 60 * 60 * 1000

_SQRT2 = math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_MIN_VOL = 1e-4
_MAX_VOL = 10.0


class Greeks(NamedTuple):
    """A Black-Scholes price with its sensitivities.

    Attributes:
        price: The option's value in USDT.
        delta: Change in value per 1 USDT move of the underlying.
        gamma: Change in delta per 1 USDT move of the underlying.
        theta: Change in value per calendar day (negative for a long option).
        vega: Change in value per volatility point (0.01 of annualised volatility).

    Example:
        >>> Greeks(10.0, 0.5, 0.001, -1.0, 2.0).vega
        2.0
    """

    price: float
    delta: float
    gamma: float
    theta: float
    vega: float


def norm_cdf(x: float) -> float:
    """The standard normal cumulative distribution function.

    Example:
        >>> norm_cdf(0.0)
        0.5
    """
    return 0.5 * (1.0 + math.erf(x / _SQRT2))


def norm_pdf(x: float) -> float:
    """The standard normal density.

    Example:
        >>> round(norm_pdf(0.0), 4)
        0.3989
    """
    return _INV_SQRT_2PI * math.exp(-0.5 * x * x)


def _intrinsic(spot: float, strike: float, is_call: bool) -> float:
    return max(spot - strike, 0.0) if is_call else max(strike - spot, 0.0)


def bs_price(spot: float, strike: float, years: float, vol: float, is_call: bool) -> float:
    """The Black-Scholes value of a European option with a zero rate.

    Args:
        spot: The underlying price.
        strike: The strike price.
        years: Time to expiry in years; zero or less gives the intrinsic value.
        vol: Annualised volatility, e.g. 0.5 for 50%.
        is_call: True for a call, False for a put.

    Returns:
        The option's value in the underlying's quote currency.

    Example:
        >>> round(bs_price(100.0, 100.0, 1.0, 0.2, True), 4)
        7.9656
    """
    if years <= 0.0 or vol <= 0.0:
        return _intrinsic(spot, strike, is_call)
    sd = vol * math.sqrt(years)
    d1 = (math.log(spot / strike) + 0.5 * sd * sd) / sd
    d2 = d1 - sd
    if is_call:
        return spot * norm_cdf(d1) - strike * norm_cdf(d2)
    return strike * norm_cdf(-d2) - spot * norm_cdf(-d1)


def greeks(spot: float, strike: float, years: float, vol: float, is_call: bool) -> Greeks:
    """The Black-Scholes value and greeks of a European option with a zero rate.

    Args:
        spot: The underlying price.
        strike: The strike price.
        years: Time to expiry in years; must be positive.
        vol: Annualised volatility; must be positive.
        is_call: True for a call, False for a put.

    Returns:
        The price and its greeks, in the exchange's units (see the module docstring).

    Example:
        >>> round(greeks(100.0, 100.0, 1.0, 0.2, False).delta, 4)
        -0.4602
    """
    sqrt_t = math.sqrt(years)
    sd = vol * sqrt_t
    d1 = (math.log(spot / strike) + 0.5 * sd * sd) / sd
    d2 = d1 - sd
    pdf = norm_pdf(d1)
    cdf_d1 = norm_cdf(d1)
    if is_call:
        price = spot * cdf_d1 - strike * norm_cdf(d2)
        delta = cdf_d1
    else:
        price = strike * norm_cdf(-d2) - spot * norm_cdf(-d1)
        delta = cdf_d1 - 1.0
    gamma = pdf / (spot * sd)
    theta = -spot * pdf * vol / (2.0 * sqrt_t) / 365.0
    vega = spot * pdf * sqrt_t / 100.0
    return Greeks(max(price, 0.0), delta, gamma, theta, vega)


def implied_vol(
    price: float,
    spot: float,
    strike: float,
    years: float,
    is_call: bool,
    guess: float = 0.5,
) -> Optional[float]:
    """The volatility at which the Black-Scholes value equals ``price``.

    Newton's method from ``guess`` (a good guess converges in two or three
    steps), falling back to bisection when Newton leaves the bracket.

    Args:
        price: The option price to match.
        spot: The underlying price.
        strike: The strike price.
        years: Time to expiry in years.
        is_call: True for a call, False for a put.
        guess: Where to start, e.g. the volatility the price was made from.

    Returns:
        The implied volatility, or None when no volatility gives ``price`` (at or
        below the intrinsic value, or at or above the no-arbitrage upper bound).

    Example:
        >>> price = bs_price(100.0, 110.0, 0.25, 0.6, True)
        >>> round(implied_vol(price, 100.0, 110.0, 0.25, True, guess=0.4), 6)
        0.6
    """
    upper = spot if is_call else strike
    if years <= 0.0 or not _intrinsic(spot, strike, is_call) < price < upper:
        return None
    low, high = _MIN_VOL, _MAX_VOL
    vol = min(max(guess, low), high)
    for _ in range(50):
        quote = greeks(spot, strike, years, vol, is_call)
        error = quote.price - price
        if abs(error) < 1e-9 * max(price, 1e-12):
            return vol
        if error > 0.0:
            high = vol
        else:
            low = vol
        step = error / (quote.vega * 100.0) if quote.vega > 1e-12 else math.inf
        vol = vol - step
        if not low < vol < high:
            vol = 0.5 * (low + high)
        if high - low < 1e-12:
            break
    return vol
