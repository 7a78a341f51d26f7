"""Stream names of the original nbstream endpoint: build them, check them and read them back.

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
combined URLs are formed, and the documented limits. It is the public face of
:mod:`binance_options_ws.dialects.nbstream`, where the grammar lives.
"""

from __future__ import annotations

from .dialects.base import StreamKind, StreamName
from .dialects.nbstream import (
    CONNECTION_LIFETIME,
    DEFAULT_BASE_URL,
    DEFAULT_DEPTH_SPEED,
    DEPTH_LEVELS,
    DEPTH_SPEEDS,
    INTERVALS,
    MAX_MESSAGES_PER_SECOND,
    MAX_STREAMS_PER_CONNECTION,
    NEW_SYMBOL_INFO_STREAM,
    combined_url,
    depth,
    index,
    kline,
    mark_price,
    new_symbol_info,
    open_interest,
    parse_stream,
    raw_url,
    ticker,
    ticker_by_expiration,
    trade,
)
from .symbols import OptionSide, OptionSymbol

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
