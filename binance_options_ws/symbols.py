"""Option symbols, sides, expiries and strikes: one copy of each check.

:class:`OptionSymbol` parses and formats symbols such as ``BTC-260925-100000-C``;
:class:`OptionSide` is a call or a put. The helpers below are what every other
module uses to read a side, an expiry or a strike from a user or from the wire,
so that each rule (and each error message) exists once.

Example:
    >>> from binance_options_ws.symbols import OptionSymbol
    >>> OptionSymbol.parse("eth-261225-3500-p").name
    'ETH-261225-3500-P'

This module is pure: no sockets, threads or clocks.
"""

from __future__ import annotations

import datetime as _dt
import enum
import re
from decimal import Decimal, InvalidOperation
from typing import Optional, Union

import attrs

from .exceptions import InvalidStreamError, InvalidStreamTypeError

__all__ = [
    "EXPIRY_HOUR_UTC",
    "OptionSide",
    "OptionSymbol",
    "check_not_expired",
    "check_text",
    "option_symbol_name",
    "parse_expiration",
    "parse_side",
    "parse_strike",
    "parse_underlying_asset",
    "parse_yymmdd",
    "read_side",
]

_FORBIDDEN = frozenset("/?&#%\"'`\\")
#: An underlying asset or pair: letters and digits, as the exchange writes them.
UNDERLYING_RE = re.compile(r"[A-Z0-9]{2,20}")
_SYMBOL_RE = re.compile(r"([A-Z0-9]{2,20})-(\d{6})-(\d+(?:\.\d+)?)-([CP])")
_EXAMPLE_SYMBOL = "BTC-260925-100000-C"
_SIDE_CHOICES = "'CALL', 'PUT' (or 'C', 'P')"


class OptionSide(str, enum.Enum):
    """Whether an option is a call or a put. Compares equal to ``"CALL"``/``"PUT"``."""

    CALL = "CALL"
    PUT = "PUT"

    def __str__(self) -> str:
        return self.value


def check_text(value: object, what: str) -> str:
    """``value`` as a non-empty string with nothing that could break a URL.

    An :class:`OptionSymbol` gives its name.

    Raises:
        InvalidStreamError: Naming ``what``, the bad value and what is allowed.

    Example:
        >>> check_text("BTC", "underlying")
        'BTC'
    """
    if isinstance(value, OptionSymbol):
        return value.name
    if not isinstance(value, str):
        raise InvalidStreamTypeError(
            f"{what} must be a string, got {value!r} ({type(value).__name__})"
        )
    if not value:
        raise InvalidStreamError(f"{what} must not be empty, got {value!r}")
    for char in value:
        if char in _FORBIDDEN or char.isspace() or not char.isprintable():
            raise InvalidStreamError(
                f"{what} {value!r} contains {char!r}; stream names cannot contain "
                "/ ? & # %, quotes, backslashes, whitespace or control characters"
            )
    return value


def parse_yymmdd(text: str, what: str = "expiration") -> _dt.date:
    """A ``YYMMDD`` date such as ``"260925"``.

    Raises:
        InvalidStreamError: If ``text`` is not six digits of a real calendar date.

    Example:
        >>> parse_yymmdd("261225")
        datetime.date(2026, 12, 25)
    """
    if len(text) != 6 or not text.isdigit():
        raise InvalidStreamError(
            f"{what} must be YYMMDD (e.g. 260925) or a datetime.date, got {text!r}"
        )
    try:
        return _dt.date(2000 + int(text[:2]), int(text[2:4]), int(text[4:]))
    except ValueError:
        raise InvalidStreamError(
            f"{what} must be a real calendar date as YYMMDD, got {text!r}"
        ) from None


#: The hour (UTC) at which Binance's options expire and are delisted.
EXPIRY_HOUR_UTC = 8


