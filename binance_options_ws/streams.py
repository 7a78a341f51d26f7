"""Stream names: build them, check them and read them back.

One builder per documented stream returns the exact name to subscribe to::

    >>> from binance_options_ws import streams
    >>> streams.ticker("btc-260925-100000-c")
    'BTC-260925-100000-C@ticker'
    >>> streams.depth("BTC-260925-100000-C", levels=20, speed="100ms")
    'BTC-260925-100000-C@depth20@100ms'

:func:`parse_stream` reads any valid name back into a :class:`StreamName`, and
:class:`OptionSymbol` parses and formats option symbols such as
``BTC-260925-100000-C``. Every bad value raises :class:`InvalidStreamError` (a
``ValueError``) naming the value and the valid choices.

The module also holds the endpoint's facts: the default base URL, how raw and
combined URLs are formed, and the documented limits.

This module is pure: no sockets, threads or clocks.
"""

from __future__ import annotations

import datetime as _dt
import enum
import re
from decimal import Decimal, InvalidOperation
from typing import Iterable, Optional, Sequence, Union, cast

import attrs

from .exceptions import InvalidStreamError

__all__ = [
    "CONNECTION_LIFETIME",
    "DEFAULT_BASE_URL",
    "DEFAULT_DEPTH_SPEED",
    "DEPTH_LEVELS",
    "DEPTH_SPEEDS",
    "INTERVALS",
    "MAX_MESSAGES_PER_SECOND",
    "MAX_STREAMS_PER_CONNECTION",
    "NEW_SYMBOL_INFO_STREAM",
    "OptionSide",
    "OptionSymbol",
    "StreamKind",
    "StreamName",
    "combined_url",
    "depth",
    "index",
    "kline",
    "mark_price",
    "new_symbol_info",
    "open_interest",
    "parse_stream",
    "raw_url",
    "ticker",
    "ticker_by_expiration",
    "trade",
]

# --------------------------------------------------------------------------
# The endpoint's facts (from Binance's options WebSocket documentation)
# --------------------------------------------------------------------------

#: Where the documented options market streams live.
DEFAULT_BASE_URL = "wss://nbstream.binance.com/eoptions"
#: A single connection can listen to at most this many streams.
MAX_STREAMS_PER_CONNECTION = 200
#: A connection may send at most this many messages per second (pings and pongs count).
MAX_MESSAGES_PER_SECOND = 10
#: A single connection is only valid for this many seconds (24 hours).
CONNECTION_LIFETIME = 24 * 60 * 60

#: Kline intervals, from the documentation's enum.
INTERVALS = (
    "1m", "3m", "5m", "15m", "30m",
    "1h", "2h", "4h", "6h", "8h", "12h",
    "1d", "3d", "1w", "1M",
)  # fmt: skip
#: Valid partial book depth levels.
DEPTH_LEVELS = (10, 20, 50, 100)
#: Valid depth update speeds. 500ms is the default and is written without a suffix.
DEPTH_SPEEDS = ("100ms", "500ms", "1000ms")
DEFAULT_DEPTH_SPEED = "500ms"
#: The name of the new symbol listing stream.
NEW_SYMBOL_INFO_STREAM = "option_pair"

# Quote assets of the underlying index pairs (ETHUSDT, BTCUSDT, ...).
_QUOTE_ASSETS = ("USDT", "USDC")
_EXAMPLE_SYMBOL = "BTC-260925-100000-C"


class StreamKind(str, enum.Enum):
    """The kinds of stream: the nine of the original nbstream endpoint, and two more that only
    the 2026 ``fstream`` endpoint has (``BOOK_TICKER`` and ``DIFF_DEPTH``)."""

    INDEX = "index"
    KLINE = "kline"
    MARK_PRICE = "mark_price"
    NEW_SYMBOL_INFO = "new_symbol_info"
    OPEN_INTEREST = "open_interest"
    DEPTH = "depth"
    TICKER = "ticker"
    TICKER_BY_EXPIRATION = "ticker_by_expiration"
    TRADE = "trade"
    BOOK_TICKER = "book_ticker"
    DIFF_DEPTH = "diff_depth"

    def __str__(self) -> str:
        return self.value


