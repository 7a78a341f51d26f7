"""Stream names of the 2026 ``fstream`` endpoint: build them, check them, route them.

In 2026 Binance moved its options market streams to ``wss://fstream.binance.com``,
split over two paths, with new names and lowercase symbols. One builder per
stream returns the exact name to subscribe to::

    >>> from binance_options_ws import fstream
    >>> fstream.ticker("BTC-261225-100000-C")
    'btc-261225-100000-c@optionTicker'
    >>> fstream.mark_price("BTC")
    'btcusdt@optionMarkPrice'
    >>> fstream.route("btcusdt@optionMarkPrice")
    'market'

Symbols in stream names are lowercase (the builders and :func:`parse_stream`
lower-case them for you); symbols inside the payloads stay uppercase, and so do
the ``symbol`` and ``underlying`` of a parsed :class:`~binance_options_ws.streams.StreamName`.
Underlyings are pairs here (``btcusdt``): a base asset such as ``"BTC"`` gets
``usdt`` added.

Each stream lives on one of two paths, and a connection serves only its own
path: :func:`route` says which. Two names are uncertain in Binance's own
material, so both forms are accepted by :func:`parse_stream` and sent as given:

* ticker by expiration: ``btcusdt@optionTicker@261225`` (the documented form,
  which the builder uses) or ``btcusdt@optionTicker261225`` (the SDK template);
* open interest: ``btcusdt@openInterest@261225`` (the builder's form, used by the
  2026-07 SDKs) or ``btcusdt@optionOpenInterest@261225`` (the January 2026 name).

This is the public face of :mod:`binance_options_ws.dialects.fstream`, where the
grammar lives.
"""

from __future__ import annotations

from .dialects.fstream import (
    BASE_URL,
    DEFAULT_DEPTH_SPEED,
    DEPTH_LEVELS,
    DEPTH_SPEEDS,
    INDEX_STREAM,
    INTERVALS,
    MARKET,
    NEW_SYMBOL_INFO_STREAM,
    PATHS,
    PUBLIC,
    book_ticker,
    combined_url,
    depth,
    diff_depth,
    index,
    index_pair,
    kline,
    mark_price,
    new_symbol_info,
    open_interest,
    parse_stream,
    route,
    ticker,
    ticker_by_expiration,
    trade,
)

__all__ = [
    "BASE_URL",
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
