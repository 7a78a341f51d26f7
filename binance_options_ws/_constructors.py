"""Typed constructors of the events, fast where events arrive by the thousand.

The payload parsers of every dialect build their events through the ``new_*``
constructors below, one per event class. Each takes the class's fields in the
class's order, as the tolerant readers of :mod:`binance_options_ws._wire` give
them (None for a value a message lacks), and:

* checks the fields the exchange always sends (the ones the class types without
  ``Optional``): a None there raises :class:`~binance_options_ws.MessageParseError`
  naming the class, the fields and the stream, which the connection counts as a
  malformed frame (the README's field rule);
* builds the event faster than the class itself (:func:`fast_constructor`).

For the type checkers each is a function with a precise signature (the stubs under
``TYPE_CHECKING`` at the end), so mypy checks every argument of every parser's
call; ``tests/test_models.py`` checks that those signatures follow the classes'
fields, names and order, so that a field moved in ``models.py`` shows up in mypy.

This module is pure: no sockets, threads or clocks.
"""

from __future__ import annotations

import sysconfig
from typing import (
    TYPE_CHECKING,
    Any,
    Callable,
    Dict,
    Optional,
    Sequence,
    Tuple,
    Type,
    TypeVar,
    cast,
    get_type_hints,
)

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
    "always_sent",
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
    "wire_constructor",
]

_E = TypeVar("_E")


#: Whether this interpreter runs without the GIL (Python 3.13's free-threaded build).
FREE_THREADED = bool(sysconfig.get_config_var("Py_GIL_DISABLED"))


def fast_constructor(cls: Callable[_P, _E], checked: Sequence[str] = ()) -> Callable[_P, _E]:
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
        checked: Fields the twin checks, in generated code: if one of them is None,
            ``stream`` becomes ``""`` and any other raises ``MessageParseError``
            (:func:`wire_constructor`). The class itself checks nothing.

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
    if checked:  # the same, after one "is None" test a field: generated, no loop
        required = tuple(name for name in checked if name != "stream")
        tests = " or ".join(f"self.{name} is None" for name in checked)
        namespace: Dict[str, Any] = {"klass": klass, "required": required}
        namespace["refuse"] = _refuse_or_fill
        exec(  # names from attrs.fields, never from outside
            f"def __attrs_post_init__(self):\n"
            f"    if {tests}:\n"
            f"        refuse(self, klass, required)\n"
            f"    self.__class__ = klass\n",
            namespace,
        )
        twin.__attrs_post_init__ = namespace["__attrs_post_init__"]  # type: ignore[attr-defined]
    return cast("Callable[_P, _E]", twin)


def _missing(cls: type, stream: Optional[str], names: Sequence[str]) -> MessageParseError:
    """The error for an event whose message lacks fields the exchange always sends."""
    where = f" on {stream!r}" if stream else ""
    listed = ", ".join(names)
    return MessageParseError(
        f"a {cls.__name__} event{where} without {listed} (missing, or not a value of the "
        "field's type): the message is malformed",
        f"{cls.__name__} without {listed}",
    )


def always_sent(cls: type) -> Tuple[str, ...]:
    """The fields of an event class that are never None: those typed without Optional.

    Example:
        >>> always_sent(IndexPrice)
        ('symbol', 'price', 'event_time')
    """
    hints = get_type_hints(cls)
    return tuple(
        field.name
        for field in attrs.fields(cls)
        if field.name not in ("stream", "bids", "asks")
        and type(None) not in getattr(hints[field.name], "__args__", ())
    )


def _refuse_or_fill(event: Any, cls: type, required: Sequence[str]) -> None:
    """A ``None`` found where ``cls`` has none: ``stream`` becomes ``""``, any other raises."""
    if event.stream is None:
        object.__setattr__(event, "stream", "")  # the twin is mutable, the class frozen
    missing = [name for name in required if getattr(event, name) is None]
    if missing:
        raise _missing(cls, event.stream, missing)


