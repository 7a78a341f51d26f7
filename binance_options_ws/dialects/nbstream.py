"""The nbstream dialect: the original options endpoint's whole grammar.

``wss://nbstream.binance.com/eoptions``, described by Binance's options WebSocket
documentation until 2025: one path, uppercase symbols, streams such as
``BTC-261225-100000-C@ticker``. This module owns its stream-name builders,
:func:`parse_stream`, its limits and URLs, and (through
:mod:`~binance_options_ws.dialects._nbstream_payloads`) its payload parsers;
:data:`DIALECT` is the :class:`~binance_options_ws.dialects.base.Dialect` that the
registry (:mod:`binance_options_ws.endpoints`) names ``"nbstream"``.

One builder per documented stream returns the exact name to subscribe to::

    >>> from binance_options_ws import streams
    >>> streams.ticker("btc-260925-100000-c")
    'BTC-260925-100000-C@ticker'
    >>> streams.depth("BTC-260925-100000-C", levels=20, speed="100ms")
    'BTC-260925-100000-C@depth20@100ms'

Every bad value raises :class:`~binance_options_ws.InvalidStreamError` (a
``ValueError``) naming the value and the valid choices.

This module is pure: no sockets, threads or clocks.
"""

from __future__ import annotations

import datetime as _dt
import re
from types import MappingProxyType
from typing import Callable, Iterable, Mapping, Optional, Tuple, Union

from .._parse import PayloadParser
from ..exceptions import InvalidStreamError
from ..symbols import (
    QUOTE_ASSETS,
    UNDERLYING_RE,
    OptionSymbol,
    check_text,
    option_symbol_name,
    parse_expiration,
    parse_underlying_asset,
)
from . import _nbstream_payloads
from .base import Dialect, StreamKind, StreamName, check_interval, check_levels, check_speed

