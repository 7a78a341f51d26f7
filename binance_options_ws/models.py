"""Typed events, and :func:`parse_message` that turns WebSocket messages into them.

Every event is a frozen, slotted attrs class with readable field names. Each
class docstring maps its fields to the exchange's one-letter wire keys. Every
event has ``event_time`` (milliseconds since the epoch, or None when the message
lacked it) and ``stream`` (the stream it arrived on, or None for raw messages).

Real messages are messier than the documentation: numbers may come as strings,
in exponent form or as ``"0.0"``, ids may be strings, keys may be missing or new.
All of that parses; a missing or unreadable field is None and an unknown key is
ignored. An unknown event type becomes an :class:`UnknownEvent`.

Example:
    >>> from binance_options_ws import parse_message
    >>> parse_message('{"e":"index","E":1661415480351,"s":"ETHUSDT","p":"1707.89"}')
    [IndexPrice(symbol='ETHUSDT', price=1707.89, event_time=1661415480351, stream=None)]

This module is pure: no sockets, threads or clocks.
"""

from __future__ import annotations

import json
from typing import Any, Callable, Dict, List, Optional, Tuple, Union

import attrs

from .exceptions import MessageParseError

__all__ = [
    "BookDepth",
    "ControlReply",
    "ErrorReply",
    "Event",
    "IndexPrice",
    "Kline",
    "MarkPrice",
    "Message",
    "NewSymbol",
    "OpenInterest",
    "PriceLevel",
    "Ticker",
    "Trade",
    "UnknownEvent",
    "parse_message",
]

#: One book level: ``(price, quantity)``.
PriceLevel = Tuple[float, float]


@attrs.frozen
class IndexPrice:
    """The index price of an underlying pair (stream ``<PAIR>@index``).

    Attributes:
        symbol: ``s``, the underlying pair, e.g. ``"ETHUSDT"``.
        price: ``p``, the index price.
        event_time: ``E``, milliseconds since the epoch.
        stream: The stream it arrived on.
    """

    symbol: Optional[str] = None
    price: Optional[float] = None
    event_time: Optional[int] = None
    stream: Optional[str] = None


@attrs.frozen
class MarkPrice:
    """The mark price of one option (stream ``<ASSET>@markPrice``, one event per option).

    Attributes:
        symbol: ``s``, the option symbol.
        mark_price: ``mp``, the mark price.
        event_time: ``E``.
        stream: The stream it arrived on.
    """

    symbol: Optional[str] = None
    mark_price: Optional[float] = None
    event_time: Optional[int] = None
    stream: Optional[str] = None


@attrs.frozen
class Kline:
    """A kline (candlestick) of an option (stream ``<SYMBOL>@kline_<interval>``).

    Attributes:
        symbol: ``s`` (or ``k.s``), the option symbol.
        interval: ``k.i``, e.g. ``"1m"``.
        start_time: ``k.t``, kline start, milliseconds.
        end_time: ``k.T``, kline end, milliseconds.
        open: ``k.o``.
        high: ``k.h``.
        low: ``k.l``.
        close: ``k.c``.
        volume: ``k.v``, in contracts.
        quote_volume: ``k.q``, completed trade amount in the quote asset.
        taker_volume: ``k.V``, taker volume in contracts.
        taker_quote_volume: ``k.Q``, taker amount in the quote asset.
        trade_count: ``k.n``, number of trades.
        first_trade_id: ``k.F``.
        last_trade_id: ``k.L``.
        is_closed: ``k.x``, True once the candle is complete.
        event_time: ``E``.
        stream: The stream it arrived on.
    """

    symbol: Optional[str] = None
    interval: Optional[str] = None
    start_time: Optional[int] = None
    end_time: Optional[int] = None
    open: Optional[float] = None
    high: Optional[float] = None
    low: Optional[float] = None
    close: Optional[float] = None
    volume: Optional[float] = None
    quote_volume: Optional[float] = None
    taker_volume: Optional[float] = None
    taker_quote_volume: Optional[float] = None
    trade_count: Optional[int] = None
    first_trade_id: Optional[int] = None
    last_trade_id: Optional[int] = None
    is_closed: Optional[bool] = None
    event_time: Optional[int] = None
    stream: Optional[str] = None


