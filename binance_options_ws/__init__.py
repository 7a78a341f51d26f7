"""Stream Binance options market data into a plain script or notebook, with no asyncio.

Example:
    >>> from binance_options_ws import streams
    >>> streams.ticker("btc-260925-100000-c")
    'BTC-260925-100000-C@ticker'
"""

from __future__ import annotations

from . import streams
from ._version import __version__
from .exceptions import (
    BinanceAPIError,
    BinanceOptionsWSError,
    ClientClosedError,
    ConnectionFailedError,
    InvalidResponseError,
    InvalidStreamError,
    MessageParseError,
    RateLimitError,
    RequestTimeoutError,
    RestConnectionError,
    RestError,
    RestTimeoutError,
    ServerError,
    UnknownOutcomeError,
)
from .models import (
    BookDepth,
    ControlReply,
    ErrorReply,
    Event,
    IndexPrice,
    Kline,
    MarkPrice,
    NewSymbol,
    OpenInterest,
    Ticker,
    Trade,
    UnknownEvent,
    parse_message,
)
from .streams import OptionSide, OptionSymbol, StreamKind, StreamName, parse_stream

__all__ = [
    "BinanceAPIError",
    "BinanceOptionsWSError",
    "BookDepth",
    "ClientClosedError",
    "ConnectionFailedError",
    "ControlReply",
    "ErrorReply",
    "Event",
    "IndexPrice",
    "InvalidResponseError",
    "InvalidStreamError",
    "Kline",
    "MarkPrice",
    "MessageParseError",
    "NewSymbol",
    "OpenInterest",
    "OptionSide",
    "OptionSymbol",
    "RateLimitError",
    "RequestTimeoutError",
    "RestConnectionError",
    "RestError",
    "RestTimeoutError",
    "ServerError",
    "StreamKind",
    "StreamName",
    "Ticker",
    "Trade",
    "UnknownEvent",
    "UnknownOutcomeError",
    "__version__",
    "parse_message",
    "parse_stream",
    "streams",
]
