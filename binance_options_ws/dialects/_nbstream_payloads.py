"""Payloads of the nbstream endpoint: one parser per wire event type.

The keys are those of Binance's options WebSocket documentation (``../shared/spec``);
every parser is tolerant (see :mod:`binance_options_ws._wire`) and builds its event
with the fast constructors.

This module is pure: no sockets, threads or clocks.
"""

from __future__ import annotations

import operator
from math import copysign
from sys import intern
from typing import Any, Callable, Dict, Optional, Tuple

from .._constructors import (
    fast_constructor,
    new_book_depth,
    new_index_price,
    new_kline,
    new_mark_price,
    new_new_symbol,
    new_open_interest,
    new_ticker,
    new_trade,
)
from .._parse import PayloadParser, typed_payload
from .._wire import (
    NOT_WELL_FORMED,
    read_bool,
    read_float,
    read_int,
    read_levels,
    read_size,
    read_str,
)
from ..models import (
    BookDepth,
    IndexPrice,
    Kline,
    MarkPrice,
    NewSymbol,
    OpenInterest,
    Ticker,
    Trade,
)

__all__ = ["PARSERS", "event_type"]

_Data = Dict[str, Any]

# The JSON types of a whole number on the ticker's fast path (not bool, not float).
# (Typed Any: mypy would narrow the values checked against it to object.)
_WHOLE: Any = frozenset((int, str))
# The float fields the ticker's fast path sets.
_TICKER_FLOATS = operator.attrgetter(
    "last_price",
    "open",
    "high",
    "low",
    "price_change",
    "price_change_percent",
    "volume",
    "quote_volume",
    "last_quantity",
    "best_bid_price",
    "best_ask_price",
    "best_bid_quantity",
    "best_ask_quantity",
    "bid_iv",
    "ask_iv",
    "mark_iv",
    "mark_price",
    "delta",
    "theta",
    "gamma",
    "vega",
    "max_buy_price",
    "min_sell_price",
    "estimated_exercise_price",
)


def _index(d: _Data, stream: Optional[str]) -> IndexPrice:
    g = d.get
    return new_index_price(read_str(g("s")), read_float(g("p")), read_int(g("E")), stream)


def _mark_price(d: _Data, stream: Optional[str]) -> MarkPrice:
    g = d.get
    return new_mark_price(
        read_str(g("s")), read_float(g("mp")), event_time=read_int(g("E")), stream=stream
    )


def _kline(d: _Data, stream: Optional[str]) -> Kline:
    k = d.get("k")
    if not isinstance(k, dict):
        k = {}
    g = k.get
    return new_kline(
        read_str(d.get("s") or g("s")),
        read_str(g("i")),
        read_int(g("t")),
        read_int(g("T")),
        read_float(g("o")),
        read_float(g("h")),
        read_float(g("l")),
        read_float(g("c")),
        read_float(g("v")),
        read_float(g("q")),
        read_float(g("V")),
        read_float(g("Q")),
        read_int(g("n")),
        read_int(g("F", g("f"))),
        read_int(g("L")),
        read_bool(g("x")),
        read_int(d.get("E")),
        stream,
    )


def _new_symbol(d: _Data, stream: Optional[str]) -> NewSymbol:
    g = d.get
    return new_new_symbol(
        read_str(g("s")),
        read_str(g("u")),
        read_str(g("qa")),
        read_str(g("d")),
        read_float(g("sp")),
        read_int(g("ed")),
        read_float(g("unit")),
        read_float(g("mq")),
        None,
        None,
        read_int(g("E")),
        stream,
    )


def _open_interest(d: _Data, stream: Optional[str]) -> OpenInterest:
    g = d.get
    return new_open_interest(
        read_str(g("s")), read_float(g("o")), read_float(g("h")), read_int(g("E")), stream
    )