class OptionSide(str, enum.Enum):
    """Whether an option is a call or a put. Compares equal to ``"CALL"``/``"PUT"``."""

    CALL = "CALL"
    PUT = "PUT"

    def __str__(self) -> str:
        return self.value


# --------------------------------------------------------------------------
# Checks shared by every builder
# --------------------------------------------------------------------------

_FORBIDDEN = frozenset("/?&#%\"'`\\")
_UNDERLYING_RE = re.compile(r"[A-Z0-9]{2,20}")
_SYMBOL_RE = re.compile(r"([A-Z0-9]{2,20})-(\d{6})-(\d+(?:\.\d+)?)-([CP])")


def _fail(message: str) -> InvalidStreamError:
    return InvalidStreamError(message)


def _text(value: object, what: str) -> str:
    """Check that ``value`` is a non-empty string with nothing that could break a URL."""
    if isinstance(value, OptionSymbol):
        return value.name
    if not isinstance(value, str):
        raise _fail(f"{what} must be a string, got {value!r} ({type(value).__name__})")
    if not value:
        raise _fail(f"{what} must not be empty, got {value!r}")
    for char in value:
        if char in _FORBIDDEN or char.isspace() or not char.isprintable():
            raise _fail(
                f"{what} {value!r} contains {char!r}; stream names cannot contain "
                "/ ? & # %, quotes, backslashes, whitespace or control characters"
            )
    return value


def _parse_yymmdd(text: str, what: str) -> _dt.date:
    if len(text) != 6 or not text.isdigit():
        raise _fail(f"{what} must be YYMMDD (e.g. 260925) or a datetime.date, got {text!r}")
    try:
        return _dt.date(2000 + int(text[:2]), int(text[2:4]), int(text[4:]))
    except ValueError:
        raise _fail(f"{what} must be a real calendar date as YYMMDD, got {text!r}") from None


def _underlying_asset(value: object) -> str:
    """A base asset such as ``ETH``, as used by markPrice, openInterest and ticker streams."""
    text = _text(value, "underlying").upper()
    for quote in _QUOTE_ASSETS:
        if text.endswith(quote) and len(text) > len(quote):
            raise _fail(
                f"underlying must be the base asset such as 'ETH' or 'BTC', not a pair: "
                f"got {value!r}, did you mean {text[: -len(quote)]!r}?"
            )
    if "-" in text:
        raise _fail(
            f"underlying must be the base asset such as 'ETH' or 'BTC', not an option "
            f"symbol: got {value!r}, did you mean {text.split('-')[0]!r}?"
        )
    if not _UNDERLYING_RE.fullmatch(text):
        raise _fail(f"underlying must be letters and digits such as 'ETH' or 'BTC', got {value!r}")
    return text


def _index_pair(value: object) -> str:
    """An underlying index pair such as ``ETHUSDT``, as used by the index stream."""
    text = _text(value, "index symbol").upper()
    if not _UNDERLYING_RE.fullmatch(text):
        raise _fail(f"index symbol must be a pair such as 'ETHUSDT' or 'BTCUSDT', got {value!r}")
    if not text.endswith(_QUOTE_ASSETS) or text in _QUOTE_ASSETS:
        raise _fail(
            f"index symbol must be a pair ending in {' or '.join(_QUOTE_ASSETS)} such as "
            f"'ETHUSDT' or 'BTCUSDT', got {value!r}, did you mean {text + 'USDT'!r}?"
        )
    return text


def _option_symbol(value: object) -> str:
    if isinstance(value, OptionSymbol):
        return value.name
    return OptionSymbol.parse(_text(value, "symbol")).name


def _interval(value: object, choices: Sequence[str] = (), where: str = "") -> str:
    """A kline interval; ``choices`` defaults to :data:`INTERVALS`, ``where`` names the endpoint."""
    choices = choices or INTERVALS
    if value not in choices:
        raise _fail(f"interval must be one of {', '.join(choices)}{where}, got {value!r}")
    return str(value)