@attrs.frozen
class NewSymbol:
    """A newly listed option (stream ``option_pair``).

    Attributes:
        symbol: ``s``, the new option symbol.
        underlying: ``u``, the underlying index, e.g. ``"BTCUSDT"``.
        quote_asset: ``qa``, e.g. ``"USDT"``.
        side: ``d``, ``"CALL"`` or ``"PUT"``.
        strike_price: ``sp``.
        expiration_time: ``ed``, expiry in milliseconds.
        unit: ``unit``, underlying quantity represented by one contract.
        min_quantity: ``mq``, minimum trade volume of the underlying asset.
        event_time: ``E``.
        stream: The stream it arrived on.
    """

    symbol: Optional[str] = None
    underlying: Optional[str] = None
    quote_asset: Optional[str] = None
    side: Optional[str] = None
    strike_price: Optional[float] = None
    expiration_time: Optional[int] = None
    unit: Optional[float] = None
    min_quantity: Optional[float] = None
    event_time: Optional[int] = None
    stream: Optional[str] = None


@attrs.frozen
class OpenInterest:
    """Open interest of one option (stream ``<ASSET>@openInterest@<YYMMDD>``, one per option).

    Attributes:
        symbol: ``s``, the option symbol.
        open_interest: ``o``, in contracts.
        open_interest_usdt: ``h``, in USDT.
        event_time: ``E``.
        stream: The stream it arrived on.
    """

    symbol: Optional[str] = None
    open_interest: Optional[float] = None
    open_interest_usdt: Optional[float] = None
    event_time: Optional[int] = None
    stream: Optional[str] = None


@attrs.frozen
class BookDepth:
    """The top bids and asks of an option (stream ``<SYMBOL>@depth<levels>[@<speed>]``).

    Attributes:
        symbol: ``s``, the option symbol.
        bids: ``b``, ``(price, quantity)`` pairs, best (highest) first.
        asks: ``a``, ``(price, quantity)`` pairs, best (lowest) first.
        update_id: ``u``.
        previous_update_id: ``pu``.
        transaction_time: ``T``, milliseconds.
        event_time: ``E``.
        stream: The stream it arrived on.
    """

    symbol: Optional[str] = None
    bids: Tuple[PriceLevel, ...] = ()
    asks: Tuple[PriceLevel, ...] = ()
    update_id: Optional[int] = None
    previous_update_id: Optional[int] = None
    transaction_time: Optional[int] = None
    event_time: Optional[int] = None
    stream: Optional[str] = None

    @property
    def best_bid(self) -> Optional[PriceLevel]:
        """The best bid ``(price, quantity)``, or None when there are no bids."""
        return self.bids[0] if self.bids else None

    @property
    def best_ask(self) -> Optional[PriceLevel]:
        """The best ask ``(price, quantity)``, or None when there are no asks."""
        return self.asks[0] if self.asks else None