# The estimated exercise price is 0 until the last half hour before expiry: one
# 0.0 for every ticker saves 24 bytes an event (-0.0 keeps its own, for its sign).
_ZERO = 0.0

# What the typed readings build with: the events' fast constructors themselves,
# without new_*'s checks for missing values (there are none there).
_Ticker: Callable[..., Ticker] = fast_constructor(Ticker)
_BookDepth: Callable[..., BookDepth] = fast_constructor(BookDepth)

# The book's levels as the accelerator reads them: two numbers each, nothing else.
_LEVELS = Tuple[Tuple[float, float], ...]
_DEPTH_FIELDS = (
    ("s", str),
    ("b", _LEVELS),
    ("a", _LEVELS),
    # Sometimes left out (read_int gives None then, as for a null).
    ("u", Optional[int], None),
    ("pu", Optional[int], None),
    ("T", Optional[int], None),
    ("E", Optional[int], None),
)


def _typed_depth(v: Tuple[Any, ...], stream: str) -> BookDepth:
    return _BookDepth(intern(v[0]), v[1], v[2], None, v[3], v[4], v[5], v[6], stream)


@typed_payload(_DEPTH_FIELDS, _typed_depth)
def _depth(d: _Data, stream: Optional[str]) -> BookDepth:
    g = d.get
    symbol = g("s")
    return new_book_depth(
        intern(symbol) if symbol.__class__ is str else read_str(symbol),
        read_levels(g("b")),
        read_levels(g("a")),
        None,
        read_int(g("u")),
        read_int(g("pu")),
        read_int(g("T")),
        read_int(g("E")),
        stream,
    )


# The ticker's wire keys in the order of new_ticker's arguments, less the three it
# does not read (weighted_average_price, first and last quantity).
_TICKER_FIELDS = (
    ("s", str),
    *((key, float) for key in ("c", "o", "h", "l", "p", "P", "V", "A", "Q")),
    *((key, int) for key in ("F", "L", "n")),
    *((key, float) for key in ("bo", "ao", "bq", "aq", "b", "a", "vo", "mp", "d", "t", "g")),
    *((key, float) for key in ("v", "hl", "ll", "eep")),
    ("T", int),
    ("E", int),
)


def _typed_ticker(v: Tuple[Any, ...], stream: str) -> Ticker:
    # Every value is there and of its type, finite floats included (see _speedups),
    # so no check of new_ticker's is needed. The event time and the transaction
    # time, mostly the same number, share one int.
    time, event_time, exercise = v[28], v[29], v[27]
    if exercise == 0.0 and copysign(1.0, exercise) > 0.0:
        exercise = _ZERO
    return _Ticker(
        intern(v[0]),
        *v[1:7],
        None,
        *v[7:13],
        None,
        None,
        *v[13:27],
        exercise,
        event_time if time == event_time else time,
        event_time,
        stream,
    )