def _levels(value: object, choices: Sequence[int] = (), where: str = "") -> int:
    """Depth levels (digits in a string work too); ``choices`` defaults to :data:`DEPTH_LEVELS`."""
    choices = choices or DEPTH_LEVELS
    number: object = value
    if isinstance(value, str) and value.isdigit():
        number = int(value)
    if isinstance(number, bool) or number not in choices:
        listed = ", ".join(str(level) for level in choices)
        raise _fail(f"levels must be one of {listed}{where}, got {value!r}")
    return int(cast(int, number))  # a member of choices: an int, or a float equal to one


def _speed(value: object, choices: Sequence[str] = (), where: str = "") -> str:
    """A depth update speed such as ``'100ms'`` (ints in ms work too); None is the default.

    ``choices`` defaults to :data:`DEPTH_SPEEDS`; ``where`` names the endpoint.
    """
    if value is None:
        return DEFAULT_DEPTH_SPEED
    choices = choices or DEPTH_SPEEDS
    text = f"{value}ms" if isinstance(value, int) and not isinstance(value, bool) else value
    if text not in choices:
        raise _fail(
            f"speed must be one of {', '.join(choices)}{where} "
            f"(None means {DEFAULT_DEPTH_SPEED}), got {value!r}"
        )
    return str(text)


# --------------------------------------------------------------------------
# Option symbols
# --------------------------------------------------------------------------


def _to_strike(value: object) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (int, float, str, Decimal)):
        raise _fail(f"strike must be a positive number, got {value!r}")
    try:
        strike = Decimal(str(value))
    except InvalidOperation:
        raise _fail(f"strike must be a positive number, got {value!r}") from None
    if not strike.is_finite() or strike <= 0:
        raise _fail(f"strike must be a positive number, got {value!r}")
    # The exchange writes strikes without trailing zeros or exponents: 100000.0 and
    # 1E+5 are the strike 100000, whose symbol is ...-100000-C.
    return Decimal(format(strike.normalize(), "f"))


def _to_side(value: object) -> OptionSide:
    text = str(value).upper() if isinstance(value, str) else value
    if text in ("C", "CALL"):
        return OptionSide.CALL
    if text in ("P", "PUT"):
        return OptionSide.PUT
    raise _fail(f"side must be one of 'CALL', 'PUT' (or 'C', 'P'), got {value!r}")


def _to_underlying(value: object) -> str:
    return _underlying_asset(value)


def _to_date(value: object) -> _dt.date:
    """An expiration from ``"YYMMDD"`` or a ``datetime.date`` (or ``datetime``)."""
    if isinstance(value, _dt.datetime):
        value = value.date()
    if isinstance(value, _dt.date):
        if not 2000 <= value.year <= 2099:  # YYMMDD cannot write any other year
            raise _fail(
                f"expiration must be a date from 2000-01-01 to 2099-12-31 (YYMMDD), "
                f"got {value.isoformat()!r}"
            )
        return value
    return _parse_yymmdd(_text(value, "expiration"), "expiration")


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

    underlying: str = attrs.field(converter=_to_underlying)
    expiration: _dt.date = attrs.field(converter=_to_date)
    strike: Decimal = attrs.field(converter=_to_strike)
    side: OptionSide = attrs.field(converter=_to_side)

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
        raw = _text(text, "symbol")
        match = _SYMBOL_RE.fullmatch(raw.upper())
        if match is None:
            raise _fail(
                f"symbol must be an option symbol UNDERLYING-YYMMDD-STRIKE-C|P "
                f"such as {_EXAMPLE_SYMBOL!r}, got {text!r}"
            )
        underlying, yymmdd, strike, side = match.groups()
        expiration = _parse_yymmdd(yymmdd, f"the expiration in symbol {text!r}")
        return cls(underlying, expiration, Decimal(strike), side)

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


# --------------------------------------------------------------------------
# Parsed stream names
# --------------------------------------------------------------------------