def wire_constructor(cls: Type[_E]) -> Callable[..., _E]:
    """The parsers' constructor of ``cls``: :func:`fast_constructor`'s stand-in, checking.

    It takes the class's fields, in order, as the tolerant readers give them, and
    raises :class:`~binance_options_ws.MessageParseError` when a field that
    :func:`always_sent` names is None; a ``stream`` of None becomes ``""``. The check
    is generated code in the stand-in's ``__attrs_post_init__`` (one ``is None`` test
    a field, about 7 ns each), so it adds no call.
    """
    required = always_sent(cls)
    built = fast_constructor(cls, (*required, "stream"))
    if built is not cls:
        return built

    def build(*args: Any, **kwargs: Any) -> _E:  # the class itself builds: check after
        event = cls(*args, **kwargs)
        if event.stream is None or any(getattr(event, name) is None for name in required):  # type: ignore[attr-defined]
            _refuse_or_fill(event, cls, required)
        return event

    return build


if TYPE_CHECKING:
    # The parsers' constructors as the type checkers see them: the fields of each class,
    # in its order, as a tolerant reader gives them (None included). The bodies never
    # run; they make mypy check each signature against its class: the fields that are
    # never None, once checked, passed in order (a field moved in models.py is an
    # error here), and tests/test_models.py checks the names.

    def new_index_price(
        symbol: Optional[str] = None,
        price: Optional[float] = None,
        event_time: Optional[int] = None,
        stream: Optional[str] = None,
    ) -> IndexPrice:
        assert symbol is not None
        assert price is not None
        assert event_time is not None
        return IndexPrice(symbol, price, event_time, stream or "")

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
        assert symbol is not None
        assert mark_price is not None
        assert event_time is not None
        return MarkPrice(
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
            stream or "",
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
        assert symbol is not None
        assert interval is not None
        assert start_time is not None
        assert end_time is not None
        assert open is not None
        assert high is not None
        assert low is not None
        assert close is not None
        assert volume is not None
        assert is_closed is not None
        assert event_time is not None
        return Kline(
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
            stream or "",
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
        assert symbol is not None
        assert underlying is not None
        assert side is not None
        assert strike_price is not None
        assert expiration_time is not None
        assert event_time is not None
        return NewSymbol(
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
            stream or "",
        )

    def new_open_interest(
        symbol: Optional[str] = None,
        open_interest: Optional[float] = None,
        open_interest_usdt: Optional[float] = None,
        event_time: Optional[int] = None,
        stream: Optional[str] = None,
    ) -> OpenInterest:
        assert symbol is not None
        assert open_interest is not None
        assert open_interest_usdt is not None
        assert event_time is not None
        return OpenInterest(symbol, open_interest, open_interest_usdt, event_time, stream or "")

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
        assert symbol is not None
        return BookDepth(
            symbol,
            bids,
            asks,
            first_update_id,
            update_id,
            previous_update_id,
            transaction_time,
            event_time,
            stream or "",
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
        assert symbol is not None
        assert first_update_id is not None
        assert update_id is not None
        assert previous_update_id is not None
        return DepthUpdate(
            symbol,
            bids,
            asks,
            first_update_id,
            update_id,
            previous_update_id,
            transaction_time,
            event_time,
            stream or "",
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
        assert symbol is not None
        assert best_bid_price is not None
        assert best_bid_quantity is not None
        assert best_ask_price is not None
        assert best_ask_quantity is not None
        assert update_id is not None
        assert event_time is not None
        return BookTicker(
            symbol,
            best_bid_price,
            best_bid_quantity,
            best_ask_price,
            best_ask_quantity,
            update_id,
            transaction_time,
            event_time,
            stream or "",
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
        assert symbol is not None
        assert last_price is not None
        assert open is not None
        assert high is not None
        assert low is not None
        assert price_change is not None
        assert price_change_percent is not None
        assert volume is not None
        assert quote_volume is not None
        assert last_quantity is not None
        assert first_trade_id is not None
        assert last_trade_id is not None
        assert trade_count is not None
        assert event_time is not None
        return Ticker(
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
            stream or "",
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
        assert symbol is not None
        assert trade_id is not None
        assert price is not None
        assert quantity is not None
        assert trade_time is not None
        assert event_time is not None
        return Trade(
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
            stream or "",
        )
else:
    new_index_price = wire_constructor(IndexPrice)
    new_mark_price = wire_constructor(MarkPrice)
    new_kline = wire_constructor(Kline)
    new_new_symbol = wire_constructor(NewSymbol)
    new_open_interest = wire_constructor(OpenInterest)
    new_book_depth = wire_constructor(BookDepth)
    new_depth_update = wire_constructor(DepthUpdate)
    new_book_ticker = wire_constructor(BookTicker)
    new_ticker = wire_constructor(Ticker)
    new_trade = wire_constructor(Trade)