@attrs.frozen
class Ticker:
    """The 24-hour ticker of an option, with its book top, greeks and implied volatility.

    Streams ``<SYMBOL>@ticker`` and ``<ASSET>@ticker@<YYMMDD>`` (one event per option).

    Attributes:
        symbol: ``s``, the option symbol.
        last_price: ``c``, latest price.
        open: ``o``, 24-hour opening price.
        high: ``h``.
        low: ``l``.
        price_change: ``p``.
        price_change_percent: ``P``, as a fraction (0.01 means 1 %).
        volume: ``V``, trading volume in contracts.
        quote_volume: ``A``, trade amount in the quote asset.
        last_quantity: ``Q``, volume of the last completed trade.
        first_trade_id: ``F``.
        last_trade_id: ``L``.
        trade_count: ``n``.
        best_bid_price: ``bo``.
        best_ask_price: ``ao``.
        best_bid_quantity: ``bq``.
        best_ask_quantity: ``aq``.
        bid_iv: ``b``, implied volatility of the best bid.
        ask_iv: ``a``, implied volatility of the best ask.
        mark_iv: ``vo``, implied volatility at the mark price.
        mark_price: ``mp``.
        delta: ``d``.
        theta: ``t``.
        gamma: ``g``.
        vega: ``v``.
        max_buy_price: ``hl``, highest price a buy order may have.
        min_sell_price: ``ll``, lowest price a sell order may have.
        estimated_exercise_price: ``eep``, estimated strike price, published half an
            hour before exercise.
        transaction_time: ``T``.
        event_time: ``E``.
        stream: The stream it arrived on.
    """

    symbol: Optional[str] = None
    last_price: Optional[float] = None
    open: Optional[float] = None
    high: Optional[float] = None
    low: Optional[float] = None
    price_change: Optional[float] = None
    price_change_percent: Optional[float] = None
    volume: Optional[float] = None
    quote_volume: Optional[float] = None
    last_quantity: Optional[float] = None
    first_trade_id: Optional[int] = None
    last_trade_id: Optional[int] = None
    trade_count: Optional[int] = None
    best_bid_price: Optional[float] = None
    best_ask_price: Optional[float] = None
    best_bid_quantity: Optional[float] = None
    best_ask_quantity: Optional[float] = None
    bid_iv: Optional[float] = None
    ask_iv: Optional[float] = None
    mark_iv: Optional[float] = None
    mark_price: Optional[float] = None
    delta: Optional[float] = None
    theta: Optional[float] = None
    gamma: Optional[float] = None
    vega: Optional[float] = None
    max_buy_price: Optional[float] = None
    min_sell_price: Optional[float] = None
    estimated_exercise_price: Optional[float] = None
    transaction_time: Optional[int] = None
    event_time: Optional[int] = None
    stream: Optional[str] = None


@attrs.frozen
class Trade:
    """One trade (streams ``<SYMBOL>@trade`` and ``<ASSET>@trade``).

    Attributes:
        symbol: ``s``, the option symbol.
        trade_id: ``t``.
        price: ``p``.
        quantity: ``q``, in contracts (the documentation shows it signed).
        direction: ``S``, the documented direction, ``1`` or ``-1``.
        trade_type: ``X``, ``"MARKET"`` for order book trades, ``"BLOCK"`` for block trades.
        buy_order_id: ``b``.
        sell_order_id: ``a``.
        trade_time: ``T``, milliseconds.
        event_time: ``E``.
        stream: The stream it arrived on.
    """

    symbol: Optional[str] = None
    trade_id: Optional[int] = None
    price: Optional[float] = None
    quantity: Optional[float] = None
    direction: Optional[int] = None
    trade_type: Optional[str] = None
    buy_order_id: Optional[int] = None
    sell_order_id: Optional[int] = None
    trade_time: Optional[int] = None
    event_time: Optional[int] = None
    stream: Optional[str] = None


@attrs.frozen
class UnknownEvent:
    """A message the library does not know, kept whole rather than dropped.

    Attributes:
        event_type: ``e``, if the message had one.
        data: The decoded JSON, as received.
        event_time: ``E``, if present.
        stream: The stream it arrived on.
    """

    event_type: Optional[str] = None
    data: Any = attrs.field(default=None, hash=False)  # compared, but JSON is unhashable
    event_time: Optional[int] = None
    stream: Optional[str] = None


@attrs.frozen
class ControlReply:
    """The exchange's answer to SUBSCRIBE, LIST_SUBSCRIPTIONS and the like.

    Attributes:
        id: The ``id`` of the request it answers.
        result: ``result``: None for SUBSCRIBE, a list for LIST_SUBSCRIPTIONS, a value
            for GET_PROPERTY.
    """

    id: Optional[int] = None
    result: Any = attrs.field(default=None, hash=False)  # compared, but a list is unhashable


