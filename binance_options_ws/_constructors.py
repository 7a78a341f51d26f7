"""Typed constructors of the events, fast where events arrive by the thousand.

The payload parsers of every dialect build their events through the ``new_*``
functions below, one per event class. Each takes the class's fields in the
class's order, as the tolerant readers of :mod:`binance_options_ws._wire` give
them (None for a value a message lacks), and:

* checks the fields the exchange always sends (the ones the class types without
  ``Optional``): a None there raises :class:`~binance_options_ws.MessageParseError`
  naming the class, the fields and the stream, which the connection counts as a
  malformed frame (the README's field rule);
* builds the event through :func:`fast_constructor`'s stand-in, a tenth to a sixth
  faster than the class itself.

They are plain typed functions, so mypy checks every call of a parser against
them, and their own call of the stand-in against the class's fields
(:func:`fast_constructor` keeps the class's signature, through a ``ParamSpec``);
``tests/test_models.py`` checks that each one takes the fields of its class, in
order.

This module is pure: no sockets, threads or clocks.
"""

from __future__ import annotations

import sysconfig
from typing import TYPE_CHECKING, Any, Callable, Optional, Tuple, Type, TypeVar, cast

import attrs

from .exceptions import MessageParseError
from .models import (
    BookDepth,
    BookTicker,
    DepthUpdate,
    IndexPrice,
    Kline,
    MarkPrice,
    NewSymbol,
    OpenInterest,
    PriceLevel,
    Ticker,
    Trade,
)

if TYPE_CHECKING:  # for the type checkers only: no runtime dependency
    from typing_extensions import ParamSpec

    _P = ParamSpec("_P")

__all__ = [
    "FREE_THREADED",
    "fast_constructor",
    "new_book_depth",
    "new_book_ticker",
    "new_depth_update",
    "new_index_price",
    "new_kline",
    "new_mark_price",
    "new_new_symbol",
    "new_open_interest",
    "new_ticker",
    "new_trade",
]

_E = TypeVar("_E")


#: Whether this interpreter runs without the GIL (Python 3.13's free-threaded build).
FREE_THREADED = bool(sysconfig.get_config_var("Py_GIL_DISABLED"))


