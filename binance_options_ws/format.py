"""Events as text for people and as JSON-ready data: what the command line prints.

:func:`format_event` turns any event into one readable line (local time, stream,
the fields that matter); :func:`event_to_dict` and :func:`event_to_json` give
every field, for JSON lines or a data frame. The small helpers the line is made
of (:func:`format_number`, :func:`format_percent`, :func:`format_time`) are
public too, for tables of your own.

Example:
    >>> from binance_options_ws import IndexPrice
    >>> event = IndexPrice("BTCUSDT", 100919.4885, 1767614400000, "BTCUSDT@index")
    >>> format_event(event)[12:]
    '  BTCUSDT@index  price 100919.49'
    >>> event_to_json(event)
    '{"type": "IndexPrice", "symbol": "BTCUSDT", "price": 100919.4885, \
"event_time": 1767614400000, "stream": "BTCUSDT@index"}'

Fields an endpoint does not send are None in the event: the line leaves them out
(or shows ``-``), never ``None``; the dict keeps them as None, as it turns
non-finite numbers into None so that the JSON is valid.

This module is pure: it reads events and the clock's time zone, nothing else.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
from typing import Any, Callable, Dict, Optional, Tuple, cast

import attrs

from .models import (
    BookDepth,
    BookTicker,
    DepthUpdate,
    Event,
    IndexPrice,
    Kline,
    MarkPrice,
    NewSymbol,
    OpenInterest,
    PriceLevel,
    Ticker,
    Trade,
    UnknownEvent,
)

__all__ = [
    "event_to_dict",
    "event_to_json",
    "format_count",
    "format_event",
    "format_number",
    "format_percent",
    "format_time",
]

#: How much of an unknown event's data a line shows.
_UNKNOWN_DATA_CHARS = 200


# --------------------------------------------------------------------------
# Values
# --------------------------------------------------------------------------


def format_number(value: Optional[float], digits: int = 8) -> str:
    """A number with at most ``digits`` significant digits, no exponent, no trailing zeros.

    Args:
        value: The number; None, NaN and infinities are shown as ``-``.
        digits: The most significant digits to show.

    Returns:
        The number as text.

    Example:
        >>> format_number(100919.48851611), format_number(0.84823777, 3), format_number(None)
        ('100919.49', '0.848', '-')
    """
    if value is None or not math.isfinite(value):
        return "-"
    if value == 0:
        return "0"
    magnitude = math.floor(math.log10(abs(value)))
    text = f"{value:.{max(0, digits - 1 - magnitude)}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def format_count(count: int, noun: str) -> str:
    """A count and its noun, singular for one: ``"1 file"``, ``"3 files"``.

    Args:
        count: How many.
        noun: The noun in the singular; the plural adds an "s".

    Example:
        >>> format_count(1, "file"), format_count(0, "expiration")
        ('1 file', '0 expirations')
    """
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def format_percent(fraction: Optional[float]) -> str:
    """A fraction (an implied volatility of 0.611, say) as a percentage with one decimal.

    Args:
        fraction: The fraction; None, NaN and infinities are shown as ``-``.

    Returns:
        The percentage as text.

    Example:
        >>> format_percent(0.61149939), format_percent(None)
        ('61.1%', '-')
    """
    if fraction is None or not math.isfinite(fraction):
        return "-"
    return f"{fraction * 100:.1f}%"


def format_time(ms: Optional[int] = None) -> str:
    """Milliseconds since the epoch as the local time of day, ``HH:MM:SS.mmm``.

    Args:
        ms: The time, as events carry it; None means now.

    Returns:
        The time of day, always 12 characters.

    Example:
        >>> len(format_time(1767614400123)), format_time(1767614400123)[-4:]
        (12, '.123')
    """
    moment = _dt.datetime.now() if ms is None else _dt.datetime.fromtimestamp(ms / 1000)
    return f"{moment:%H:%M:%S}.{moment.microsecond // 1000:03d}"


def _utc(ms: Optional[int]) -> str:
    if ms is None:
        return "-"
    return f"{_dt.datetime.fromtimestamp(ms / 1000, _dt.timezone.utc):%Y-%m-%d %H:%M} UTC"


def _level(level: Optional[PriceLevel]) -> str:
    return "-" if level is None else f"{format_number(level[0])} x {format_number(level[1])}"


def _delta(value: float) -> str:
    return format_number(value, 3)


def _present(*parts: Tuple[str, Any, Callable[[Any], str]]) -> str:
    """``label value`` for each part whose value is not None, two spaces apart.

    Each endpoint leaves some fields of a shared event class as None (fstream's
    ticker has no greeks, nbstream's mark price has nothing but the mark): those
    are left out rather than printed as noise.
    """
    return "  ".join(f"{label} {show(value)}" for label, value, show in parts if value is not None)


def _joined(*parts: str) -> str:
    """The non-empty parts, two spaces apart."""
    return "  ".join(part for part in parts if part)


def _spread(bid: Optional[float], ask: Optional[float]) -> str:
    return "" if bid is None or ask is None else f"  spread {format_number(ask - bid)}"


# --------------------------------------------------------------------------
# One description per event class (without the time, stream and symbol)
# --------------------------------------------------------------------------


def _is_statistics_ticker(event: Ticker) -> bool:
    """True for a 24-hour statistics ticker (fstream's: no book, no greeks).

    Told by what it carries, or by its stream name when it carries nothing yet.
    """
    return (
        event.weighted_average_price is not None
        or event.open_time is not None
        or event.close_time is not None
        or "@optionticker" in (event.stream or "").lower()
    )


def _describe_ticker(event: Ticker) -> str:
    num = format_number
    if not _is_statistics_ticker(event):  # the book top and greeks, always the same columns
        return (
            f"last {num(event.last_price)}  bid {num(event.best_bid_price)}"
            f"  ask {num(event.best_ask_price)}  mark {num(event.mark_price)}"
            f"  iv {format_percent(event.mark_iv)}  delta {num(event.delta, 3)}"
            f"  volume {num(event.volume)}"
        )
    change = "-" if event.price_change is None else f"{event.price_change:+g}"
    return _joined(
        f"last {num(event.last_price)}  change {change}",
        _present(
            ("volume", event.volume, num),
            ("weighted avg", event.weighted_average_price, num),
            ("trades", event.trade_count, str),
            # greeks come with mark prices there; shown only if a ticker ever has them
            ("mark", event.mark_price, num),
            ("iv", event.mark_iv, format_percent),
            ("delta", event.delta, _delta),
        ),
    )


def _describe_mark_price(event: MarkPrice) -> str:
    # nbstream sends the mark only; fstream adds the book top, IVs and greeks.
    return _joined(
        f"mark {format_number(event.mark_price)}",
        _present(
            ("bid", event.best_bid_price, format_number),
            ("ask", event.best_ask_price, format_number),
            ("iv", event.mark_iv, format_percent),
            ("delta", event.delta, _delta),
            ("index", event.index_price, format_number),
        ),
    )


def _describe_trade(event: Trade) -> str:
    if event.side is not None:  # "BUY" or "SELL"
        how = f"  {event.side}"
    elif event.direction is not None:  # 1 or -1
        how = f"  direction {event.direction:+d}"
    else:
        how = ""
    kind = f"  {event.trade_type}" if event.trade_type else ""  # live nbstream has none
    return (
        f"{format_number(event.quantity)} @ {format_number(event.price)}{how}{kind}"
        f"  id {event.trade_id}"
    )


def _describe_index(event: IndexPrice) -> str:
    return f"price {format_number(event.price)}"


def _describe_book_depth(event: BookDepth) -> str:
    bid, ask = event.best_bid, event.best_ask
    return (
        f"bid {_level(bid)}  ask {_level(ask)}"
        f"{_spread(None if bid is None else bid[0], None if ask is None else ask[0])}"
        f"  ({len(event.bids)} bids, {len(event.asks)} asks)"
    )


def _describe_book_ticker(event: BookTicker) -> str:
    num = format_number
    return (
        f"bid {num(event.best_bid_price)} x {num(event.best_bid_quantity)}"
        f"  ask {num(event.best_ask_price)} x {num(event.best_ask_quantity)}"
        f"{_spread(event.best_bid_price, event.best_ask_price)}"
    )


def _describe_update_ids(first: Optional[int], last: Optional[int], previous: Optional[int]) -> str:
    ids = f"update {'-' if first is None else first}..{'-' if last is None else last}"
    return ids if previous is None else f"{ids}  pu {previous}"


def _describe_depth_update(event: DepthUpdate) -> str:
    return (
        f"{len(event.bids)} bid and {len(event.asks)} ask levels changed  "
        + _describe_update_ids(event.first_update_id, event.update_id, event.previous_update_id)
    )


def _describe_kline(event: Kline) -> str:
    num = format_number
    state = "closed" if event.is_closed else "open"
    return (
        f"{event.interval or '?'} from {format_time(event.start_time)[:8]}"
        f"  open {num(event.open)}  high {num(event.high)}  low {num(event.low)}"
        f"  close {num(event.close)}  volume {num(event.volume)}"
        f"  trades {event.trade_count}  ({state})"
    )


def _describe_open_interest(event: OpenInterest) -> str:
    return (
        f"open interest {format_number(event.open_interest)} contracts"
        f" ({format_number(event.open_interest_usdt)} USDT)"
    )


def _describe_new_symbol(event: NewSymbol) -> str:
    status = "" if event.status is None else f"  status {event.status}"
    return (
        f"listed: {event.side or '?'} strike {format_number(event.strike_price)}"
        f"  expires {_utc(event.expiration_time)}  on {event.underlying or '?'}{status}"
    )


def _describe_unknown(event: UnknownEvent) -> str:
    data = json.dumps(event.data, separators=(",", ":"), default=str)
    return f"unknown event type {event.event_type!r}: {data[:_UNKNOWN_DATA_CHARS]}"


#: The description of each event class; an event of none of them is described as unknown.
_DESCRIBERS: Tuple[Tuple[type, Callable[[Any], str]], ...] = (
    (IndexPrice, _describe_index),
    (MarkPrice, _describe_mark_price),
    (Ticker, _describe_ticker),
    (Trade, _describe_trade),
    (BookDepth, _describe_book_depth),
    (BookTicker, _describe_book_ticker),
    (DepthUpdate, _describe_depth_update),
    (Kline, _describe_kline),
    (OpenInterest, _describe_open_interest),
    (NewSymbol, _describe_new_symbol),
)


def _describe(event: Event) -> str:
    """The fields that matter for one event, as readable text (without the symbol)."""
    for cls, describe in _DESCRIBERS:
        if isinstance(event, cls):
            return describe(event)
    return _describe_unknown(cast(UnknownEvent, event))  # what is left: an UnknownEvent


# --------------------------------------------------------------------------
# The public faces
# --------------------------------------------------------------------------


def format_event(event: Event, *, stream_width: int = 0) -> str:
    """One readable line for an event: local time, stream, the fields that matter.

    The option symbol is shown when the stream carries many options (mark price,
    open interest, a chain, trades of an underlying, new listings).

    Args:
        event: Any event from :class:`~binance_options_ws.StreamClient`.
        stream_width: Pad the stream name to this many characters, to align columns.

    Returns:
        The line, without a newline.

    Example:
        >>> from binance_options_ws import IndexPrice
        >>> format_event(IndexPrice("BTCUSDT", 100919.4885, 1767614400000, "BTCUSDT@index"))[12:]
        '  BTCUSDT@index  price 100919.49'
    """
    stream = event.stream or "-"
    symbol = getattr(event, "symbol", None)
    text = _describe(event)
    # Some endpoints write the symbol in lowercase in stream names: compare without case.
    if symbol and not stream.lower().startswith(f"{symbol.lower()}@"):
        text = f"{symbol}  {text}"
    return f"{format_time(event.event_time)}  {stream:<{stream_width}}  {text}"


def _json_ready(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, (list, tuple)):
        return [_json_ready(item) for item in value]
    if isinstance(value, dict):
        return {key: _json_ready(item) for key, item in value.items()}
    return value


def event_to_dict(event: Event) -> Dict[str, Any]:
    """Every field of an event as JSON-ready data, with its class name under ``"type"``.

    Args:
        event: Any event.

    Returns:
        ``{"type": "IndexPrice", "symbol": ..., ...}``; book levels become lists and
        non-finite numbers become None.

    Example:
        >>> from binance_options_ws import IndexPrice
        >>> event_to_dict(IndexPrice("BTCUSDT", 100919.5, 1767614400000, "BTCUSDT@index"))
        {'type': 'IndexPrice', 'symbol': 'BTCUSDT', 'price': 100919.5, \
'event_time': 1767614400000, 'stream': 'BTCUSDT@index'}
    """
    fields = attrs.asdict(event, recurse=False)
    return {"type": type(event).__name__, **_json_ready(fields)}


def event_to_json(event: Event) -> str:
    """One JSON line (without the newline) with every field of an event.

    The line is :func:`event_to_dict` as JSON; any value JSON has no type for is
    written as its text.

    Args:
        event: Any event.

    Returns:
        The JSON text, on one line.

    Example:
        >>> from binance_options_ws import IndexPrice
        >>> event_to_json(IndexPrice("BTCUSDT", float("nan"), 1767614400000, "BTCUSDT@index"))
        '{"type": "IndexPrice", "symbol": "BTCUSDT", "price": null, \
"event_time": 1767614400000, "stream": "BTCUSDT@index"}'
    """
    return json.dumps(event_to_dict(event), default=str)