@attrs.frozen
class ErrorReply:
    """An error from the exchange: ``{"code": ..., "msg": ..., "id": ...}``.

    The nested form ``{"error": {"code": ..., "msg": ...}, "id": ...}``, which
    Binance's stream servers also send, parses into this class as well.

    Attributes:
        code: The error code (0 unknown property, 1 invalid value, 2 invalid
            request, 3 invalid JSON).
        msg: The exchange's message.
        id: The ``id`` of the request it answers, when the exchange gave one.
    """

    code: Optional[int] = None
    msg: str = ""
    id: Optional[int] = None


#: Any market data event.
Event = Union[
    IndexPrice, Kline, MarkPrice, NewSymbol, OpenInterest, BookDepth, Ticker, Trade, UnknownEvent
]
#: Anything :func:`parse_message` returns.
Message = Union[Event, ControlReply, ErrorReply]

# --------------------------------------------------------------------------
# Tolerant field readers. They sit on the hot path: keep them small.
# --------------------------------------------------------------------------


def _float(value: Any) -> Optional[float]:
    try:
        return float(value)
    except (TypeError, ValueError, OverflowError):  # OverflowError: an int beyond 1e308
        return None


def _int(value: Any) -> Optional[int]:
    try:
        return int(value)
    except (TypeError, ValueError, OverflowError):  # OverflowError: JSON 1e999 is inf
        pass
    try:  # "1.6711317692476314E7", 27.0, "27.0"
        return int(float(value))
    except (TypeError, ValueError, OverflowError):
        return None


def _str(value: Any) -> Optional[str]:
    if value is None or value.__class__ is str:
        return value
    return str(value)


def _bool(value: Any) -> Optional[bool]:
    if value is True or value is False:
        return value
    if isinstance(value, str):
        lowered = value.lower()
        if lowered in ("true", "1", "y", "yes"):
            return True
        if lowered in ("false", "0", "n", "no"):
            return False
        return None
    if isinstance(value, (int, float)):
        return bool(value)
    return None


def _levels(value: Any) -> Tuple[PriceLevel, ...]:
    if not isinstance(value, list):
        return ()
    levels = []
    for level in value:
        try:
            levels.append((float(level[0]), float(level[1])))
        except (TypeError, ValueError, IndexError, KeyError, OverflowError):
            continue  # one bad level does not spoil the book
    return tuple(levels)


# --------------------------------------------------------------------------
# One parser per event type
# --------------------------------------------------------------------------

_Data = Dict[str, Any]


def _index(d: _Data, stream: Optional[str]) -> IndexPrice:
    g = d.get
    return IndexPrice(_str(g("s")), _float(g("p")), _int(g("E")), stream)


def _mark_price(d: _Data, stream: Optional[str]) -> MarkPrice:
    g = d.get
    return MarkPrice(_str(g("s")), _float(g("mp")), _int(g("E")), stream)


def _kline(d: _Data, stream: Optional[str]) -> Kline:
    k = d.get("k")
    if not isinstance(k, dict):
        k = {}
    g = k.get
    return Kline(
        _str(d.get("s") or g("s")),
        _str(g("i")),
        _int(g("t")),
        _int(g("T")),
        _float(g("o")),
        _float(g("h")),
        _float(g("l")),
        _float(g("c")),
        _float(g("v")),
        _float(g("q")),
        _float(g("V")),
        _float(g("Q")),
        _int(g("n")),
        _int(g("F", g("f"))),
        _int(g("L")),
        _bool(g("x")),
        _int(d.get("E")),
        stream,
    )


