"""Typed events, and :func:`parse_message` that turns WebSocket messages into them.

Every event is a frozen, slotted attrs class with readable field names (and no
``__weakref__`` slot: see ``_fast_constructor``). Each class docstring maps its
fields to the exchange's one-letter wire keys. Every
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
import sysconfig
from typing import Any, Callable, Dict, List, Optional, Tuple, Type, TypeVar, Union, cast

import attrs

from .exceptions import InvalidArgumentError, MessageParseError

__all__ = [
    "BookDepth",
    "BookTicker",
    "ControlReply",
    "DepthUpdate",
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


@attrs.frozen(weakref_slot=False)
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


@attrs.frozen(weakref_slot=False)
class MarkPrice:
    """The mark price of one option, one event per option of an underlying.

    Streams ``<ASSET>@markPrice`` (nbstream: symbol and mark price only) and
    ``<pair>@optionMarkPrice`` (fstream: with the book top, IVs and greeks, which
    moved here from the ticker). Fields the endpoint does not send are None.

    Attributes:
        symbol: ``s``, the option symbol.
        mark_price: ``mp``, the mark price.
        index_price: ``i``, the underlying's index price (fstream).
        estimated_settle_price: ``P``, only meaningful in the half hour before
            settlement (fstream).
        best_bid_price: ``bo`` (fstream).
        best_ask_price: ``ao`` (fstream).
        best_bid_quantity: ``bq`` (fstream).
        best_ask_quantity: ``aq`` (fstream).
        bid_iv: ``b``, implied volatility of the best bid; None when the exchange
            sends -1 (no bid) (fstream).
        ask_iv: ``a``, implied volatility of the best ask; None when -1 (fstream).
        max_buy_price: ``hl``, highest price a buy order may have (fstream).
        min_sell_price: ``ll``, lowest price a sell order may have (fstream).
        mark_iv: ``vo``, implied volatility at the mark price (fstream).
        risk_free_rate: ``rf`` (fstream).
        delta: ``d`` (fstream).
        theta: ``t`` (fstream).
        gamma: ``g`` (fstream).
        vega: ``v`` (fstream).
        event_time: ``E``.
        stream: The stream it arrived on.
    """

    symbol: Optional[str] = None
    mark_price: Optional[float] = None
    index_price: Optional[float] = None
    estimated_settle_price: Optional[float] = None
    best_bid_price: Optional[float] = None
    best_ask_price: Optional[float] = None
    best_bid_quantity: Optional[float] = None
    best_ask_quantity: Optional[float] = None
    bid_iv: Optional[float] = None
    ask_iv: Optional[float] = None
    max_buy_price: Optional[float] = None
    min_sell_price: Optional[float] = None
    mark_iv: Optional[float] = None
    risk_free_rate: Optional[float] = None
    delta: Optional[float] = None
    theta: Optional[float] = None
    gamma: Optional[float] = None
    vega: Optional[float] = None
    event_time: Optional[int] = None
    stream: Optional[str] = None


@attrs.frozen(weakref_slot=False)
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
        first_trade_id: ``k.F`` (nbstream) or ``k.f`` (fstream).
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


@attrs.frozen(weakref_slot=False)
class NewSymbol:
    """A newly listed option (streams ``option_pair`` and, on fstream, ``!optionSymbol``).

    Attributes:
        symbol: ``s``, the new option symbol.
        underlying: ``u`` (nbstream) or ``ps`` (fstream), the underlying index, e.g.
            ``"BTCUSDT"``.
        quote_asset: ``qa``, e.g. ``"USDT"``.
        side: ``d``, ``"CALL"`` or ``"PUT"``.
        strike_price: ``sp``.
        expiration_time: ``ed`` (nbstream) or ``dt`` (fstream), expiry in milliseconds.
        unit: ``unit`` (nbstream) or ``u`` (fstream), underlying quantity represented
            by one contract.
        min_quantity: ``mq``, minimum trade volume of the underlying asset (nbstream).
        onboard_time: ``ot``, listing time in milliseconds (fstream).
        status: ``cs``, contract status such as ``"TRADING"`` (fstream).
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
    onboard_time: Optional[int] = None
    status: Optional[str] = None
    event_time: Optional[int] = None
    stream: Optional[str] = None