@attrs.frozen
class StreamName:
    """A stream name taken apart, as returned by :func:`parse_stream`.

    Only the attributes that the stream kind uses are set; the others are None.

    Attributes:
        name: The exact name to subscribe to, e.g. ``"BTC-260925-100000-C@depth20@100ms"``.
        kind: Which of the nine streams it is.
        symbol: The option symbol or index pair (index, kline, depth, ticker, trade).
        underlying: The base asset (mark price, open interest, ticker by expiration,
            trade by underlying).
        expiration: The expiry date (open interest, ticker by expiration).
        interval: The kline interval.
        levels: The depth levels.
        speed: The depth update speed (``"500ms"`` when the name has no suffix).

    Example:
        >>> parse_stream("ETH@openInterest@261225").underlying
        'ETH'
    """

    name: str
    kind: StreamKind
    symbol: Optional[str] = None
    underlying: Optional[str] = None
    expiration: Optional[_dt.date] = None
    interval: Optional[str] = None
    levels: Optional[int] = None
    speed: Optional[str] = None

    def __str__(self) -> str:
        return self.name


def _make_index(symbol: object) -> StreamName:
    pair = _index_pair(symbol)
    return StreamName(f"{pair}@index", StreamKind.INDEX, symbol=pair)


def _make_kline(symbol: object, interval: object) -> StreamName:
    sym, ivl = _option_symbol(symbol), _interval(interval)
    return StreamName(f"{sym}@kline_{ivl}", StreamKind.KLINE, symbol=sym, interval=ivl)


def _make_mark_price(underlying: object) -> StreamName:
    asset = _underlying_asset(underlying)
    return StreamName(f"{asset}@markPrice", StreamKind.MARK_PRICE, underlying=asset)


def _make_open_interest(underlying: object, expiration: object) -> StreamName:
    asset, exp = _underlying_asset(underlying), _to_date(expiration)
    return StreamName(
        f"{asset}@openInterest@{exp:%y%m%d}",
        StreamKind.OPEN_INTEREST,
        underlying=asset,
        expiration=exp,
    )


def _make_depth(symbol: object, levels: object, speed: object) -> StreamName:
    sym, lvl, spd = _option_symbol(symbol), _levels(levels), _speed(speed)
    suffix = "" if spd == DEFAULT_DEPTH_SPEED else f"@{spd}"
    return StreamName(
        f"{sym}@depth{lvl}{suffix}", StreamKind.DEPTH, symbol=sym, levels=lvl, speed=spd
    )


def _make_ticker(symbol: object) -> StreamName:
    sym = _option_symbol(symbol)
    return StreamName(f"{sym}@ticker", StreamKind.TICKER, symbol=sym)


def _make_ticker_by_expiration(underlying: object, expiration: object) -> StreamName:
    asset, exp = _underlying_asset(underlying), _to_date(expiration)
    return StreamName(
        f"{asset}@ticker@{exp:%y%m%d}",
        StreamKind.TICKER_BY_EXPIRATION,
        underlying=asset,
        expiration=exp,
    )


def _make_trade(symbol_or_underlying: object) -> StreamName:
    if isinstance(symbol_or_underlying, OptionSymbol) or (
        isinstance(symbol_or_underlying, str) and "-" in symbol_or_underlying
    ):
        sym = _option_symbol(symbol_or_underlying)
        return StreamName(f"{sym}@trade", StreamKind.TRADE, symbol=sym)
    asset = _underlying_asset(symbol_or_underlying)
    return StreamName(f"{asset}@trade", StreamKind.TRADE, underlying=asset)


_NEW_SYMBOL_INFO = StreamName(NEW_SYMBOL_INFO_STREAM, StreamKind.NEW_SYMBOL_INFO)

# --------------------------------------------------------------------------
# Public builders
# --------------------------------------------------------------------------


def index(symbol: str) -> str:
    """The index price stream of an underlying pair.

    Args:
        symbol: The underlying index pair, e.g. ``"ETHUSDT"`` (any case).

    Returns:
        The stream name, e.g. ``"ETHUSDT@index"``.

    Raises:
        InvalidStreamError: If ``symbol`` is not a pair such as ``ETHUSDT``.

    Example:
        >>> index("btcusdt")
        'BTCUSDT@index'
    """
    return _make_index(symbol).name