@typed_payload(_TICKER_FIELDS, _typed_ticker)
def _ticker(d: _Data, stream: Optional[str]) -> Ticker:
    # The busiest event (one per option per second, a whole chain at a time), so it
    # has a fast path: every key read strictly, no Python call per field, and the
    # event built by the fast constructor. Wherever a strict read succeeds it gives
    # what the tolerant reader gives, and anything unusual raises or fails the checks
    # that follow, so the tolerant code below is the reference for every field:
    # the whole numbers must come as JSON integers or strings (int() would cut 27.9
    # to 27 and take true as 1), and the sum of the floats must be finite (float()
    # reads "NaN" and "inf"; one non-finite field makes the sum non-finite). One
    # difference is left, for speed: float() takes a JSON true or false in a price
    # field as 1.0 or 0.0, where read_float gives None; the exchange sends strings.
    try:
        symbol = d["s"]
        first, last, count, time, event_time = d["F"], d["L"], d["n"], d["T"], d["E"]
        if (
            first.__class__ not in _WHOLE
            or last.__class__ not in _WHOLE
            or count.__class__ not in _WHOLE
            or time.__class__ not in _WHOLE
            or event_time.__class__ not in _WHOLE
        ):
            raise TypeError("a whole number that is not one")
        if time == event_time:  # mostly: one int for both
            time = event_time
        exercise = float(d["eep"])
        if exercise == 0.0 and copysign(1.0, exercise) > 0.0:
            exercise = _ZERO
        ticker = new_ticker(
            intern(symbol) if symbol.__class__ is str else read_str(symbol),  # one copy each
            float(d["c"]),
            float(d["o"]),
            float(d["h"]),
            float(d["l"]),
            float(d["p"]),
            float(d["P"]),
            None,
            float(d["V"]),
            float(d["A"]),
            float(d["Q"]),
            int(first),
            int(last),
            int(count),
            None,
            None,
            float(d["bo"]),
            float(d["ao"]),
            float(d["bq"]),
            float(d["aq"]),
            float(d["b"]),
            float(d["a"]),
            float(d["vo"]),
            float(d["mp"]),
            float(d["d"]),
            float(d["t"]),
            float(d["g"]),
            float(d["v"]),
            float(d["hl"]),
            float(d["ll"]),
            exercise,
            int(time),
            int(event_time),
            stream,
        )
        if sum(_TICKER_FLOATS(ticker)) * 0.0 == 0.0:  # inf * 0 and NaN * 0 are NaN
            return ticker
    except NOT_WELL_FORMED:
        pass
    g = d.get
    return new_ticker(
        read_str(g("s")),
        read_float(g("c")),
        read_float(g("o")),
        read_float(g("h")),
        read_float(g("l")),
        read_float(g("p")),
        read_float(g("P")),
        None,
        read_float(g("V")),
        read_float(g("A")),
        read_float(g("Q")),
        read_int(g("F")),
        read_int(g("L")),
        read_int(g("n")),
        None,
        None,
        read_float(g("bo")),
        read_float(g("ao")),
        read_float(g("bq")),
        read_float(g("aq")),
        read_float(g("b")),
        read_float(g("a")),
        read_float(g("vo")),
        read_float(g("mp")),
        read_float(g("d")),
        read_float(g("t")),
        read_float(g("g")),
        read_float(g("v")),
        read_float(g("hl")),
        read_float(g("ll")),
        read_float(g("eep")),
        read_int(g("T")),
        read_int(g("E")),
        stream,
    )


def _trade(d: _Data, stream: Optional[str]) -> Trade:
    g = d.get
    return new_trade(
        read_str(g("s")),
        read_int(g("t")),
        read_float(g("p")),
        # The documentation writes it signed ("-2" with "S": "-1"); live, it is positive
        # and the direction is in "S" alone.
        read_size(g("q")),
        None,
        None,
        read_int(g("S")),
        read_str(g("X")),
        read_int(g("b")),
        read_int(g("a")),
        read_int(g("T")),
        read_int(g("E")),
        stream,
    )


#: The payload parser of each wire event type.
PARSERS: Dict[str, PayloadParser] = {
    "index": _index,
    "markPrice": _mark_price,
    "kline": _kline,
    "OPTION_PAIR": _new_symbol,
    "openInterest": _open_interest,
    "depth": _depth,
    "24hrTicker": _ticker,
    "trade": _trade,
}


def event_type(stream: Optional[str]) -> Optional[str]:
    """Guess the event type from an nbstream stream name, for a payload that lacks ``e``."""
    if not stream:
        return None
    if stream == "option_pair":
        return "OPTION_PAIR"
    kind = stream.partition("@")[2]
    if kind.startswith("kline_"):
        return "kline"
    if kind.startswith("depth"):
        return "depth"
    if kind.startswith("ticker"):
        return "24hrTicker"
    if kind.startswith("openInterest"):
        return "openInterest"
    return {"index": "index", "markPrice": "markPrice", "trade": "trade"}.get(kind)