@attrs.frozen(weakref_slot=False)
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


@attrs.frozen(weakref_slot=False)
class BookDepth:
    """The top bids and asks of an option: a snapshot of the top of the book.

    Streams ``<SYMBOL>@depth<levels>[@<speed>]`` (nbstream) and
    ``<symbol>@depth<levels>@<speed>`` (fstream).

    Attributes:
        symbol: ``s``, the option symbol.
        bids: ``b``, ``(price, quantity)`` pairs, best (highest) first.
        asks: ``a``, ``(price, quantity)`` pairs, best (lowest) first.
        first_update_id: ``U``, the first update id in the event (fstream).
        update_id: ``u``.
        previous_update_id: ``pu``.
        transaction_time: ``T``, milliseconds.
        event_time: ``E``.
        stream: The stream it arrived on.
    """

    symbol: Optional[str] = None
    bids: Tuple[PriceLevel, ...] = ()
    asks: Tuple[PriceLevel, ...] = ()
    first_update_id: Optional[int] = None
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


@attrs.frozen(weakref_slot=False)
class DepthUpdate:
    """Changes to an option's order book (fstream stream ``<symbol>@depth@<speed>``).

    Each level gives the new total quantity at a price; a quantity of 0 removes the
    level. Apply them in order to a snapshot to keep a local book (see
    :class:`~binance_options_ws.OrderBook`); ``previous_update_id`` equals the
    previous event's ``update_id``, or updates were missed.

    Attributes:
        symbol: ``s``, the option symbol.
        bids: ``b``, changed ``(price, quantity)`` bid levels.
        asks: ``a``, changed ``(price, quantity)`` ask levels.
        first_update_id: ``U``, the first update id in the event.
        update_id: ``u``, the last update id in the event.
        previous_update_id: ``pu``, the last update id of the previous event.
        transaction_time: ``T``, milliseconds.
        event_time: ``E``.
        stream: The stream it arrived on.
    """

    symbol: Optional[str] = None
    bids: Tuple[PriceLevel, ...] = ()
    asks: Tuple[PriceLevel, ...] = ()
    first_update_id: Optional[int] = None
    update_id: Optional[int] = None
    previous_update_id: Optional[int] = None
    transaction_time: Optional[int] = None
    event_time: Optional[int] = None
    stream: Optional[str] = None


@attrs.frozen(weakref_slot=False)
class BookTicker:
    """The best bid and ask of an option, on every change (fstream ``<symbol>@bookTicker``).

    Attributes:
        symbol: ``s``, the option symbol.
        best_bid_price: ``b``.
        best_bid_quantity: ``B``.
        best_ask_price: ``a``.
        best_ask_quantity: ``A``.
        update_id: ``u``, the order book update id.
        transaction_time: ``T``, milliseconds.
        event_time: ``E``.
        stream: The stream it arrived on.
    """

    symbol: Optional[str] = None
    best_bid_price: Optional[float] = None
    best_bid_quantity: Optional[float] = None
    best_ask_price: Optional[float] = None
    best_ask_quantity: Optional[float] = None
    update_id: Optional[int] = None
    transaction_time: Optional[int] = None
    event_time: Optional[int] = None
    stream: Optional[str] = None


