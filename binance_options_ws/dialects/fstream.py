"""The fstream dialect: the 2026 endpoint's whole grammar.

This module owns the endpoint's stream-name builders, :func:`parse_stream`, URL
path routing (:func:`route`), limits, and (through
:mod:`~binance_options_ws.dialects._fstream_payloads`) its payload parsers;
:data:`DIALECT` is the :class:`~binance_options_ws.dialects.base.Dialect` that the
registry (:mod:`binance_options_ws.endpoints`) names ``"fstream"``.

``wss://fstream.binance.com``, where Binance moved its options market streams in
2026: two paths, new names, lowercase symbols in names. :mod:`binance_options_ws.fstream`
is the public face of this module and tells how the names read.

    >>> DIALECT.ticker("BTC-261225-100000-C").name
    'btc-261225-100000-c@optionTicker'

This module is pure: no sockets, threads or clocks.
"""

from __future__ import annotations

import datetime as _dt
import re
from types import MappingProxyType
from typing import Callable, Dict, Iterable, Mapping, Optional, Tuple, Union

from .._parse import PayloadParser
from ..exceptions import InvalidStreamError
from ..symbols import UNDERLYING_RE, OptionSymbol, check_text, option_symbol_name, parse_expiration
from . import _fstream_payloads
from .base import Dialect, StreamKind, StreamName, check_interval, check_levels, check_speed

__all__ = [
    "BASE_URL",
    "DIALECT",
    "FstreamDialect",
    "DEPTH_LEVELS",
    "DEPTH_SPEEDS",
    "DEFAULT_DEPTH_SPEED",
    "INDEX_STREAM",
    "INTERVALS",
    "MARKET",
    "NEW_SYMBOL_INFO_STREAM",
    "PATHS",
    "PUBLIC",
    "book_ticker",
    "combined_url",
    "depth",
    "diff_depth",
    "index",
    "index_pair",
    "kline",
    "mark_price",
    "new_symbol_info",
    "open_interest",
    "parse_stream",
    "route",
    "ticker",
    "ticker_by_expiration",
    "trade",
]

# --------------------------------------------------------------------------
# The endpoint's facts (../shared/spec/options-streams-2026.md, sections 1-2)
# --------------------------------------------------------------------------

#: The root of the 2026 endpoint; each path adds ``/public`` or ``/market``.
BASE_URL = "wss://fstream.binance.com"
#: The high-frequency path: trades, tickers, book ticker, depth.
PUBLIC = "public"
#: The regular path: index, mark price, kline, open interest, new symbols.
MARKET = "market"
#: Both paths, in the order the client opens them when needed.
PATHS = (PUBLIC, MARKET)
#: Kline intervals of the 2026 stream.
INTERVALS = ("1m", "3m", "5m", "15m", "30m", "1h", "2h", "4h", "6h", "12h", "1d", "3d", "1w")
#: Levels of the partial depth stream.
DEPTH_LEVELS = (5, 10, 20)
#: Update speeds of both depth streams; the names always carry one.
DEPTH_SPEEDS = ("100ms", "500ms")
#: The speed the depth builders use when given None.
DEFAULT_DEPTH_SPEED = "500ms"
#: The index prices of every underlying, in one stream.
INDEX_STREAM = "!index@arr"
#: The stream that announces newly listed options.
NEW_SYMBOL_INFO_STREAM = "!optionSymbol"

_QUOTE = "USDT"
# Quote assets that an options underlying never has (a base asset gets USDT added).
_OTHER_QUOTES = ("USDC", "BUSD", "FDUSD", "TUSD")
_ROUTES: Dict[StreamKind, str] = {
    StreamKind.TRADE: PUBLIC,
    StreamKind.TICKER: PUBLIC,
    StreamKind.TICKER_BY_EXPIRATION: PUBLIC,
    StreamKind.BOOK_TICKER: PUBLIC,
    StreamKind.DEPTH: PUBLIC,
    StreamKind.DIFF_DEPTH: PUBLIC,
    StreamKind.INDEX: MARKET,
    StreamKind.MARK_PRICE: MARKET,
    StreamKind.KLINE: MARKET,
    StreamKind.OPEN_INTEREST: MARKET,
    StreamKind.NEW_SYMBOL_INFO: MARKET,
}