def kline(symbol: Union[str, OptionSymbol], interval: str) -> str:
    """The kline (candlestick) stream of an option.

    Args:
        symbol: The option symbol, e.g. ``"BTC-260925-100000-C"``.
        interval: One of :data:`INTERVALS`, e.g. ``"1m"`` or ``"1h"``.

    Returns:
        The stream name, e.g. ``"BTC-260925-100000-C@kline_1m"``.

    Raises:
        InvalidStreamError: If the symbol or the interval is not valid.

    Example:
        >>> kline("BTC-260925-100000-C", "5m")
        'BTC-260925-100000-C@kline_5m'
    """
    return _make_kline(symbol, interval).name


def mark_price(underlying: str) -> str:
    """The mark price stream of every option on an underlying asset.

    Args:
        underlying: The base asset, e.g. ``"ETH"`` (not the pair ``"ETHUSDT"``).

    Returns:
        The stream name, e.g. ``"ETH@markPrice"``.

    Raises:
        InvalidStreamError: If ``underlying`` is not a base asset.

    Example:
        >>> mark_price("eth")
        'ETH@markPrice'
    """
    return _make_mark_price(underlying).name


def new_symbol_info() -> str:
    """The stream that announces newly listed option symbols.

    Returns:
        ``"option_pair"``.

    Example:
        >>> new_symbol_info()
        'option_pair'
    """
    return NEW_SYMBOL_INFO_STREAM


def open_interest(underlying: str, expiration: Union[str, _dt.date]) -> str:
    """The open interest stream of one underlying and expiry.

    Args:
        underlying: The base asset, e.g. ``"ETH"``.
        expiration: The expiry as ``"YYMMDD"`` or a ``datetime.date``.

    Returns:
        The stream name, e.g. ``"ETH@openInterest@261225"``.

    Raises:
        InvalidStreamError: If the underlying or the expiration is not valid.

    Example:
        >>> import datetime
        >>> open_interest("ETH", datetime.date(2026, 12, 25))
        'ETH@openInterest@261225'
    """
    return _make_open_interest(underlying, expiration).name


def depth(
    symbol: Union[str, OptionSymbol], levels: int = 10, speed: Union[str, int, None] = None
) -> str:
    """The partial book depth stream (top ``levels`` bids and asks) of an option.

    Args:
        symbol: The option symbol.
        levels: One of 10, 20, 50, 100.
        speed: ``"100ms"``, ``"500ms"`` or ``"1000ms"``; None means the default 500ms,
            which the name writes without a suffix.

    Returns:
        The stream name, e.g. ``"BTC-260925-100000-C@depth10"``.

    Raises:
        InvalidStreamError: If the symbol, levels or speed is not valid.

    Example:
        >>> depth("BTC-260925-100000-C", levels=20, speed="100ms")
        'BTC-260925-100000-C@depth20@100ms'
    """
    return _make_depth(symbol, levels, speed).name


def ticker(symbol: Union[str, OptionSymbol]) -> str:
    """The 24-hour ticker stream of an option (prices, greeks, implied volatility).

    Args:
        symbol: The option symbol.

    Returns:
        The stream name, e.g. ``"BTC-260925-100000-C@ticker"``.

    Raises:
        InvalidStreamError: If the symbol is not an option symbol.

    Example:
        >>> ticker("btc-260925-100000-c")
        'BTC-260925-100000-C@ticker'
    """
    return _make_ticker(symbol).name


def ticker_by_expiration(underlying: str, expiration: Union[str, _dt.date]) -> str:
    """The 24-hour tickers of every option on one underlying and expiry.

    Args:
        underlying: The base asset, e.g. ``"ETH"``.
        expiration: The expiry as ``"YYMMDD"`` or a ``datetime.date``.

    Returns:
        The stream name, e.g. ``"ETH@ticker@261225"``.

    Raises:
        InvalidStreamError: If the underlying or the expiration is not valid.

    Example:
        >>> ticker_by_expiration("ETH", "261225")
        'ETH@ticker@261225'
    """
    return _make_ticker_by_expiration(underlying, expiration).name