def _new_symbol(d: _Data, stream: Optional[str]) -> NewSymbol:
    g = d.get
    return NewSymbol(
        _str(g("s")),
        _str(g("u")),
        _str(g("qa")),
        _str(g("d")),
        _float(g("sp")),
        _int(g("ed")),
        _float(g("unit")),
        _float(g("mq")),
        _int(g("E")),
        stream,
    )


def _open_interest(d: _Data, stream: Optional[str]) -> OpenInterest:
    g = d.get
    return OpenInterest(_str(g("s")), _float(g("o")), _float(g("h")), _int(g("E")), stream)


def _depth(d: _Data, stream: Optional[str]) -> BookDepth:
    g = d.get
    return BookDepth(
        _str(g("s")),
        _levels(g("b")),
        _levels(g("a")),
        _int(g("u")),
        _int(g("pu")),
        _int(g("T")),
        _int(g("E")),
        stream,
    )


#: What a strict read (``d[key]``, ``float()``, ``int()``) raises on a value that
#: the tolerant readers would turn into None: a missing key, a null, ``""``, ``"27.0"``
#: given to ``int()``, an out-of-range number.
_NOT_WELL_FORMED = (KeyError, TypeError, ValueError, OverflowError)


def _ticker(d: _Data, stream: Optional[str]) -> Ticker:
    # The busiest event (one per option per second, a whole chain at a time), so it
    # has a fast path: every key read strictly, no Python call per field. Wherever a
    # strict read succeeds it gives what the tolerant reader gives, and anything
    # unusual raises, so the tolerant code below is the reference for every field.
    try:
        return Ticker(
            _str(d["s"]),
            float(d["c"]),
            float(d["o"]),
            float(d["h"]),
            float(d["l"]),
            float(d["p"]),
            float(d["P"]),
            float(d["V"]),
            float(d["A"]),
            float(d["Q"]),
            int(d["F"]),
            int(d["L"]),
            int(d["n"]),
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
            float(d["eep"]),
            int(d["T"]),
            int(d["E"]),
            stream,
        )
    except _NOT_WELL_FORMED:
        pass
    g = d.get
    return Ticker(
        _str(g("s")),
        _float(g("c")),
        _float(g("o")),
        _float(g("h")),
        _float(g("l")),
        _float(g("p")),
        _float(g("P")),
        _float(g("V")),
        _float(g("A")),
        _float(g("Q")),
        _int(g("F")),
        _int(g("L")),
        _int(g("n")),
        _float(g("bo")),
        _float(g("ao")),
        _float(g("bq")),
        _float(g("aq")),
        _float(g("b")),
        _float(g("a")),
        _float(g("vo")),
        _float(g("mp")),
        _float(g("d")),
        _float(g("t")),
        _float(g("g")),
        _float(g("v")),
        _float(g("hl")),
        _float(g("ll")),
        _float(g("eep")),
        _int(g("T")),
        _int(g("E")),
        stream,
    )


def _trade(d: _Data, stream: Optional[str]) -> Trade:
    g = d.get
    return Trade(
        _str(g("s")),
        _int(g("t")),
        _float(g("p")),
        _float(g("q")),
        _int(g("S")),
        _str(g("X")),
        _int(g("b")),
        _int(g("a")),
        _int(g("T")),
        _int(g("E")),
        stream,
    )


_PARSERS: Dict[str, Callable[[_Data, Optional[str]], Event]] = {
    "index": _index,
    "markPrice": _mark_price,
    "kline": _kline,
    "OPTION_PAIR": _new_symbol,
    "openInterest": _open_interest,
    "depth": _depth,
    "24hrTicker": _ticker,
    "trade": _trade,
}


def _type_from_stream(stream: Optional[str]) -> Optional[str]:
    """Guess the event type from the stream name, for a payload that lacks ``e``."""
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


