"""Typed events: the frozen classes the library delivers, and their unions.

Every event is a frozen, slotted attrs class with readable field names (and no
``__weakref__`` slot, so that the parsers can build them faster: see
``binance_options_ws._constructors``). Each class docstring maps its
fields to the exchange's one-letter wire keys.

**Which fields may be None.** One rule, for every class:

* A field the exchange always sends is never None: what identifies the event
  (``symbol``, ``stream``), and what every documented payload of the class carries
  on both endpoints (``event_time``, a trade's ``price`` and ``quantity``, a kline's
  open, high, low and close, ...). Its type says so (``price: float``), so
  ``trade.price * trade.quantity`` needs no check.
* A field that real messages may lack is ``Optional`` and None when the message
  lacks it or its value cannot be read: what one endpoint sends and the other does
  not (``Trade.side`` is fstream's, ``Trade.direction`` nbstream's), what the live
  exchange leaves out at times (``Trade.trade_type``; ``event_time`` of the depth
  events, some of whose frames have no ``E``), and numbers that mean "none" (an
  implied volatility of -1).
* A message that lacks a field of the first kind, or whose value there cannot be
  read, is malformed: the parser raises :class:`~binance_options_ws.MessageParseError`
  naming the field, and the client counts the frame in ``stats.parse_errors``,
  reports it (log, ``on_error``) and goes on; no event with a made-up value is
  delivered. ``stream`` is ``""`` for a payload parsed without its envelope.

The defaults (``""``, ``0``, ``math.nan``, ``False`` for the fields that are never
None) exist only so that tests can build an event by keyword
(``Trade(price=1.0, quantity=2.0)``); parsed events never carry them in place of a
missing value.

Real messages are messier than the documentation: numbers may come as strings,
in exponent form or as ``"0.0"``, ids may be strings, keys may be new. All of that
parses, and an unknown key is ignored. An unknown event type becomes an
:class:`UnknownEvent`. The parsers live with each endpoint's dialect
(:mod:`binance_options_ws.dialects`); :func:`binance_options_ws.parse_message` is
the way in.

Example:
    >>> from binance_options_ws import parse_message
    >>> parse_message('{"e":"index","E":1661415480351,"s":"ETHUSDT","p":"1707.89"}')
    [IndexPrice(symbol='ETHUSDT', price=1707.89, event_time=1661415480351, stream='')]

This module is pure: no sockets, threads or clocks.
"""

from __future__ import annotations

from typing import Any, Optional, Tuple, Union

import attrs

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

    symbol: str = ""
    price: float = 0.0
    event_time: int = 0
    stream: str = ""


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

    symbol: str = ""
    mark_price: float = 0.0
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
    event_time: int = 0
    stream: str = ""


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

    symbol: str = ""
    interval: str = ""
    start_time: int = 0
    end_time: int = 0
    open: float = 0.0
    high: float = 0.0
    low: float = 0.0
    close: float = 0.0
    volume: float = 0.0
    quote_volume: Optional[float] = None
    taker_volume: Optional[float] = None
    taker_quote_volume: Optional[float] = None
    trade_count: Optional[int] = None
    first_trade_id: Optional[int] = None
    last_trade_id: Optional[int] = None
    is_closed: bool = False
    event_time: int = 0
    stream: str = ""


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

    symbol: str = ""
    underlying: str = ""
    quote_asset: Optional[str] = None
    side: str = ""
    strike_price: float = 0.0
    expiration_time: int = 0
    unit: Optional[float] = None
    min_quantity: Optional[float] = None
    onboard_time: Optional[int] = None
    status: Optional[str] = None
    event_time: int = 0
    stream: str = ""


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

    symbol: str = ""
    open_interest: float = 0.0
    open_interest_usdt: float = 0.0
    event_time: int = 0
    stream: str = ""


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
        event_time: ``E``; None for the frames the exchange sends without it.
        stream: The stream it arrived on.
    """

    symbol: str = ""
    bids: Tuple[PriceLevel, ...] = ()
    asks: Tuple[PriceLevel, ...] = ()
    first_update_id: Optional[int] = None
    update_id: Optional[int] = None
    previous_update_id: Optional[int] = None
    transaction_time: Optional[int] = None
    event_time: Optional[int] = None
    stream: str = ""

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
        event_time: ``E``; None for the frames the exchange sends without it.
        stream: The stream it arrived on.
    """

    symbol: str = ""
    bids: Tuple[PriceLevel, ...] = ()
    asks: Tuple[PriceLevel, ...] = ()
    first_update_id: int = 0
    update_id: int = 0
    previous_update_id: int = 0
    transaction_time: Optional[int] = None
    event_time: Optional[int] = None
    stream: str = ""


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

    symbol: str = ""
    best_bid_price: float = 0.0
    best_bid_quantity: float = 0.0
    best_ask_price: float = 0.0
    best_ask_quantity: float = 0.0
    update_id: int = 0
    transaction_time: Optional[int] = None
    event_time: int = 0
    stream: str = ""


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

    symbol: str = ""
    last_price: float = 0.0
    open: float = 0.0
    high: float = 0.0
    low: float = 0.0
    price_change: float = 0.0
    price_change_percent: float = 0.0
    weighted_average_price: Optional[float] = None
    volume: float = 0.0
    quote_volume: float = 0.0
    last_quantity: float = 0.0
    first_trade_id: int = 0
    last_trade_id: int = 0
    trade_count: int = 0
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
    event_time: int = 0
    stream: str = ""


@attrs.frozen(weakref_slot=False)
class Trade:
    """One trade.

    Streams ``<SYMBOL>@trade`` and ``<ASSET>@trade`` (nbstream), ``<symbol>@optionTrade``
    and ``<pair>@optionTrade`` (fstream). Fields the endpoint does not send are None.

    Attributes:
        symbol: ``s``, the option symbol.
        trade_id: ``t``.
        price: ``p``.
        quantity: ``q``, in contracts, never negative (nbstream's documentation
            writes it signed, ``"-2"``; the sign is ``direction``'s, and the live
            exchange sends it positive on both endpoints).
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

    symbol: str = ""
    trade_id: int = 0
    price: float = 0.0
    quantity: float = 0.0
    side: Optional[str] = None
    is_buyer_maker: Optional[bool] = None
    direction: Optional[int] = None
    trade_type: Optional[str] = None
    buy_order_id: Optional[int] = None
    sell_order_id: Optional[int] = None
    trade_time: int = 0
    event_time: int = 0
    stream: str = ""


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
    stream: str = ""


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
