"""What every endpoint dialect has: stream kinds, parsed names, and the ``Dialect`` interface.

An endpoint's *dialect* is its whole grammar: how stream names are built and read,
which URL path serves each stream, its limits, and how its wire payloads become
events. The client, the connection pool, the fake exchange, the command line and
the order book see only this interface; the dialects themselves live in
:mod:`~binance_options_ws.dialects.nbstream` and
:mod:`~binance_options_ws.dialects.fstream`, and
:mod:`~binance_options_ws.endpoints` is the registry that names them.

Example:
    >>> from binance_options_ws.endpoints import get_endpoint
    >>> get_endpoint("fstream").ticker("BTC-261225-100000-C").name
    'btc-261225-100000-c@optionTicker'

This module is pure: no sockets, threads or clocks.
"""

from __future__ import annotations

import abc
import datetime as _dt
import enum
from types import MappingProxyType
from typing import (
    Any,
    Callable,
    Dict,
    FrozenSet,
    List,
    Mapping,
    Optional,
    Sequence,
    Tuple,
    Union,
    cast,
)

import attrs

from .. import _parse
from .._parse import frame_parser, parse_frame
from ..exceptions import InvalidStreamError, InvalidStreamTypeError
from ..models import Message
from ..symbols import OptionSymbol, check_not_expired

__all__ = [
    "Dialect",
    "PayloadParser",
    "StreamKind",
    "StreamName",
    "check_interval",
    "check_levels",
    "check_live",
    "check_speed",
]


#: Turns one decoded payload (a JSON object) and its stream name into an event.
PayloadParser = _parse.PayloadParser


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