def _fail(message: str) -> InvalidStreamError:
    return InvalidStreamError(message)


def _pair(value: object, what: str = "underlying") -> str:
    """An underlying pair, uppercase (``BTCUSDT``); a base asset gets USDT added."""
    text = check_text(value, what).upper()
    if "-" in text:
        raise _fail(
            f"{what} must be a pair such as 'btcusdt' (or a base asset such as 'BTC'), "
            f"not an option symbol: got {value!r}, did you mean {text.split('-')[0].lower()!r}?"
        )
    if not UNDERLYING_RE.fullmatch(text):
        raise _fail(f"{what} must be letters and digits such as 'btcusdt' or 'BTC', got {value!r}")
    if text.endswith(_QUOTE) and text != _QUOTE:
        return text
    for quote in _OTHER_QUOTES:
        if text.endswith(quote) and text != quote:
            raise _fail(
                f"{what} must be a USDT pair such as 'BTCUSDT' or a base asset such as 'BTC' "
                f"(options on fstream settle in USDT), got {value!r}, "
                f"did you mean {text[: -len(quote)] + _QUOTE!r}?"
            )
    if text in (*_OTHER_QUOTES, _QUOTE):
        raise _fail(f"{what} must be a pair such as 'btcusdt' or a base asset, got {value!r}")
    return text + _QUOTE


_HERE = " on the fstream endpoint"


def _interval(value: object) -> str:
    return check_interval(value, INTERVALS)


def _levels(value: object) -> int:
    return check_levels(value, DEPTH_LEVELS, _HERE)


def _speed(value: object) -> str:
    return check_speed(value, DEPTH_SPEEDS, DEFAULT_DEPTH_SPEED, _HERE)


_to_date = parse_expiration


# --------------------------------------------------------------------------
# Makers: checked values in, a StreamName out
# --------------------------------------------------------------------------


def _make_trade(symbol_or_underlying: object) -> StreamName:
    if isinstance(symbol_or_underlying, OptionSymbol) or (
        isinstance(symbol_or_underlying, str) and "-" in symbol_or_underlying
    ):
        sym = option_symbol_name(symbol_or_underlying)
        return StreamName(f"{sym.lower()}@optionTrade", StreamKind.TRADE, symbol=sym)
    pair = _pair(symbol_or_underlying)
    return StreamName(f"{pair.lower()}@optionTrade", StreamKind.TRADE, underlying=pair)


def _make_ticker(symbol: object) -> StreamName:
    sym = option_symbol_name(symbol)
    return StreamName(f"{sym.lower()}@optionTicker", StreamKind.TICKER, symbol=sym)


def _make_ticker_by_expiration(
    underlying: object, expiration: object, sep: str = "@"
) -> StreamName:
    pair, exp = _pair(underlying), _to_date(expiration)
    return StreamName(
        f"{pair.lower()}@optionTicker{sep}{exp:%y%m%d}",
        StreamKind.TICKER_BY_EXPIRATION,
        underlying=pair,
        expiration=exp,
    )


def _make_book_ticker(symbol: object) -> StreamName:
    sym = option_symbol_name(symbol)
    return StreamName(f"{sym.lower()}@bookTicker", StreamKind.BOOK_TICKER, symbol=sym)


def _make_depth(symbol: object, levels: object, speed: object) -> StreamName:
    sym, lvl, spd = option_symbol_name(symbol), _levels(levels), _speed(speed)
    return StreamName(
        f"{sym.lower()}@depth{lvl}@{spd}", StreamKind.DEPTH, symbol=sym, levels=lvl, speed=spd
    )


def _make_diff_depth(symbol: object, speed: object) -> StreamName:
    sym, spd = option_symbol_name(symbol), _speed(speed)
    return StreamName(f"{sym.lower()}@depth@{spd}", StreamKind.DIFF_DEPTH, symbol=sym, speed=spd)