__all__ = [
    "CONNECTION_LIFETIME",
    "DEFAULT_BASE_URL",
    "DEFAULT_DEPTH_SPEED",
    "DEPTH_LEVELS",
    "DEPTH_SPEEDS",
    "DIALECT",
    "INTERVALS",
    "MAX_MESSAGES_PER_SECOND",
    "MAX_STREAMS_PER_CONNECTION",
    "NEW_SYMBOL_INFO_STREAM",
    "NbstreamDialect",
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
#: The speed the depth builders use when given None (written without a suffix).
DEFAULT_DEPTH_SPEED = "500ms"
#: The name of the new symbol listing stream.
NEW_SYMBOL_INFO_STREAM = "option_pair"


def _fail(message: str) -> InvalidStreamError:
    return InvalidStreamError(message)


# --------------------------------------------------------------------------
# Checks of this endpoint's parameters
# --------------------------------------------------------------------------


def _index_pair(value: object) -> str:
    """An underlying index pair such as ``ETHUSDT``, as used by the index stream."""
    text = check_text(value, "index symbol").upper()
    if not UNDERLYING_RE.fullmatch(text):
        raise _fail(
            f"index symbol must be a pair such as 'ETHUSDT' or 'BTCUSDT', got {value!r}"
            + _pair_hint(text)
        )
    if not text.endswith(QUOTE_ASSETS) or text in QUOTE_ASSETS:
        raise _fail(
            f"index symbol must be a pair ending in {' or '.join(QUOTE_ASSETS)} such as "
            f"'ETHUSDT' or 'BTCUSDT', got {value!r}" + _pair_hint(text)
        )
    return text


def _pair_hint(text: str) -> str:
    """``", did you mean 'BTCUSDT'?"`` for what a user may write for a pair, or ``""``.

    ``BTC`` and ``BTCUSD`` mean ``BTCUSDT``; ``BTC-USDT`` too, and an option symbol
    (``BTC-261225-100000-C``) means its underlying's pair.
    """
    parts = text.split("-")
    joined = parts[0] if len(parts) > 2 else "".join(parts)
    if not UNDERLYING_RE.fullmatch(joined) or joined in QUOTE_ASSETS:
        return ""
    if not joined.endswith(QUOTE_ASSETS):
        base = joined[: -len("USD")] if joined.endswith("USD") and joined != "USD" else joined
        joined = base + "USDT"
    return f", did you mean {joined!r}?" if joined != text else ""


def _interval(value: object) -> str:
    return check_interval(value, INTERVALS)


def _levels(value: object) -> int:
    return check_levels(value, DEPTH_LEVELS)


def _speed(value: object) -> str:
    return check_speed(value, DEPTH_SPEEDS, DEFAULT_DEPTH_SPEED)


_underlying_asset = parse_underlying_asset
_to_date = parse_expiration


def _make_index(symbol: object) -> StreamName:
    pair = _index_pair(symbol)
    return StreamName(f"{pair}@index", StreamKind.INDEX, symbol=pair)


def _make_kline(symbol: object, interval: object) -> StreamName:
    sym, ivl = option_symbol_name(symbol), _interval(interval)
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
    sym, lvl, spd = option_symbol_name(symbol), _levels(levels), _speed(speed)
    suffix = "" if spd == DEFAULT_DEPTH_SPEED else f"@{spd}"
    return StreamName(
        f"{sym}@depth{lvl}{suffix}", StreamKind.DEPTH, symbol=sym, levels=lvl, speed=spd
    )


def _make_ticker(symbol: object) -> StreamName:
    sym = option_symbol_name(symbol)
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
        sym = option_symbol_name(symbol_or_underlying)
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
    text = check_text(name, "stream")
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


# --------------------------------------------------------------------------
# The dialect
# --------------------------------------------------------------------------


def _make_index_of(symbol: Optional[str]) -> StreamName:
    if symbol is None:
        raise InvalidStreamError(
            "subscribe_index needs an index pair such as 'BTCUSDT' on the nbstream "
            "endpoint (only fstream has one stream for every underlying)"
        )
    return _make_index(symbol)


class NbstreamDialect(Dialect):
    """The original endpoint, ``wss://nbstream.binance.com/eoptions``: one path, nine streams.

    Example:
        >>> DIALECT.mark_price("eth").name
        'ETH@markPrice'
    """

    name = "nbstream"
    default_base_url = DEFAULT_BASE_URL
    failure_hint = (
        ". Binance moved its options streams to fstream in January 2026 and its own "
        "SDKs left nbstream: if nbstream no longer answers, switch with "
        'StreamClient(endpoint="fstream") (the same methods; see the README\'s '
        '"Two endpoints")'
    )
    paths: Tuple[str, ...] = ("",)
    max_streams_per_connection = MAX_STREAMS_PER_CONNECTION
    max_messages_per_second = MAX_MESSAGES_PER_SECOND
    parsers: Mapping[str, PayloadParser] = _nbstream_payloads.PARSERS
    makers: Mapping[StreamKind, Callable[..., StreamName]] = MappingProxyType(
        {
            StreamKind.INDEX: _make_index_of,
            StreamKind.KLINE: _make_kline,
            StreamKind.MARK_PRICE: _make_mark_price,
            StreamKind.NEW_SYMBOL_INFO: lambda: _NEW_SYMBOL_INFO,
            StreamKind.OPEN_INTEREST: _make_open_interest,
            StreamKind.DEPTH: _make_depth,
            StreamKind.TICKER: _make_ticker,
            StreamKind.TICKER_BY_EXPIRATION: _make_ticker_by_expiration,
            StreamKind.TRADE: _make_trade,
        }
    )

    def parse_stream(self, name: Union[str, StreamName]) -> StreamName:
        return parse_stream(name)

    def event_type(self, stream: Optional[str]) -> Optional[str]:
        return _nbstream_payloads.event_type(stream)

    def underlying_name(self, underlying: str) -> str:
        """``BTCUSDT`` -> ``BTC``: nbstream names take the base asset."""
        upper = underlying.upper()
        return underlying[: -len("USDT")] if upper.endswith("USDT") else underlying


#: The nbstream dialect, as the registry holds it.
DIALECT = NbstreamDialect()