def check_not_expired(
    expiration: _dt.date, what: str, now: Optional[_dt.datetime] = None
) -> _dt.date:
    """``expiration`` itself, unless options of that date have expired (08:00 UTC) by ``now``.

    A stream of an expired option is accepted by the exchange and stays silent
    for ever, so the subscribe methods refuse it at once.

    Args:
        expiration: The expiry date.
        what: What is checked, for the message (``"'BTC-200101-100000-C'"``).
        now: The current time (an aware datetime); None means now.

    Raises:
        InvalidStreamError: Naming the date and today's date (UTC).

    Example:
        >>> check_not_expired(_dt.date(2020, 1, 1), "'BTC-200101-100000-C'")
        Traceback (most recent call last):
        ...
        binance_options_ws.exceptions.InvalidStreamError: 'BTC-200101-100000-C' expired on ...
    """
    now = now or _dt.datetime.now(_dt.timezone.utc)
    expiry = _dt.datetime.combine(expiration, _dt.time(EXPIRY_HOUR_UTC), tzinfo=_dt.timezone.utc)
    if expiry <= now:
        raise InvalidStreamError(
            f"{what} expired on {expiration.isoformat()} at {EXPIRY_HOUR_UTC:02d}:00 UTC; "
            f"today is {now.date().isoformat()} (UTC): its stream would stay silent. "
            "List the live expiries with RestClient().exchange_info().expirations(...)"
        )
    return expiration


def parse_expiration(value: object) -> _dt.date:
    """An expiry from ``"YYMMDD"``, a ``datetime.date`` or a ``datetime``.

    Raises:
        InvalidStreamError: If the value is none of those, or a year YYMMDD cannot write.

    Example:
        >>> parse_expiration("260925")
        datetime.date(2026, 9, 25)
    """
    if isinstance(value, _dt.datetime):
        value = value.date()
    if isinstance(value, _dt.date):
        if not 2000 <= value.year <= 2099:  # YYMMDD cannot write any other year
            raise InvalidStreamError(
                f"expiration must be a date from 2000-01-01 to 2099-12-31 (YYMMDD), "
                f"got {value.isoformat()!r}"
            )
        return value
    if not isinstance(value, str):
        raise InvalidStreamTypeError(
            f"expiration must be a string YYMMDD (e.g. 260925) or a datetime.date, "
            f"got {value!r} ({type(value).__name__})"
        )
    return parse_yymmdd(check_text(value, "expiration"), "expiration")


def parse_strike(value: object) -> Decimal:
    """A strike price, exact and written as the exchange writes it (``1E+5`` -> ``100000``).

    Raises:
        InvalidStreamError: If the value is not a positive finite number.

    Example:
        >>> parse_strike(100000.0)
        Decimal('100000')
    """
    if isinstance(value, bool) or not isinstance(value, (int, float, str, Decimal)):
        raise InvalidStreamTypeError(f"strike must be a positive number, got {value!r}")
    try:
        strike = Decimal(str(value))
    except InvalidOperation:
        raise InvalidStreamError(f"strike must be a positive number, got {value!r}") from None
    if not strike.is_finite() or strike <= 0:
        raise InvalidStreamError(f"strike must be a positive number, got {value!r}")
    return Decimal(format(strike.normalize(), "f"))


def read_side(value: object) -> Optional[OptionSide]:
    """The side a value names (``"CALL"``, ``"c"``, ``OptionSide.PUT``, ...), or None.

    Example:
        >>> read_side("p"), read_side("sideways")
        (<OptionSide.PUT: 'PUT'>, None)
    """
    if isinstance(value, OptionSide):
        return value
    if isinstance(value, str):
        text = value.upper()
        if text in ("C", "CALL"):
            return OptionSide.CALL
        if text in ("P", "PUT"):
            return OptionSide.PUT
    return None


def parse_side(value: object) -> OptionSide:
    """Like :func:`read_side`, but a value that names no side is an error.

    Raises:
        InvalidStreamError: Naming the value and the valid choices.

    Example:
        >>> parse_side("CALL")
        <OptionSide.CALL: 'CALL'>
    """
    side = read_side(value)
    if side is None:
        raise InvalidStreamError(f"side must be one of {_SIDE_CHOICES}, got {value!r}")
    return side


#: Quote assets of the underlying index pairs (ETHUSDT, BTCUSDT, ...).
QUOTE_ASSETS = ("USDT", "USDC")