def trade(symbol_or_underlying: Union[str, OptionSymbol]) -> str:
    """The trade stream of one option, or of every option on an underlying asset.

    Args:
        symbol_or_underlying: An option symbol (``"BTC-260925-100000-C"``) or a base
            asset (``"BTC"``).

    Returns:
        The stream name, e.g. ``"BTC@trade"``.

    Raises:
        InvalidStreamError: If the value is neither an option symbol nor a base asset.

    Example:
        >>> trade("eth")
        'ETH@trade'
    """
    return _make_trade(symbol_or_underlying).name


# --------------------------------------------------------------------------
# Reading names back
# --------------------------------------------------------------------------

_DEPTH_RE = re.compile(r"depth(\d+)", re.IGNORECASE)
_VALID_FORMS = (
    "<PAIR>@index, <SYMBOL>@kline_<interval>, <ASSET>@markPrice, option_pair, "
    "<ASSET>@openInterest@<YYMMDD>, <SYMBOL>@depth<levels>[@<speed>], <SYMBOL>@ticker, "
    "<ASSET>@ticker@<YYMMDD>, <SYMBOL or ASSET>@trade"
)


def parse_stream(name: Union[str, StreamName]) -> StreamName:
    """Read a stream name back into its kind and parameters.

    Symbols in any case are accepted and normalised to the exchange's uppercase;
    the returned ``name`` is the exact name to subscribe to.

    Args:
        name: A stream name such as ``"BTC-260925-100000-C@ticker"``.

    Returns:
        The parsed :class:`StreamName`.

    Raises:
        InvalidStreamError: If ``name`` is not one of the nine documented streams.

    Example:
        >>> parse_stream("btc-260925-100000-c@depth20@100ms").levels
        20
    """
    if isinstance(name, StreamName):
        return name
    text = _text(name, "stream")
    if text.lower() == NEW_SYMBOL_INFO_STREAM:
        return _NEW_SYMBOL_INFO
    parts = text.split("@")
    kind = parts[1].lower() if len(parts) > 1 else ""
    if len(parts) == 2:
        left, right = parts
        if kind == "index":
            return _make_index(left)
        if kind.startswith("kline_"):
            return _make_kline(left, right[len("kline_") :])
        if kind == "markprice":
            return _make_mark_price(left)
        if kind == "ticker":
            return _make_ticker(left)
        if kind == "trade":
            return _make_trade(left)
        depth_match = _DEPTH_RE.fullmatch(right)
        if depth_match:
            return _make_depth(left, depth_match.group(1), None)
    elif len(parts) == 3:
        left, _, last = parts
        if kind == "openinterest":
            return _make_open_interest(left, last)
        if kind == "ticker":
            return _make_ticker_by_expiration(left, last)
        depth_match = _DEPTH_RE.fullmatch(parts[1])
        if depth_match:
            return _make_depth(left, depth_match.group(1), last)
    raise _fail(f"unknown stream {text!r}; valid forms are {_VALID_FORMS}")


# --------------------------------------------------------------------------
# URLs
# --------------------------------------------------------------------------


def raw_url(base_url: str, stream: str) -> str:
    """The URL of a raw single-stream connection: ``<base>/ws/<stream>``.

    Example:
        >>> raw_url("wss://nbstream.binance.com/eoptions", "ETHUSDT@index")
        'wss://nbstream.binance.com/eoptions/ws/ETHUSDT@index'
    """
    return f"{base_url.rstrip('/')}/ws/{parse_stream(stream).name}"


def combined_url(base_url: str, names: Union[str, Iterable[str]] = ()) -> str:
    """The URL of a combined-stream connection: ``<base>/stream?streams=<a>/<b>``.

    With no names it is ``<base>/stream``, ready for live SUBSCRIBE messages. A
    single name may be given as a plain string.

    Example:
        >>> combined_url("wss://nbstream.binance.com/eoptions", ["ETHUSDT@index"])
        'wss://nbstream.binance.com/eoptions/stream?streams=ETHUSDT@index'
    """
    if isinstance(names, str):  # one name, not an iterable of its characters
        names = [names]
    joined = "/".join(parse_stream(name).name for name in names)
    url = f"{base_url.rstrip('/')}/stream"
    return f"{url}?streams={joined}" if joined else url