def fast_constructor(cls: Callable[_P, _E]) -> Callable[_P, _E]:
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
    klass = cast(Type[Any], cls)
    fields = attrs.fields(klass)
    if (
        FREE_THREADED
        or any(f.validator or f.converter or not f.init or f.alias != f.name for f in fields)
        or hasattr(klass, "__attrs_init__")  # init=False: its own __init__
        or hasattr(klass, "__attrs_pre_init__")
        or hasattr(klass, "__attrs_post_init__")
    ):
        return cls

    def __attrs_post_init__(self: Any) -> None:  # noqa: N807 (attrs' hook name)
        self.__class__ = klass

    # The twin shows nowhere but in a TypeError on bad arguments: with the class's
    # name, that reads as the class's own.
    body = {
        "__attrs_post_init__": __attrs_post_init__,
        "__module__": klass.__module__,
        "__qualname__": klass.__qualname__,
    }
    twin = attrs.define(
        type(klass.__name__, (), body),
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
    return cast("Callable[_P, _E]", twin)


def _missing(cls: type, stream: Optional[str], **values: object) -> MessageParseError:
    """The error for an event whose message lacks fields the exchange always sends."""
    names = ", ".join(name for name, value in values.items() if value is None)
    where = f" on {stream!r}" if stream else ""
    return MessageParseError(
        f"a {cls.__name__} event{where} without {names} (missing, or not a value of the "
        "field's type): the message is malformed",
        f"{cls.__name__} without {names}",
    )


# The stand-ins, typed as their classes' constructors.
_IndexPrice = fast_constructor(IndexPrice)
_MarkPrice = fast_constructor(MarkPrice)
_Kline = fast_constructor(Kline)
_NewSymbol = NewSymbol  # rare: the class itself
_OpenInterest = fast_constructor(OpenInterest)
_BookDepth = fast_constructor(BookDepth)
_DepthUpdate = fast_constructor(DepthUpdate)
_BookTicker = fast_constructor(BookTicker)
_Ticker = fast_constructor(Ticker)
_Trade = fast_constructor(Trade)


def new_index_price(
    symbol: Optional[str] = None,
    price: Optional[float] = None,
    event_time: Optional[int] = None,
    stream: Optional[str] = None,
) -> IndexPrice:
    """Build a :class:`IndexPrice` from read wire values; a missing required one raises."""
    if symbol is None or price is None or event_time is None:
        raise _missing(IndexPrice, stream, symbol=symbol, price=price, event_time=event_time)
    return _IndexPrice(symbol, price, event_time, "" if stream is None else stream)


def new_mark_price(
    symbol: Optional[str] = None,
    mark_price: Optional[float] = None,
    index_price: Optional[float] = None,
    estimated_settle_price: Optional[float] = None,
    best_bid_price: Optional[float] = None,
    best_ask_price: Optional[float] = None,
    best_bid_quantity: Optional[float] = None,
    best_ask_quantity: Optional[float] = None,
    bid_iv: Optional[float] = None,
    ask_iv: Optional[float] = None,
    max_buy_price: Optional[float] = None,
    min_sell_price: Optional[float] = None,
    mark_iv: Optional[float] = None,
    risk_free_rate: Optional[float] = None,
    delta: Optional[float] = None,
    theta: Optional[float] = None,
    gamma: Optional[float] = None,
    vega: Optional[float] = None,
    event_time: Optional[int] = None,
    stream: Optional[str] = None,
) -> MarkPrice:
    """Build a :class:`MarkPrice` from read wire values; a missing required one raises."""
    if symbol is None or mark_price is None or event_time is None:
        raise _missing(
            MarkPrice, stream, symbol=symbol, mark_price=mark_price, event_time=event_time
        )
    return _MarkPrice(
        symbol,
        mark_price,
        index_price,
        estimated_settle_price,
        best_bid_price,
        best_ask_price,
        best_bid_quantity,
        best_ask_quantity,
        bid_iv,
        ask_iv,
        max_buy_price,
        min_sell_price,
        mark_iv,
        risk_free_rate,
        delta,
        theta,
        gamma,
        vega,
        event_time,
        "" if stream is None else stream,
    )


def new_kline(
    symbol: Optional[str] = None,
    interval: Optional[str] = None,
    start_time: Optional[int] = None,
    end_time: Optional[int] = None,
    open: Optional[float] = None,
    high: Optional[float] = None,
    low: Optional[float] = None,
    close: Optional[float] = None,
    volume: Optional[float] = None,
    quote_volume: Optional[float] = None,
    taker_volume: Optional[float] = None,
    taker_quote_volume: Optional[float] = None,
    trade_count: Optional[int] = None,
    first_trade_id: Optional[int] = None,
    last_trade_id: Optional[int] = None,
    is_closed: Optional[bool] = None,
    event_time: Optional[int] = None,
    stream: Optional[str] = None,
) -> Kline:
    """Build a :class:`Kline` from read wire values; a missing required one raises."""
    if (
        symbol is None
        or interval is None
        or start_time is None
        or end_time is None
        or open is None
        or high is None
        or low is None
        or close is None
        or volume is None
        or is_closed is None
        or event_time is None
    ):
        raise _missing(
            Kline,
            stream,
            symbol=symbol,
            interval=interval,
            start_time=start_time,
            end_time=end_time,
            open=open,
            high=high,
            low=low,
            close=close,
            volume=volume,
            is_closed=is_closed,
            event_time=event_time,
        )
    return _Kline(
        symbol,
        interval,
        start_time,
        end_time,
        open,
        high,
        low,
        close,
        volume,
        quote_volume,
        taker_volume,
        taker_quote_volume,
        trade_count,
        first_trade_id,
        last_trade_id,
        is_closed,
        event_time,
        "" if stream is None else stream,
    )


def new_new_symbol(
    symbol: Optional[str] = None,
    underlying: Optional[str] = None,
    quote_asset: Optional[str] = None,
    side: Optional[str] = None,
    strike_price: Optional[float] = None,
    expiration_time: Optional[int] = None,
    unit: Optional[float] = None,
    min_quantity: Optional[float] = None,
    onboard_time: Optional[int] = None,
    status: Optional[str] = None,
    event_time: Optional[int] = None,
    stream: Optional[str] = None,
) -> NewSymbol:
    """Build a :class:`NewSymbol` from read wire values; a missing required one raises."""
    if (
        symbol is None
        or underlying is None
        or side is None
        or strike_price is None
        or expiration_time is None
        or event_time is None
    ):
        raise _missing(
            NewSymbol,
            stream,
            symbol=symbol,
            underlying=underlying,
            side=side,
            strike_price=strike_price,
            expiration_time=expiration_time,
            event_time=event_time,
        )
    return _NewSymbol(
        symbol,
        underlying,
        quote_asset,
        side,
        strike_price,
        expiration_time,
        unit,
        min_quantity,
        onboard_time,
        status,
        event_time,
        "" if stream is None else stream,
    )


def new_open_interest(
    symbol: Optional[str] = None,
    open_interest: Optional[float] = None,
    open_interest_usdt: Optional[float] = None,
    event_time: Optional[int] = None,
    stream: Optional[str] = None,
) -> OpenInterest:
    """Build a :class:`OpenInterest` from read wire values; a missing required one raises."""
    if symbol is None or open_interest is None or open_interest_usdt is None or event_time is None:
        raise _missing(
            OpenInterest,
            stream,
            symbol=symbol,
            open_interest=open_interest,
            open_interest_usdt=open_interest_usdt,
            event_time=event_time,
        )
    return _OpenInterest(
        symbol, open_interest, open_interest_usdt, event_time, "" if stream is None else stream
    )


def new_book_depth(
    symbol: Optional[str] = None,
    bids: Tuple[PriceLevel, ...] = (),
    asks: Tuple[PriceLevel, ...] = (),
    first_update_id: Optional[int] = None,
    update_id: Optional[int] = None,
    previous_update_id: Optional[int] = None,
    transaction_time: Optional[int] = None,
    event_time: Optional[int] = None,
    stream: Optional[str] = None,
) -> BookDepth:
    """Build a :class:`BookDepth` from read wire values; a missing required one raises."""
    if symbol is None:
        raise _missing(BookDepth, stream, symbol=symbol)
    return _BookDepth(
        symbol,
        bids,
        asks,
        first_update_id,
        update_id,
        previous_update_id,
        transaction_time,
        event_time,
        "" if stream is None else stream,
    )


def new_depth_update(
    symbol: Optional[str] = None,
    bids: Tuple[PriceLevel, ...] = (),
    asks: Tuple[PriceLevel, ...] = (),
    first_update_id: Optional[int] = None,
    update_id: Optional[int] = None,
    previous_update_id: Optional[int] = None,
    transaction_time: Optional[int] = None,
    event_time: Optional[int] = None,
    stream: Optional[str] = None,
) -> DepthUpdate:
    """Build a :class:`DepthUpdate` from read wire values; a missing required one raises."""
    if symbol is None or first_update_id is None or update_id is None or previous_update_id is None:
        raise _missing(
            DepthUpdate,
            stream,
            symbol=symbol,
            first_update_id=first_update_id,
            update_id=update_id,
            previous_update_id=previous_update_id,
        )
    return _DepthUpdate(
        symbol,
        bids,
        asks,
        first_update_id,
        update_id,
        previous_update_id,
        transaction_time,
        event_time,
        "" if stream is None else stream,
    )


def new_book_ticker(
    symbol: Optional[str] = None,
    best_bid_price: Optional[float] = None,
    best_bid_quantity: Optional[float] = None,
    best_ask_price: Optional[float] = None,
    best_ask_quantity: Optional[float] = None,
    update_id: Optional[int] = None,
    transaction_time: Optional[int] = None,
    event_time: Optional[int] = None,
    stream: Optional[str] = None,
) -> BookTicker:
    """Build a :class:`BookTicker` from read wire values; a missing required one raises."""
    if (
        symbol is None
        or best_bid_price is None
        or best_bid_quantity is None
        or best_ask_price is None
        or best_ask_quantity is None
        or update_id is None
        or event_time is None
    ):
        raise _missing(
            BookTicker,
            stream,
            symbol=symbol,
            best_bid_price=best_bid_price,
            best_bid_quantity=best_bid_quantity,
            best_ask_price=best_ask_price,
            best_ask_quantity=best_ask_quantity,
            update_id=update_id,
            event_time=event_time,
        )
    return _BookTicker(
        symbol,
        best_bid_price,
        best_bid_quantity,
        best_ask_price,
        best_ask_quantity,
        update_id,
        transaction_time,
        event_time,
        "" if stream is None else stream,
    )


def new_ticker(
    symbol: Optional[str] = None,
    last_price: Optional[float] = None,
    open: Optional[float] = None,
    high: Optional[float] = None,
    low: Optional[float] = None,
    price_change: Optional[float] = None,
    price_change_percent: Optional[float] = None,
    weighted_average_price: Optional[float] = None,
    volume: Optional[float] = None,
    quote_volume: Optional[float] = None,
    last_quantity: Optional[float] = None,
    first_trade_id: Optional[int] = None,
    last_trade_id: Optional[int] = None,
    trade_count: Optional[int] = None,
    open_time: Optional[int] = None,
    close_time: Optional[int] = None,
    best_bid_price: Optional[float] = None,
    best_ask_price: Optional[float] = None,
    best_bid_quantity: Optional[float] = None,
    best_ask_quantity: Optional[float] = None,
    bid_iv: Optional[float] = None,
    ask_iv: Optional[float] = None,
    mark_iv: Optional[float] = None,
    mark_price: Optional[float] = None,
    delta: Optional[float] = None,
    theta: Optional[float] = None,
    gamma: Optional[float] = None,
    vega: Optional[float] = None,
    max_buy_price: Optional[float] = None,
    min_sell_price: Optional[float] = None,
    estimated_exercise_price: Optional[float] = None,
    transaction_time: Optional[int] = None,
    event_time: Optional[int] = None,
    stream: Optional[str] = None,
) -> Ticker:
    """Build a :class:`Ticker` from read wire values; a missing required one raises."""
    if (
        symbol is None
        or last_price is None
        or open is None
        or high is None
        or low is None
        or price_change is None
        or price_change_percent is None
        or volume is None
        or quote_volume is None
        or last_quantity is None
        or first_trade_id is None
        or last_trade_id is None
        or trade_count is None
        or event_time is None
    ):
        raise _missing(
            Ticker,
            stream,
            symbol=symbol,
            last_price=last_price,
            open=open,
            high=high,
            low=low,
            price_change=price_change,
            price_change_percent=price_change_percent,
            volume=volume,
            quote_volume=quote_volume,
            last_quantity=last_quantity,
            first_trade_id=first_trade_id,
            last_trade_id=last_trade_id,
            trade_count=trade_count,
            event_time=event_time,
        )
    return _Ticker(
        symbol,
        last_price,
        open,
        high,
        low,
        price_change,
        price_change_percent,
        weighted_average_price,
        volume,
        quote_volume,
        last_quantity,
        first_trade_id,
        last_trade_id,
        trade_count,
        open_time,
        close_time,
        best_bid_price,
        best_ask_price,
        best_bid_quantity,
        best_ask_quantity,
        bid_iv,
        ask_iv,
        mark_iv,
        mark_price,
        delta,
        theta,
        gamma,
        vega,
        max_buy_price,
        min_sell_price,
        estimated_exercise_price,
        transaction_time,
        event_time,
        "" if stream is None else stream,
    )


def new_trade(
    symbol: Optional[str] = None,
    trade_id: Optional[int] = None,
    price: Optional[float] = None,
    quantity: Optional[float] = None,
    side: Optional[str] = None,
    is_buyer_maker: Optional[bool] = None,
    direction: Optional[int] = None,
    trade_type: Optional[str] = None,
    buy_order_id: Optional[int] = None,
    sell_order_id: Optional[int] = None,
    trade_time: Optional[int] = None,
    event_time: Optional[int] = None,
    stream: Optional[str] = None,
) -> Trade:
    """Build a :class:`Trade` from read wire values; a missing required one raises."""
    if (
        symbol is None
        or trade_id is None
        or price is None
        or quantity is None
        or trade_time is None
        or event_time is None
    ):
        raise _missing(
            Trade,
            stream,
            symbol=symbol,
            trade_id=trade_id,
            price=price,
            quantity=quantity,
            trade_time=trade_time,
            event_time=event_time,
        )
    return _Trade(
        symbol,
        trade_id,
        price,
        quantity,
        side,
        is_buyer_maker,
        direction,
        trade_type,
        buy_order_id,
        sell_order_id,
        trade_time,
        event_time,
        "" if stream is None else stream,
    )