def parse_underlying_asset(value: object) -> str:
    """A base asset such as ``ETH``, uppercase; a pair or an option symbol gets a hint.

    Raises:
        InvalidStreamError: Naming the value and, where it can, the asset meant.

    Example:
        >>> parse_underlying_asset("eth")
        'ETH'
    """
    text = check_text(value, "underlying").upper()
    for quote in QUOTE_ASSETS:
        if text.endswith(quote) and len(text) > len(quote):
            raise InvalidStreamError(
                f"underlying must be the base asset such as 'ETH' or 'BTC', not a pair: "
                f"got {value!r}, did you mean {text[: -len(quote)]!r}?"
            )
    if "-" in text:
        raise InvalidStreamError(
            f"underlying must be the base asset such as 'ETH' or 'BTC', not an option "
            f"symbol: got {value!r}, did you mean {text.split('-')[0]!r}?"
        )
    if not UNDERLYING_RE.fullmatch(text):
        raise InvalidStreamError(
            f"underlying must be letters and digits such as 'ETH' or 'BTC', got {value!r}"
        )
    return text


@attrs.frozen(order=True)
class OptionSymbol:
    """An option symbol such as ``BTC-260925-100000-C``, taken apart.

    Symbols sort as a chain does: by underlying, then expiration, then strike,
    calls before puts.

    Attributes:
        underlying: The base asset, e.g. ``"BTC"``.
        expiration: The expiry date.
        strike: The strike price, kept exact as a ``Decimal`` without trailing zeros
            (``100000.0`` is ``Decimal('100000')``, as the exchange writes it).
        side: ``OptionSide.CALL`` or ``OptionSide.PUT`` (equal to ``"CALL"``/``"PUT"``).

    Example:
        >>> symbol = OptionSymbol.parse("btc-260925-100000-c")
        >>> symbol.strike, symbol.side, str(symbol)
        (Decimal('100000'), <OptionSide.CALL: 'CALL'>, 'BTC-260925-100000-C')
    """

    underlying: str = attrs.field(converter=parse_underlying_asset)
    expiration: _dt.date = attrs.field(converter=parse_expiration)
    strike: Decimal = attrs.field(converter=parse_strike)
    side: OptionSide = attrs.field(converter=parse_side)

    @classmethod
    def parse(cls, text: Union[str, OptionSymbol]) -> OptionSymbol:
        """Parse ``UNDERLYING-YYMMDD-STRIKE-C|P`` (any case) into an :class:`OptionSymbol`.

        Args:
            text: The symbol, e.g. ``"BTC-260925-100000-C"``.

        Returns:
            The parsed symbol.

        Raises:
            InvalidStreamError: If ``text`` is not an option symbol with a real date.

        Example:
            >>> OptionSymbol.parse("ETH-261225-3500-P").expiration
            datetime.date(2026, 12, 25)
        """
        if isinstance(text, OptionSymbol):
            return text
        raw = check_text(text, "symbol")
        match = _SYMBOL_RE.fullmatch(raw.upper())
        if match is None:
            raise InvalidStreamError(
                f"symbol must be an option symbol UNDERLYING-YYMMDD-STRIKE-C|P "
                f"such as {_EXAMPLE_SYMBOL!r}, got {text!r}"
            )
        underlying, yymmdd, strike, side = match.groups()
        expiration = parse_yymmdd(yymmdd, f"the expiration in symbol {text!r}")
        return cls(underlying, expiration, Decimal(strike), side)

    @classmethod
    def read(cls, text: object) -> Optional[OptionSymbol]:
        """Like :meth:`parse`, but anything that is not a symbol gives None.

        Example:
            >>> OptionSymbol.read("BTCUSDT") is None
            True
        """
        if isinstance(text, OptionSymbol):
            return text
        if not isinstance(text, str):
            return None
        try:
            return cls.parse(text)
        except InvalidStreamError:
            return None

    @property
    def name(self) -> str:
        """The symbol as the exchange writes it, e.g. ``"BTC-260925-100000-C"``."""
        strike = format(self.strike, "f")
        return f"{self.underlying}-{self.expiration:%y%m%d}-{strike}-{self.side.value[0]}"

    @property
    def is_call(self) -> bool:
        """True for a call."""
        return self.side is OptionSide.CALL

    @property
    def is_put(self) -> bool:
        """True for a put."""
        return self.side is OptionSide.PUT

    def __str__(self) -> str:
        return self.name


def option_symbol_name(value: object) -> str:
    """The exchange's spelling of an option symbol given as text (any case) or an OptionSymbol.

    Raises:
        InvalidStreamError: If ``value`` is not an option symbol.

    Example:
        >>> option_symbol_name("btc-260925-100000-c")
        'BTC-260925-100000-C'
    """
    if isinstance(value, OptionSymbol):
        return value.name
    return OptionSymbol.parse(check_text(value, "symbol")).name