def _event(item: Any, stream: Optional[str]) -> Event:
    if item.__class__ is not dict:
        return UnknownEvent(None, item, None, stream)
    event_type = item.get("e")
    parser = _PARSERS.get(event_type) if event_type.__class__ is str else None
    if parser is None and event_type is None:
        parser = _PARSERS.get(_type_from_stream(stream))  # type: ignore[arg-type]
    if parser is None:
        return UnknownEvent(_str(event_type), item, _int(item.get("E")), stream)
    return parser(item, stream)


def _payload(data: Any, stream: Optional[str]) -> List[Message]:
    if data.__class__ is list:
        return [_event(item, stream) for item in data]
    return [_event(data, stream)]


#: The scanner ``json.loads`` itself uses (set by ``JSONDecoder.__init__``, which the
#: type stubs do not declare): ``(text, index) -> (value, end)``.
_scan_once: Callable[[str, int], Tuple[Any, int]] = json.JSONDecoder().scan_once  # type: ignore[attr-defined]


def _loads(message: Union[str, bytes, bytearray]) -> Any:
    """``json.loads(message)``, without its overhead on the usual message.

    ``json.loads`` sniffs the encoding of bytes (UTF-8, -16 or -32) and matches
    whitespace around the value with regular expressions: a fifth to a third of
    its time on a 500-byte frame. A WebSocket text frame is UTF-8 and the exchange's JSON has
    no surrounding whitespace, so the scanner (the one ``json.loads`` uses) reads
    it directly. Anything else, valid or not, goes to ``json.loads``, whose answer
    or error is the reference.
    """
    try:
        text = message if message.__class__ is str else message.decode()  # type: ignore[union-attr]
        data, end = _scan_once(text, 0)
        if end == len(text):
            return data
    except Exception:  # not UTF-8, not JSON, nested too deep, ...: json.loads decides
        pass
    return json.loads(message)


def parse_message(message: Union[str, bytes, bytearray, Any]) -> List[Message]:
    """Turn one WebSocket message into a list of typed events.

    Args:
        message: The message as text (``str`` or UTF-8 ``bytes``) or as already
            decoded JSON, either raw or inside the combined envelope
            ``{"stream": ..., "data": ...}``.

    Returns:
        The events, in order. Array payloads (mark price, open interest, ticker by
        expiration) give one event per element, each carrying the envelope's
        stream. A control reply gives ``[ControlReply]``, an error ``[ErrorReply]``.

    Raises:
        MessageParseError: If the text is not JSON.

    Example:
        >>> [trade] = parse_message('{"e":"trade","s":"BTC-200630-9000-P","t":"7","p":"1000"}')
        >>> trade.trade_id, trade.price
        (7, 1000.0)
    """
    if isinstance(message, (str, bytes, bytearray)):
        try:
            data = _loads(message)
        except (ValueError, RecursionError) as exc:  # JSONDecodeError, UnicodeDecodeError
            text = message[:200] if isinstance(message, str) else repr(bytes(message[:200]))
            raise MessageParseError(f"message is not JSON: {exc}", text) from exc
    else:
        data = message
    if data.__class__ is dict:
        if "data" in data and "stream" in data:
            stream = data["stream"]
            return _payload(data["data"], stream if stream.__class__ is str else None)
        if "e" in data:
            return [_event(data, None)]
        if "code" in data:  # an error, even without "msg": never a successful reply
            msg = str(data.get("msg", ""))
            return [ErrorReply(_int(data["code"]), msg, _int(data.get("id")))]
        if "error" in data:  # {"error": {"code": 2, "msg": "..."}, "id": 1}
            error = data["error"]
            if error.__class__ is dict:
                code, msg = _int(error.get("code")), str(error.get("msg", ""))
            else:
                code, msg = None, str(error)
            return [ErrorReply(code, msg, _int(data.get("id")))]
        if "id" in data:
            return [ControlReply(_int(data["id"]), data.get("result"))]
        return [UnknownEvent(None, data, _int(data.get("E")), None)]
    if data.__class__ is list:
        return _payload(data, None)
    return [UnknownEvent(None, data, None, None)]