def _make_mark_price(underlying: object) -> StreamName:
    pair = _pair(underlying)
    return StreamName(f"{pair.lower()}@optionMarkPrice", StreamKind.MARK_PRICE, underlying=pair)


def _make_kline(symbol: object, interval: object) -> StreamName:
    sym, ivl = option_symbol_name(symbol), _interval(interval)
    return StreamName(f"{sym.lower()}@kline_{ivl}", StreamKind.KLINE, symbol=sym, interval=ivl)


def _make_open_interest(
    underlying: object, expiration: object, word: str = "openInterest"
) -> StreamName:
    pair, exp = _pair(underlying), _to_date(expiration)
    return StreamName(
        f"{pair.lower()}@{word}@{exp:%y%m%d}",
        StreamKind.OPEN_INTEREST,
        underlying=pair,
        expiration=exp,
    )


_INDEX = StreamName(INDEX_STREAM, StreamKind.INDEX)
_NEW_SYMBOL_INFO = StreamName(NEW_SYMBOL_INFO_STREAM, StreamKind.NEW_SYMBOL_INFO)

# --------------------------------------------------------------------------
# Public builders
# --------------------------------------------------------------------------


def trade(symbol_or_underlying: Union[str, OptionSymbol]) -> str:
    """The trade stream of one option, or of every option on an underlying (public path).

    Args:
        symbol_or_underlying: An option symbol (``"BTC-261225-100000-C"``), a pair
            (``"btcusdt"``) or a base asset (``"BTC"``, which means ``btcusdt``).

    Returns:
        The stream name, e.g. ``"btcusdt@optionTrade"``.

    Raises:
        InvalidStreamError: If the value is neither an option symbol nor an underlying.

    Example:
        >>> trade("BTC")
        'btcusdt@optionTrade'
    """
    return _make_trade(symbol_or_underlying).name


def ticker(symbol: Union[str, OptionSymbol]) -> str:
    """The 24-hour statistics of one option (public path; no greeks, see :func:`mark_price`).

    Example:
        >>> ticker("BTC-261225-100000-C")
        'btc-261225-100000-c@optionTicker'
    """
    return _make_ticker(symbol).name


def ticker_by_expiration(underlying: str, expiration: Union[str, _dt.date]) -> str:
    """The 24-hour statistics of every option of one underlying and expiry (public path).

    The builder writes the documented form ``<pair>@optionTicker@<YYMMDD>``; the SDK
    form without the second ``@`` is accepted by :func:`parse_stream` too.

    Example:
        >>> ticker_by_expiration("BTC", "261225")
        'btcusdt@optionTicker@261225'
    """
    return _make_ticker_by_expiration(underlying, expiration).name


def book_ticker(symbol: Union[str, OptionSymbol]) -> str:
    """The best bid and ask of one option, on every change (public path).

    Example:
        >>> book_ticker("BTC-261225-100000-C")
        'btc-261225-100000-c@bookTicker'
    """
    return _make_book_ticker(symbol).name


def depth(
    symbol: Union[str, OptionSymbol], levels: int = 10, speed: Union[str, int, None] = None
) -> str:
    """The top ``levels`` bids and asks of one option (public path).

    Args:
        symbol: The option symbol.
        levels: One of 5, 10, 20.
        speed: ``"100ms"`` or ``"500ms"`` (None means 500ms); the name always carries it.

    Raises:
        InvalidStreamError: If the symbol, levels or speed is not valid.

    Example:
        >>> depth("BTC-261225-100000-C", levels=20, speed="100ms")
        'btc-261225-100000-c@depth20@100ms'
    """
    return _make_depth(symbol, levels, speed).name


def diff_depth(symbol: Union[str, OptionSymbol], speed: Union[str, int, None] = None) -> str:
    """The changes to the order book of one option (public path), for a local order book.

    Example:
        >>> diff_depth("BTC-261225-100000-C", "100ms")
        'btc-261225-100000-c@depth@100ms'
    """
    return _make_diff_depth(symbol, speed).name