@attrs.frozen
class StreamName:
    """A stream name taken apart, as returned by ``parse_stream``.

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
        >>> from binance_options_ws.streams import parse_stream
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


# --------------------------------------------------------------------------
# Checks of the parameters every dialect has, against that dialect's choices
# --------------------------------------------------------------------------


def check_live(name: StreamName, now: Optional[_dt.datetime] = None) -> None:
    """Refuse a stream of an option, or of an expiry, that has expired.

    Raises:
        InvalidStreamError: Naming the date and today's date.
    """
    expiration = name.expiration
    what = f"the expiry of {name.name!r}"
    if expiration is None and name.symbol is not None and name.symbol.count("-") == 3:
        try:
            expiration = OptionSymbol.parse(name.symbol).expiration
        except InvalidStreamError:  # an index pair or another name: no expiry
            return
        what = f"option {name.symbol.upper()!r}"
    if expiration is not None:
        check_not_expired(expiration, what, now)


def check_interval(value: object, choices: Sequence[str], where: str = "") -> str:
    """A kline interval among ``choices``; ``where`` names the endpoint in the error.

    Raises:
        InvalidStreamError: Naming the value and the valid intervals.

    Example:
        >>> check_interval("1m", ("1m", "5m"))
        '1m'
    """
    if value not in choices:
        error = InvalidStreamError if isinstance(value, str) else InvalidStreamTypeError
        raise error(f"interval must be one of {', '.join(choices)}{where}, got {value!r}")
    return str(value)


def check_levels(value: object, choices: Sequence[int], where: str = "") -> int:
    """Depth levels among ``choices`` (digits in a string work too).

    Raises:
        InvalidStreamError: Naming the value and the valid levels.

    Example:
        >>> check_levels("20", (10, 20))
        20
    """
    number: object = value
    if isinstance(value, str) and value.isdigit():
        number = int(value)
    if isinstance(number, bool) or number not in choices:
        listed = ", ".join(str(level) for level in choices)
        wrong_type = isinstance(value, bool) or not isinstance(value, (int, float, str))
        error = InvalidStreamTypeError if wrong_type else InvalidStreamError
        raise error(f"levels must be one of {listed}{where}, got {value!r}")
    return int(cast(int, number))  # a member of choices: an int, or a float equal to one


def check_speed(value: object, choices: Sequence[str], default: str, where: str = "") -> str:
    """A depth update speed such as ``'100ms'`` (ints in ms work too); None is ``default``.

    Raises:
        InvalidStreamError: Naming the value and the valid speeds.

    Example:
        >>> check_speed(100, ("100ms", "500ms"), "500ms")
        '100ms'
    """
    if value is None:
        return default
    text = f"{value}ms" if isinstance(value, int) and not isinstance(value, bool) else value
    if text not in choices:
        error = InvalidStreamError if isinstance(value, (str, int)) else InvalidStreamTypeError
        raise error(
            f"speed must be one of {', '.join(choices)}{where} "
            f"(None means {default}), got {value!r}"
        )
    return str(text)


_Symbol = Union[str, OptionSymbol]
_Expiration = Union[str, _dt.date]
#: The index pair named when a stream of every pair must become one of a single pair.
_EXAMPLE_PAIR = "BTCUSDT"


class Dialect(abc.ABC):
    """One endpoint's grammar, behind the interface the rest of the library uses.

    A dialect builds and reads its stream names, says which URL path serves each
    stream, knows its limits, and turns its wire payloads into events. Subclass it
    to teach the library another endpoint, and register the instance with
    :func:`binance_options_ws.endpoints.register`.

    Attributes:
        name: The endpoint's name, as ``StreamClient(endpoint=...)`` takes it.
        default_base_url: The URL used when the client is given none.
        paths: The URL paths, each served by its own connections (``("",)`` for a
            single-path endpoint).
        makers: The builder of each stream kind this endpoint has (checked values in,
            a :class:`StreamName` out); the kinds it lacks are refused with an error
            naming the endpoint.
        max_streams_per_connection: How many streams one connection may carry.
        max_messages_per_second: How many messages a connection may send per second.
        parsers: The payload parser of each wire event type (the ``e`` key).
        failure_hint: Added to the error when a connection to
            :attr:`default_base_url` cannot be opened ("" for none): what the user
            can do about an endpoint that may be gone.

    Example:
        >>> from binance_options_ws.endpoints import get_endpoint
        >>> get_endpoint("nbstream").paths
        ('',)
    """

    name: str
    default_base_url: str
    paths: Tuple[str, ...] = ("",)
    makers: Mapping[StreamKind, Callable[..., StreamName]] = MappingProxyType({})
    max_streams_per_connection: int = 200
    max_messages_per_second: int = 10
    parsers: Mapping[str, PayloadParser]
    failure_hint: str = ""
    # What frame_parser() returns, made on its first call.
    _frame_parser: Optional[Callable[[Union[str, bytes, bytearray]], List[Message]]] = None

    def parse_message(self, message: Union[str, bytes, bytearray, Any]) -> List[Message]:
        """Turn one WebSocket message of this endpoint into events (see
        :func:`binance_options_ws.parse_message`).

        Override it only for an endpoint whose frames the generic parser cannot read;
        the usual way to teach it new payloads is :attr:`parsers`.
        """
        return parse_frame(self.parsers, self.event_type, message)

    def frame_parser(self) -> Callable[[Union[str, bytes, bytearray]], List[Message]]:
        """The function the connections call on every frame.

        It is :meth:`parse_message`; when that is not overridden, the same parser bound
        to this dialect's tables (:func:`binance_options_ws._parse.frame_parser`), which
        costs one call less on the hot path and uses the speed-ups extra when installed.
        """
        parser = self._frame_parser
        if parser is None:
            if type(self).parse_message is not Dialect.parse_message:
                parser = self.parse_message
            else:
                parser = frame_parser(self.parsers, self.event_type)
            self._frame_parser = parser  # a dialect's tables do not change once in use
        return parser

    def __repr__(self) -> str:
        return f"<Dialect {self.name!r}>"

    # ---------------------------------------------------------------- names

    @abc.abstractmethod
    def parse_stream(self, name: Union[str, StreamName]) -> StreamName:
        """Read and check a stream name of this endpoint.

        Raises:
            InvalidStreamError: If ``name`` is not a stream of this endpoint.
        """

    def route(self, name: StreamName) -> str:
        """The URL path that serves ``name`` (the only path, by default)."""
        return self.paths[0]

    def url(self, base_url: str, path: str) -> str:
        """The combined-stream URL of one path, ready for live SUBSCRIBE messages.

        Example:
            >>> from binance_options_ws.endpoints import get_endpoint
            >>> get_endpoint("fstream").url("wss://fstream.binance.com", "market")
            'wss://fstream.binance.com/market/stream'
        """
        base = base_url.rstrip("/")
        return f"{base}/{path}/stream" if path else f"{base}/stream"

    def event_type(self, stream: Optional[str]) -> Optional[str]:
        """Guess the wire event type from a stream name, for a payload without ``e``."""
        return None

    def underlying_name(self, underlying: str) -> str:
        """An underlying of another endpoint's name, as this endpoint's builders take it."""
        return underlying

    # ---------------------------------------------------------------- builders

    @property
    def kinds(self) -> FrozenSet[StreamKind]:
        """The stream kinds this endpoint has: those it has a maker for."""
        return frozenset(self.makers)

    def _make(self, kind: StreamKind, *args: Any) -> StreamName:
        """Build a stream of ``kind``: what the subscribe methods call.

        Raises:
            InvalidStreamError: If the endpoint has no such stream, a parameter is
                not valid, or the option or expiry named has expired (its stream
                would stay silent).
        """
        maker = self.makers.get(kind)
        if maker is None:
            raise InvalidStreamError(f"the {self.name} endpoint has no {kind} stream")
        made: StreamName = maker(*args)
        check_live(made)
        return made

    def index(self, symbol: Optional[str]) -> StreamName:
        """The index price stream of ``symbol`` (a pair), or of every pair where one stream
        carries them all."""
        return self._make(StreamKind.INDEX, symbol)

    def index_filter(self, symbol: Optional[str]) -> Optional[str]:
        """The pair whose events to keep from :meth:`index`'s stream (None: keep all)."""
        return None

    def kline(self, symbol: _Symbol, interval: object) -> StreamName:
        """The kline stream of an option."""
        return self._make(StreamKind.KLINE, symbol, interval)

    def mark_price(self, underlying: object) -> StreamName:
        """The mark price stream of every option on an underlying."""
        return self._make(StreamKind.MARK_PRICE, underlying)

    def new_symbol_info(self) -> StreamName:
        """The stream of newly listed options."""
        return self._make(StreamKind.NEW_SYMBOL_INFO)

    def open_interest(self, underlying: object, expiration: object) -> StreamName:
        """The open interest stream of one underlying and expiry."""
        return self._make(StreamKind.OPEN_INTEREST, underlying, expiration)

    def depth(self, symbol: _Symbol, levels: object, speed: object) -> StreamName:
        """The partial book depth stream of an option."""
        return self._make(StreamKind.DEPTH, symbol, levels, speed)

    def ticker(self, symbol: _Symbol) -> StreamName:
        """The 24-hour ticker stream of an option."""
        return self._make(StreamKind.TICKER, symbol)

    def ticker_by_expiration(self, underlying: object, expiration: object) -> StreamName:
        """The tickers of every option of one underlying and expiry."""
        return self._make(StreamKind.TICKER_BY_EXPIRATION, underlying, expiration)

    def trade(self, symbol_or_underlying: _Symbol) -> StreamName:
        """The trades of one option, or of every option on an underlying."""
        return self._make(StreamKind.TRADE, symbol_or_underlying)

    def book_ticker(self, symbol: _Symbol) -> StreamName:
        """The best bid and ask of an option, on every change."""
        return self._make(StreamKind.BOOK_TICKER, symbol)

    def diff_depth(self, symbol: _Symbol, speed: object) -> StreamName:
        """The changes to an option's order book."""
        return self._make(StreamKind.DIFF_DEPTH, symbol, speed)

    def equivalent(self, parsed: StreamName) -> Optional[str]:
        """The name of the stream ``parsed`` (read by another dialect) on this endpoint.

        Returns:
            The name, or None when this endpoint has no stream of that kind.

        Raises:
            InvalidStreamError: This endpoint has the kind, but not with these
                parameters (a kline interval or depth level only one endpoint has).
        """
        kind = parsed.kind
        if kind not in self.kinds:
            return None
        underlying = self.underlying_name(parsed.underlying or "")
        builders: Dict[StreamKind, Callable[[], StreamName]] = {
            StreamKind.INDEX: lambda: self.index(parsed.symbol or _EXAMPLE_PAIR),
            StreamKind.NEW_SYMBOL_INFO: self.new_symbol_info,
            StreamKind.KLINE: lambda: self.kline(str(parsed.symbol), parsed.interval),
            StreamKind.MARK_PRICE: lambda: self.mark_price(underlying),
            StreamKind.OPEN_INTEREST: lambda: self.open_interest(underlying, parsed.expiration),
            StreamKind.DEPTH: lambda: self.depth(str(parsed.symbol), parsed.levels, parsed.speed),
            StreamKind.TICKER: lambda: self.ticker(str(parsed.symbol)),
            StreamKind.TICKER_BY_EXPIRATION: lambda: self.ticker_by_expiration(
                underlying, parsed.expiration
            ),
            StreamKind.TRADE: lambda: self.trade(parsed.symbol or underlying),
            StreamKind.BOOK_TICKER: lambda: self.book_ticker(str(parsed.symbol)),
            StreamKind.DIFF_DEPTH: lambda: self.diff_depth(str(parsed.symbol), parsed.speed),
        }
        return builders[kind]().name