@attrs.frozen(weakref_slot=False)
class Ticker:
    """The 24-hour ticker of an option (one event per option).

    Streams ``<SYMBOL>@ticker`` and ``<ASSET>@ticker@<YYMMDD>`` on nbstream, with
    the book top, greeks and implied volatility; ``<symbol>@optionTicker`` and
    ``<pair>@optionTicker@<YYMMDD>`` on fstream, with 24-hour statistics only (the
    greeks are in :class:`MarkPrice` there). Fields the endpoint does not send are
    None. The wire keys differ between the endpoints (fstream's ``v`` is the
    volume, nbstream's is vega); the field names mean the same on both.

    Attributes:
        symbol: ``s``, the option symbol.
        last_price: ``c``, latest price.
        open: ``o``, 24-hour opening price.
        high: ``h``.
        low: ``l``.
        price_change: ``p``.
        price_change_percent: ``P``, as sent (nbstream documents it as a fraction).
        weighted_average_price: ``w`` (fstream).
        volume: ``V`` (nbstream) or ``v`` (fstream), trading volume in contracts.
        quote_volume: ``A`` (nbstream) or ``q`` (fstream), trade amount in the quote asset.
        last_quantity: ``Q``, quantity of the last trade.
        first_trade_id: ``F``.
        last_trade_id: ``L``.
        trade_count: ``n``.
        open_time: ``O``, start of the 24-hour window, milliseconds (fstream).
        close_time: ``C``, end of the 24-hour window, milliseconds (fstream).
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
    weighted_average_price: Optional[float] = None
    volume: Optional[float] = None
    quote_volume: Optional[float] = None
    last_quantity: Optional[float] = None
    first_trade_id: Optional[int] = None
    last_trade_id: Optional[int] = None
    trade_count: Optional[int] = None
    open_time: Optional[int] = None
    close_time: Optional[int] = None
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


@attrs.frozen(weakref_slot=False)
class Trade:
    """One trade.

    Streams ``<SYMBOL>@trade`` and ``<ASSET>@trade`` (nbstream), ``<symbol>@optionTrade``
    and ``<pair>@optionTrade`` (fstream). Fields the endpoint does not send are None.

    Attributes:
        symbol: ``s``, the option symbol.
        trade_id: ``t``.
        price: ``p``.
        quantity: ``q``, in contracts (nbstream documents it signed, fstream always
            positive).
        side: ``S`` on fstream, the trade's direction, ``"BUY"`` or ``"SELL"``.
        is_buyer_maker: ``m``, True when the buyer was the maker (fstream).
        direction: ``S`` on nbstream, the documented direction, ``1`` or ``-1``.
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
    side: Optional[str] = None
    is_buyer_maker: Optional[bool] = None
    direction: Optional[int] = None
    trade_type: Optional[str] = None
    buy_order_id: Optional[int] = None
    sell_order_id: Optional[int] = None
    trade_time: Optional[int] = None
    event_time: Optional[int] = None
    stream: Optional[str] = None


@attrs.frozen(weakref_slot=False)
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


@attrs.frozen(weakref_slot=False)
class ControlReply:
    """The exchange's answer to SUBSCRIBE, LIST_SUBSCRIPTIONS and the like.

    Attributes:
        id: The ``id`` of the request it answers.
        result: ``result``: None for SUBSCRIBE, a list for LIST_SUBSCRIPTIONS, a value
            for GET_PROPERTY.
    """

    id: Optional[int] = None
    result: Any = attrs.field(default=None, hash=False)  # compared, but a list is unhashable


@attrs.frozen(weakref_slot=False)
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
    IndexPrice,
    Kline,
    MarkPrice,
    NewSymbol,
    OpenInterest,
    BookDepth,
    Ticker,
    Trade,
    BookTicker,
    DepthUpdate,
    UnknownEvent,
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


_E = TypeVar("_E")


#: Whether this interpreter runs without the GIL (Python 3.13's free-threaded build).
_FREE_THREADED = bool(sysconfig.get_config_var("Py_GIL_DISABLED"))