def index_pair(symbol: str) -> str:
    """Check an index pair for filtering ``!index@arr``: ``"btcusdt"`` -> ``"BTCUSDT"``.

    A base asset gets USDT added, as everywhere on fstream.

    Raises:
        InvalidStreamError: If ``symbol`` is not a USDT pair or a base asset.

    Example:
        >>> index_pair("eth")
        'ETHUSDT'
    """
    return _pair(symbol, "index symbol")


def index() -> str:
    """The index prices of every underlying, one event each per second (market path).

    Example:
        >>> index()
        '!index@arr'
    """
    return INDEX_STREAM


def mark_price(underlying: str) -> str:
    """Mark prices with greeks and IVs of every option on an underlying (market path).

    Example:
        >>> mark_price("eth")
        'ethusdt@optionMarkPrice'
    """
    return _make_mark_price(underlying).name


def kline(symbol: Union[str, OptionSymbol], interval: str) -> str:
    """Klines of one option (market path); ``interval`` is one of :data:`INTERVALS`.

    Example:
        >>> kline("BTC-261225-100000-C", "1m")
        'btc-261225-100000-c@kline_1m'
    """
    return _make_kline(symbol, interval).name


def open_interest(underlying: str, expiration: Union[str, _dt.date]) -> str:
    """Open interest per option of one underlying and expiry (market path).

    The builder writes ``<pair>@openInterest@<YYMMDD>``; the January 2026 name
    ``<pair>@optionOpenInterest@<YYMMDD>`` is accepted by :func:`parse_stream` too.

    Example:
        >>> open_interest("ETH", "261225")
        'ethusdt@openInterest@261225'
    """
    return _make_open_interest(underlying, expiration).name


def new_symbol_info() -> str:
    """The stream that announces newly listed options (market path).

    Example:
        >>> new_symbol_info()
        '!optionSymbol'
    """
    return NEW_SYMBOL_INFO_STREAM


# --------------------------------------------------------------------------
# Reading names back, and routing them
# --------------------------------------------------------------------------

_DEPTH_RE = re.compile(r"depth(\d+)")
_TICKER_DATE_RE = re.compile(r"optionticker(\d{6})")
_VALID_FORMS = (
    "<symbol|pair>@optionTrade, <symbol>@optionTicker, <pair>@optionTicker@<YYMMDD>, "
    "<symbol>@bookTicker, <symbol>@depth<5|10|20>@<100ms|500ms>, <symbol>@depth@<speed>, "
    "!index@arr, <pair>@optionMarkPrice, <symbol>@kline_<interval>, "
    "<pair>@openInterest@<YYMMDD>, !optionSymbol"
)


def parse_stream(name: Union[str, StreamName]) -> StreamName:
    """Read an fstream stream name back into its kind and parameters.

    Any case is accepted; the returned ``name`` is the exact name to subscribe to
    (lowercase symbols, camel-case stream type).

    Raises:
        InvalidStreamError: If ``name`` is not a stream of the fstream endpoint (a
            name of the original nbstream endpoint gets a hint).

    Example:
        >>> parse_stream("BTC-261225-100000-C@depth20@100ms").levels
        20
    """
    if isinstance(name, StreamName):
        return name
    text = check_text(name, "stream")
    lowered = text.lower()
    if lowered == INDEX_STREAM.lower():
        return _INDEX
    if lowered == NEW_SYMBOL_INFO_STREAM.lower():
        return _NEW_SYMBOL_INFO
    parts = text.split("@")
    kind = parts[1].lower() if len(parts) > 1 else ""
    if len(parts) == 2:
        left, right = parts
        if kind == "optiontrade":
            return _make_trade(left)
        if kind == "optionticker":
            return _make_ticker(left)
        if kind == "bookticker":
            return _make_book_ticker(left)
        if kind == "optionmarkprice":
            return _make_mark_price(left)
        if kind.startswith("kline_"):
            return _make_kline(left, right[len("kline_") :])
        date = _TICKER_DATE_RE.fullmatch(kind)
        if date:
            return _make_ticker_by_expiration(left, date.group(1), sep="")
    elif len(parts) == 3:
        left, _, last = parts
        if kind == "optionticker":
            return _make_ticker_by_expiration(left, last)
        if kind == "openinterest":
            return _make_open_interest(left, last)
        if kind == "optionopeninterest":
            return _make_open_interest(left, last, word="optionOpenInterest")
        if kind == "depth":
            return _make_diff_depth(left, last)
        depth_match = _DEPTH_RE.fullmatch(kind)
        if depth_match:
            return _make_depth(left, depth_match.group(1), last)
    hint = ""
    if kind in ("index", "ticker", "trade", "markprice") or lowered == "option_pair":
        hint = " (that is a name of the original nbstream endpoint, not of fstream)"
    raise _fail(f"unknown fstream stream {text!r}{hint}; valid forms are {_VALID_FORMS}")


