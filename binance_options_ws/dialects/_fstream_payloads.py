"""Payloads of the 2026 fstream endpoint: one parser per wire event type.

The keys are those of ``../shared/spec/options-streams-2026.md``. Some mean other
things than on nbstream: the ticker's ``v`` is volume, the trade's ``S`` is
BUY/SELL, and an implied volatility of -1 means none. Every parser is tolerant
(see :mod:`binance_options_ws._wire`).

This module is pure: no sockets, threads or clocks.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, Optional, Union

from .._constructors import (
    new_book_depth,
    new_book_ticker,
    new_depth_update,
    new_mark_price,
    new_new_symbol,
    new_ticker,
    new_trade,
)
from .._parse import PayloadParser
from .._wire import read_bool, read_float, read_int, read_levels, read_size, read_str
from ..models import BookDepth, BookTicker, DepthUpdate, MarkPrice, NewSymbol, Ticker, Trade
from ._nbstream_payloads import PARSERS as _NBSTREAM

__all__ = ["PARSERS", "event_type"]

_Data = Dict[str, Any]


def _iv(value: Any) -> Optional[float]:
    """An implied volatility; the exchange's -1 means "none on this side"."""
    number = read_float(value)
    return None if number == -1.0 else number


def _f_mark_price(d: _Data, stream: Optional[str]) -> MarkPrice:
    g = d.get
    return new_mark_price(
        read_str(g("s")),
        read_float(g("mp")),
        read_float(g("i")),
        read_float(g("P")),
        read_float(g("bo")),
        read_float(g("ao")),
        read_float(g("bq")),
        read_float(g("aq")),
        _iv(g("b")),
        _iv(g("a")),
        read_float(g("hl")),
        read_float(g("ll")),
        read_float(g("vo")),
        read_float(g("rf")),
        read_float(g("d")),
        read_float(g("t")),
        read_float(g("g")),
        read_float(g("v")),
        read_int(g("E")),
        stream,
    )


def _f_new_symbol(d: _Data, stream: Optional[str]) -> NewSymbol:
    g = d.get
    return new_new_symbol(
        read_str(g("s")),
        read_str(g("ps")),
        read_str(g("qa")),
        read_str(g("d")),
        read_float(g("sp")),
        read_int(g("dt")),
        read_float(g("u")),
        None,
        read_int(g("ot")),
        read_str(g("cs")),
        read_int(g("E")),
        stream,
    )


def _f_depth(d: _Data, stream: Optional[str]) -> Union[BookDepth, DepthUpdate]:
    g = d.get
    # The same payload serves the partial book (depth<levels>@<speed>) and the diff
    # stream (depth@<speed>); only the stream name tells them apart.
    new: Callable[..., Union[BookDepth, DepthUpdate]] = (
        new_book_depth if stream and "@depth@" not in stream else new_depth_update
    )
    return new(
        read_str(g("s")),
        read_levels(g("b")),
        read_levels(g("a")),
        read_int(g("U")),
        read_int(g("u")),
        read_int(g("pu")),
        read_int(g("T")),
        read_int(g("E")),
        stream,
    )


def _f_book_ticker(d: _Data, stream: Optional[str]) -> BookTicker:
    g = d.get
    return new_book_ticker(
        read_str(g("s")),
        read_float(g("b")),
        read_float(g("B")),
        read_float(g("a")),
        read_float(g("A")),
        read_int(g("u")),
        read_int(g("T")),
        read_int(g("E")),
        stream,
    )


def _f_ticker(d: _Data, stream: Optional[str]) -> Ticker:
    g = d.get
    return new_ticker(
        read_str(g("s")),
        read_float(g("c")),
        read_float(g("o")),
        read_float(g("h")),
        read_float(g("l")),
        read_float(g("p")),
        read_float(g("P")),
        read_float(g("w")),
        read_float(g("v")),
        read_float(g("q")),
        read_float(g("Q")),
        read_int(g("F")),
        read_int(g("L")),
        read_int(g("n")),
        read_int(g("O")),
        read_int(g("C")),
        event_time=read_int(g("E")),
        stream=stream,
    )


def _f_trade(d: _Data, stream: Optional[str]) -> Trade:
    g = d.get
    side = read_str(g("S"))
    return new_trade(
        read_str(g("s")),
        read_int(g("t")),
        read_float(g("p")),
        read_size(g("q")),
        side.upper() if side else side,
        read_bool(g("m")),
        None,
        read_str(g("X")),
        None,
        None,
        read_int(g("T")),
        read_int(g("E")),
        stream,
    )


#: The payload parser of each wire event type.
PARSERS: Dict[str, PayloadParser] = {
    "indexPrice": _NBSTREAM["index"],  # the same keys as nbstream's "index"
    "markPrice": _f_mark_price,
    "kline": _NBSTREAM["kline"],
    "optionSymbol": _f_new_symbol,
    "openInterest": _NBSTREAM["openInterest"],
    "depthUpdate": _f_depth,
    "bookTicker": _f_book_ticker,
    "24hrTicker": _f_ticker,
    "trade": _f_trade,
}


def event_type(stream: Optional[str]) -> Optional[str]:
    """Guess an fstream event type from the stream name, for a payload without ``e``."""
    if not stream:
        return None
    if stream.startswith("!"):
        return {"!index@arr": "indexPrice", "!optionSymbol": "optionSymbol"}.get(stream)
    kind = stream.partition("@")[2]
    if kind.startswith("kline_"):
        return "kline"
    if kind.startswith("depth"):
        return "depthUpdate"
    if kind.startswith("optionTicker"):
        return "24hrTicker"
    if kind.startswith(("openInterest", "optionOpenInterest")):
        return "openInterest"
    return {"optionMarkPrice": "markPrice", "optionTrade": "trade", "bookTicker": "bookTicker"}.get(
        kind
    )