def _fast_constructor(cls: Type[_E]) -> Callable[..., _E]:
    """A stand-in for ``cls(...)`` that builds the same frozen instances faster.

    A frozen attrs class's ``__init__`` sets every field through
    ``object.__setattr__``, since its own ``__setattr__`` refuses: about 50 ns a
    field, two microseconds for the ticker's 34 (a sixth of its whole parse). The
    stand-in is a mutable twin of ``cls``, an attrs class with the same fields (so
    the same signature) and the same slots, whose ``__init__`` assigns them plainly
    and then turns the new object into a ``cls`` by assigning its ``__class__``.
    What comes out is a genuine ``cls`` instance: the same type, equality, hash,
    repr and immutability, and it pickles as one.

    CPython allows that assignment only between classes of the same layout: the
    same base, the same slot names and no ``__dict__``. A ``__weakref__`` slot
    breaks it (it comes after the fields, where the check does not look for it),
    which is why the event classes say ``weakref_slot=False``.

    On a free-threaded build (no GIL) assigning ``__class__`` pauses every other
    thread, which would cost far more than it saves, so there the classes build
    their events themselves.

    Args:
        cls: An attrs class. Only a slotted one without validators, converters,
            ``init=False`` or init hooks gets a twin.

    Returns:
        The twin class, or ``cls`` itself when the twin cannot stand in for it:
        ``cls`` has something the twin would skip, this interpreter refuses the
        ``__class__`` assignment (checked here, once), or it runs without the GIL.
        Either way the result is the same; only the speed differs.
    """
    fields = attrs.fields(cls)  # type: ignore[arg-type]
    if (
        _FREE_THREADED
        or any(f.validator or f.converter or not f.init or f.alias != f.name for f in fields)
        or hasattr(cls, "__attrs_init__")  # init=False: its own __init__
        or hasattr(cls, "__attrs_pre_init__")
        or hasattr(cls, "__attrs_post_init__")
    ):
        return cls

    def __attrs_post_init__(self: Any) -> None:  # noqa: N807 (attrs' hook name)
        self.__class__ = cls

    # The twin shows nowhere but in a TypeError on bad arguments: with the class's
    # name, that reads as the class's own.
    body = {
        "__attrs_post_init__": __attrs_post_init__,
        "__module__": cls.__module__,
        "__qualname__": cls.__qualname__,
    }
    twin = attrs.define(
        type(cls.__name__, (), body),
        these={f.name: attrs.field(default=f.default, kw_only=f.kw_only) for f in fields},
        slots=True,
        weakref_slot=False,
        frozen=False,
        on_setattr=attrs.setters.NO_OP,
        eq=False,
        order=False,
        repr=False,
    )
    try:  # the class swap, once
        twin(**dict.fromkeys(f.name for f in fields))
    except TypeError:  # "__class__ assignment: ... object layout differs ..."
        return cls
    return cast(Callable[..., _E], twin)


# The constructors the parsers use for the events that arrive by the thousand: the
# same arguments and results as the classes, and a tenth to a sixth off each parse.
# NewSymbol and the replies are rare: they keep the classes.
_new_index_price = _fast_constructor(IndexPrice)
_new_mark_price = _fast_constructor(MarkPrice)
_new_kline = _fast_constructor(Kline)
_new_open_interest = _fast_constructor(OpenInterest)
_new_book_depth = _fast_constructor(BookDepth)
_new_depth_update = _fast_constructor(DepthUpdate)
_new_book_ticker = _fast_constructor(BookTicker)
_new_ticker = _fast_constructor(Ticker)
_new_trade = _fast_constructor(Trade)


# --------------------------------------------------------------------------
# One parser per event type
# --------------------------------------------------------------------------

_Data = Dict[str, Any]


def _index(d: _Data, stream: Optional[str]) -> IndexPrice:
    g = d.get
    return _new_index_price(_str(g("s")), _float(g("p")), _int(g("E")), stream)


def _mark_price(d: _Data, stream: Optional[str]) -> MarkPrice:
    g = d.get
    return _new_mark_price(_str(g("s")), _float(g("mp")), event_time=_int(g("E")), stream=stream)


def _kline(d: _Data, stream: Optional[str]) -> Kline:
    k = d.get("k")
    if not isinstance(k, dict):
        k = {}
    g = k.get
    return _new_kline(
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
        None,
        None,
        _int(g("E")),
        stream,
    )


def _open_interest(d: _Data, stream: Optional[str]) -> OpenInterest:
    g = d.get
    return _new_open_interest(_str(g("s")), _float(g("o")), _float(g("h")), _int(g("E")), stream)


