"""Stream Binance options market data into a plain script or notebook, with no asyncio.

Example:
    >>> from binance_options_ws import StreamClient
    >>> with StreamClient() as client:                     # doctest: +SKIP
    ...     client.subscribe_index("BTCUSDT")
    ...     for event in client.events(timeout=10):
    ...         print(event.symbol, event.price)
"""

from __future__ import annotations

import logging as _logging

from . import fstream, streams
from ._version import __version__
from .chain import OptionChain
from .client import StreamClient
from .dialects import StreamKind, StreamName
from .endpoints import parse_message
from .exceptions import (
    BinanceAPIError,
    BinanceOptionsWSError,
    ClientClosedError,
    ConnectionFailedError,
    InvalidArgumentError,
    InvalidArgumentTypeError,
    InvalidResponseError,
    InvalidStreamError,
    InvalidStreamTypeError,
    MessageParseError,
    MissingExtraError,
    ProxyError,
    RateLimitError,
    RecordingDamagedError,
    RecordingError,
    RequestTimeoutError,
    RestConnectionError,
    RestError,
    RestTimeoutError,
    ServerError,
    SubscriptionEndedError,
    UnknownOutcomeError,
)
from .exchange_info import (
    DepthSnapshot,
    ExchangeInfo,
    LotSize,
    OptionAsset,
    OptionContract,
    OptionSymbolInfo,
    PriceFilter,
    RateLimit,
    parse_exchange_info,
)
from .models import (
    BookDepth,
    BookTicker,
    ControlReply,
    DepthUpdate,
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
)
from .order_book import OrderBook
from .playback import replay
from .rest import RestClient
from .status import ClientStats, StateChange, StateListener
from .streams import parse_stream
from .subscription import Subscription
from .symbols import OptionSide, OptionSymbol
from .tables import to_frame

__all__ = [
    "__version__",
    "BinanceAPIError",
    "BinanceOptionsWSError",
    "BookDepth",
    "BookTicker",
    "ClientClosedError",
    "ClientStats",
    "ConnectionFailedError",
    "ControlReply",
    "DepthSnapshot",
    "DepthUpdate",
    "ErrorReply",
    "Event",
    "ExchangeInfo",
    "fstream",
    "IndexPrice",
    "InvalidArgumentError",
    "InvalidArgumentTypeError",
    "InvalidResponseError",
    "InvalidStreamError",
    "InvalidStreamTypeError",
    "Kline",
    "LotSize",
    "MarkPrice",
    "MessageParseError",
    "MissingExtraError",
    "NewSymbol",
    "OpenInterest",
    "OptionAsset",
    "OptionChain",
    "OptionContract",
    "OptionSide",
    "OptionSymbol",
    "OptionSymbolInfo",
    "OrderBook",
    "ProxyError",
    "parse_exchange_info",
    "parse_message",
    "parse_stream",
    "PriceFilter",
    "RateLimit",
    "RateLimitError",
    "RecordingDamagedError",
    "RecordingError",
    "replay",
    "RequestTimeoutError",
    "RestClient",
    "RestConnectionError",
    "RestError",
    "RestTimeoutError",
    "ServerError",
    "StateChange",
    "StateListener",
    "StreamClient",
    "StreamKind",
    "StreamName",
    "streams",
    "Subscription",
    "SubscriptionEndedError",
    "Ticker",
    "to_frame",
    "Trade",
    "UnknownEvent",
    "UnknownOutcomeError",
]

# Quiet by default: the library logs to "binance_options_ws" and prints nothing
# unless the application configures logging (the convention for libraries).
_logging.getLogger(__name__).addHandler(_logging.NullHandler())