def route(name: Union[str, StreamName]) -> str:
    """The path that serves a stream: :data:`PUBLIC` or :data:`MARKET`.

    Raises:
        InvalidStreamError: If ``name`` is not an fstream stream.

    Example:
        >>> route("btc-261225-100000-c@optionTrade"), route("!index@arr")
        ('public', 'market')
    """
    return _ROUTES[parse_stream(name).kind]


def combined_url(base_url: str, path: str, names: Union[str, Iterable[str]] = ()) -> str:
    """The combined-stream URL of one path: ``<base>/<path>/stream?streams=<a>/<b>``.

    Raises:
        InvalidStreamError: If a name is not served on ``path``.

    Example:
        >>> combined_url(BASE_URL, "market", ["!index@arr"])
        'wss://fstream.binance.com/market/stream?streams=!index@arr'
    """
    if path not in PATHS:
        raise _fail(f"path must be one of {', '.join(PATHS)}, got {path!r}")
    if isinstance(names, str):
        names = [names]
    parsed = [parse_stream(name) for name in names]
    for stream in parsed:
        if _ROUTES[stream.kind] != path:
            raise _fail(f"{stream.name!r} is served on /{_ROUTES[stream.kind]}, not /{path}")
    url = f"{base_url.rstrip('/')}/{path}/stream"
    joined = "/".join(stream.name for stream in parsed)
    return f"{url}?streams={joined}" if joined else url


# --------------------------------------------------------------------------
# The dialect
# --------------------------------------------------------------------------


class FstreamDialect(Dialect):
    """The 2026 endpoint, ``wss://fstream.binance.com``: two paths, eleven streams.

    Example:
        >>> DIALECT.route(DIALECT.mark_price("BTC"))
        'market'
    """

    name = "fstream"
    default_base_url = BASE_URL
    paths: Tuple[str, ...] = PATHS
    parsers: Mapping[str, PayloadParser] = _fstream_payloads.PARSERS
    makers: Mapping[StreamKind, Callable[..., StreamName]] = MappingProxyType(
        {
            StreamKind.INDEX: lambda symbol: _INDEX,  # every pair: index_filter keeps one
            StreamKind.KLINE: _make_kline,
            StreamKind.MARK_PRICE: _make_mark_price,
            StreamKind.NEW_SYMBOL_INFO: lambda: _NEW_SYMBOL_INFO,
            StreamKind.OPEN_INTEREST: _make_open_interest,
            StreamKind.DEPTH: _make_depth,
            StreamKind.TICKER: _make_ticker,
            StreamKind.TICKER_BY_EXPIRATION: _make_ticker_by_expiration,
            StreamKind.TRADE: _make_trade,
            StreamKind.BOOK_TICKER: _make_book_ticker,
            StreamKind.DIFF_DEPTH: _make_diff_depth,
        }
    )

    def parse_stream(self, name: Union[str, StreamName]) -> StreamName:
        return parse_stream(name)

    def route(self, name: StreamName) -> str:
        return _ROUTES[name.kind]

    def event_type(self, stream: Optional[str]) -> Optional[str]:
        return _fstream_payloads.event_type(stream)

    def index_filter(self, symbol: Optional[str]) -> Optional[str]:
        return None if symbol is None else index_pair(symbol)


#: The fstream dialect, as the registry holds it.
DIALECT = FstreamDialect()