def _depth(d: _Data, stream: Optional[str]) -> BookDepth:
    g = d.get
    return _new_book_depth(
        _str(g("s")),
        _levels(g("b")),
        _levels(g("a")),
        None,
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
    # has a fast path: every key read strictly, no Python call per field, and the
    # event built by the fast constructor. Wherever a strict read succeeds it gives
    # what the tolerant reader gives, and anything unusual raises, so the tolerant
    # code below is the reference for every field.
    try:
        symbol = d["s"]
        return _new_ticker(
            symbol if symbol.__class__ is str else _str(symbol),  # no call for the usual str
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
            int(d["F"]),
            int(d["L"]),
            int(d["n"]),
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
        None,
        _float(g("V")),
        _float(g("A")),
        _float(g("Q")),
        _int(g("F")),
        _int(g("L")),
        _int(g("n")),
        None,
        None,
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
    return _new_trade(
        _str(g("s")),
        _int(g("t")),
        _float(g("p")),
        _float(g("q")),
        None,
        None,
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


# --------------------------------------------------------------------------
# The 2026 fstream endpoint's payloads (../shared/spec/options-streams-2026.md)
# --------------------------------------------------------------------------


def _iv(value: Any) -> Optional[float]:
    """An implied volatility; the exchange's -1 means "none on this side"."""
    number = _float(value)
    return None if number == -1.0 else number


def _f_mark_price(d: _Data, stream: Optional[str]) -> MarkPrice:
    g = d.get
    return _new_mark_price(
        _str(g("s")),
        _float(g("mp")),
        _float(g("i")),
        _float(g("P")),
        _float(g("bo")),
        _float(g("ao")),
        _float(g("bq")),
        _float(g("aq")),
        _iv(g("b")),
        _iv(g("a")),
        _float(g("hl")),
        _float(g("ll")),
        _float(g("vo")),
        _float(g("rf")),
        _float(g("d")),
        _float(g("t")),
        _float(g("g")),
        _float(g("v")),
        _int(g("E")),
        stream,
    )


def _f_new_symbol(d: _Data, stream: Optional[str]) -> NewSymbol:
    g = d.get
    return NewSymbol(
        _str(g("s")),
        _str(g("ps")),
        _str(g("qa")),
        _str(g("d")),
        _float(g("sp")),
        _int(g("dt")),
        _float(g("u")),
        None,
        _int(g("ot")),
        _str(g("cs")),
        _int(g("E")),
        stream,
    )


def _f_depth(d: _Data, stream: Optional[str]) -> Union[BookDepth, DepthUpdate]:
    g = d.get
    # The same payload serves the partial book (depth<levels>@<speed>) and the diff
    # stream (depth@<speed>); only the stream name tells them apart.
    new: Callable[..., Union[BookDepth, DepthUpdate]] = (
        _new_book_depth if stream and "@depth@" not in stream else _new_depth_update
    )
    return new(
        _str(g("s")),
        _levels(g("b")),
        _levels(g("a")),
        _int(g("U")),
        _int(g("u")),
        _int(g("pu")),
        _int(g("T")),
        _int(g("E")),
        stream,
    )


def _f_book_ticker(d: _Data, stream: Optional[str]) -> BookTicker:
    g = d.get
    return _new_book_ticker(
        _str(g("s")),
        _float(g("b")),
        _float(g("B")),
        _float(g("a")),
        _float(g("A")),
        _int(g("u")),
        _int(g("T")),
        _int(g("E")),
        stream,
    )


def _f_ticker(d: _Data, stream: Optional[str]) -> Ticker:
    g = d.get
    return _new_ticker(
        _str(g("s")),
        _float(g("c")),
        _float(g("o")),
        _float(g("h")),
        _float(g("l")),
        _float(g("p")),
        _float(g("P")),
        _float(g("w")),
        _float(g("v")),
        _float(g("q")),
        _float(g("Q")),
        _int(g("F")),
        _int(g("L")),
        _int(g("n")),
        _int(g("O")),
        _int(g("C")),
        event_time=_int(g("E")),
        stream=stream,
    )


def _f_trade(d: _Data, stream: Optional[str]) -> Trade:
    g = d.get
    side = _str(g("S"))
    return _new_trade(
        _str(g("s")),
        _int(g("t")),
        _float(g("p")),
        _float(g("q")),
        side.upper() if side else side,
        _bool(g("m")),
        None,
        _str(g("X")),
        None,
        None,
        _int(g("T")),
        _int(g("E")),
        stream,
    )


_FSTREAM_PARSERS: Dict[str, Callable[[_Data, Optional[str]], Event]] = {
    "indexPrice": _index,  # the same keys as nbstream's "index"
    "markPrice": _f_mark_price,
    "kline": _kline,
    "optionSymbol": _f_new_symbol,
    "openInterest": _open_interest,
    "depthUpdate": _f_depth,
    "bookTicker": _f_book_ticker,
    "24hrTicker": _f_ticker,
    "trade": _f_trade,
}


def _fstream_type_from_stream(stream: Optional[str]) -> Optional[str]:
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


_Parsers = Dict[str, Callable[[_Data, Optional[str]], Event]]
_Guess = Callable[[Optional[str]], Optional[str]]

#: Each endpoint's payload parsers, and its guess of a type from a stream name.
_DIALECTS: Dict[str, Tuple[_Parsers, _Guess]] = {
    "nbstream": (_PARSERS, _type_from_stream),
    "fstream": (_FSTREAM_PARSERS, _fstream_type_from_stream),
}


def _event(
    item: Any,
    stream: Optional[str],
    parsers: _Parsers = _PARSERS,
    guess: _Guess = _type_from_stream,
) -> Event:
    if item.__class__ is not dict:
        return UnknownEvent(None, item, None, stream)
    event_type = item.get("e")
    parser = parsers.get(event_type) if event_type.__class__ is str else None
    if parser is None and event_type is None:
        parser = parsers.get(guess(stream))  # type: ignore[arg-type]
    if parser is None:
        return UnknownEvent(_str(event_type), item, _int(item.get("E")), stream)
    return parser(item, stream)


def _payload(
    data: Any,
    stream: Optional[str],
    parsers: _Parsers = _PARSERS,
    guess: _Guess = _type_from_stream,
) -> List[Message]:
    if data.__class__ is list:
        return [_event(item, stream, parsers, guess) for item in data]
    return [_event(data, stream, parsers, guess)]


#: The scanner ``json.loads`` itself uses (set by ``JSONDecoder.__init__``, which the
#: type stubs do not declare): ``(text, index) -> (value, end)``.
_scan_once: Callable[[str, int], Tuple[Any, int]] = json.JSONDecoder().scan_once  # type: ignore[attr-defined]


#: What :func:`parse_message` decodes as JSON (a constant: a tuple written in the
#: ``isinstance`` call would be built on every call).
_TEXT = (str, bytes, bytearray)


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


def parse_message(
    message: Union[str, bytes, bytearray, Any], *, endpoint: str = "nbstream"
) -> List[Message]:
    """Turn one WebSocket message into a list of typed events.

    Args:
        message: The message as text (``str`` or UTF-8 ``bytes``) or as already
            decoded JSON, either raw or inside the combined envelope
            ``{"stream": ..., "data": ...}``.
        endpoint: Whose payloads these are: ``"nbstream"`` (the original endpoint,
            the default) or ``"fstream"`` (the 2026 endpoint). Some wire keys mean
            different things on the two (the ticker's ``v``, the trade's ``S``).

    Returns:
        The events, in order. Array payloads (mark price, open interest, ticker by
        expiration) give one event per element, each carrying the envelope's
        stream. A control reply gives ``[ControlReply]``, an error ``[ErrorReply]``.

    Raises:
        MessageParseError: If the text is not JSON.
        InvalidArgumentError: If ``endpoint`` is not one of the two.

    Example:
        >>> [trade] = parse_message('{"e":"trade","s":"BTC-200630-9000-P","t":"7","p":"1000"}')
        >>> trade.trade_id, trade.price
        (7, 1000.0)
    """
    try:
        parsers, guess = _DIALECTS[endpoint]
    except (KeyError, TypeError):
        raise InvalidArgumentError(
            f"endpoint must be one of {', '.join(map(repr, _DIALECTS))}, got {endpoint!r}"
        ) from None
    if isinstance(message, _TEXT):
        try:
            data = _loads(message)
        except (ValueError, RecursionError) as exc:  # JSONDecodeError, UnicodeDecodeError
            text = message[:200] if isinstance(message, str) else repr(bytes(message[:200]))
            raise MessageParseError(f"message is not JSON: {exc}", text) from exc
    else:
        data = message
    if data.__class__ is dict:
        # The usual message is one event of a known type in the envelope. It goes
        # straight to its parser: what _payload and _event would do with it, without
        # their two calls and repeated checks. Anything else, an array included,
        # takes the general path.
        if "data" in data and "stream" in data:
            payload, stream = data["data"], data["stream"]
            if stream.__class__ is not str:
                stream = None
            if payload.__class__ is dict:
                event_type = payload.get("e")
                parser = parsers.get(event_type) if event_type.__class__ is str else None
                if parser is not None:
                    return [parser(payload, stream)]
            return _payload(payload, stream, parsers, guess)
        if "e" in data:
            return [_event(data, None, parsers, guess)]
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
        return _payload(data, None, parsers, guess)
    return [UnknownEvent(None, data, None, None)]
