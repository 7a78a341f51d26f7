"""The registry of endpoints: each endpoint's name and its dialect, in one place.

* ``"nbstream"`` (the default): ``wss://nbstream.binance.com/eoptions``, the
  original endpoint, which Binance's options WebSocket documentation described
  until 2025. One path, uppercase symbols, streams such as
  ``BTC-261225-100000-C@ticker``.
* ``"fstream"``: ``wss://fstream.binance.com``, where Binance moved the options
  streams in 2026. Two paths (``/public`` for trades, tickers and books,
  ``/market`` for index, mark price, klines, open interest and listings), lowercase
  symbols, streams such as ``btc-261225-100000-c@optionTicker``.

Each is a :class:`~binance_options_ws.dialects.Dialect`: the default URL, the
paths and which stream goes to which, how names are built and read, and how
payloads are parsed. This is the only module that compares endpoint names; the
rest of the library asks the dialect it was given. :func:`register` adds an
endpoint (a test's toy dialect, say) without touching any other module.

This module is pure: no sockets, threads or clocks.
"""

from __future__ import annotations

from typing import Any, Dict, List, NamedTuple, Optional, Union

from .dialects import fstream, nbstream
from .dialects.base import Dialect, StreamKind
from .exceptions import BinanceOptionsWSError, InvalidArgumentError
from .models import Message

__all__ = [
    "DEFAULT_ENDPOINT",
    "ENDPOINTS",
    "Endpoint",
    "OtherEndpoint",
    "endpoints_with",
    "get_endpoint",
    "other_endpoint",
    "parse_message",
    "register",
    "unregister",
]

#: What the library called a dialect before dialects had their own modules.
Endpoint = Dialect

#: The endpoint a client uses unless told otherwise.
DEFAULT_ENDPOINT = nbstream.DIALECT.name

#: The endpoints by name.
ENDPOINTS: Dict[str, Dialect] = {
    nbstream.DIALECT.name: nbstream.DIALECT,
    fstream.DIALECT.name: fstream.DIALECT,
}

_BUILT_IN = frozenset(ENDPOINTS)
_DESCRIPTIONS = (
    f"({DEFAULT_ENDPOINT!r} is the original endpoint, "
    f"{fstream.DIALECT.name!r} the one Binance moved to in 2026)"
)


def register(dialect: Dialect) -> None:
    """Make ``dialect`` available as ``StreamClient(endpoint=dialect.name)``.

    Args:
        dialect: An instance of a :class:`~binance_options_ws.dialects.Dialect` subclass.

    Raises:
        InvalidArgumentError: If it is not a dialect, or its name is taken.

    Example:
        >>> class Toy(nbstream.NbstreamDialect):
        ...     name = "toy"
        >>> register(Toy()); get_endpoint("toy").name
        'toy'
        >>> unregister("toy")
    """
    if not isinstance(dialect, Dialect):
        raise InvalidArgumentError(f"register takes a Dialect instance, got {dialect!r}")
    if dialect.name in ENDPOINTS:
        raise InvalidArgumentError(f"an endpoint named {dialect.name!r} is already registered")
    ENDPOINTS[dialect.name] = dialect


def unregister(name: str) -> None:
    """Remove an endpoint added with :func:`register` (the built-in ones stay).

    Raises:
        InvalidArgumentError: If ``name`` is built in or not registered.

    Example:
        >>> "toy" in ENDPOINTS
        False
    """
    if name in _BUILT_IN:
        raise InvalidArgumentError(f"the built-in endpoint {name!r} cannot be removed")
    if ENDPOINTS.pop(name, None) is None:
        raise InvalidArgumentError(f"no endpoint named {name!r} is registered")


def get_endpoint(name: object) -> Dialect:
    """The dialect of the endpoint called ``name``, in any case (a dialect is returned as it is).

    Raises:
        InvalidArgumentError: If there is no such endpoint.

    Example:
        >>> get_endpoint("fstream").paths
        ('public', 'market')
    """
    if isinstance(name, Dialect):
        return name
    dialect = None
    if isinstance(name, str):
        wanted = name.strip().lower()
        dialect = ENDPOINTS.get(name) or next(
            (found for key, found in ENDPOINTS.items() if key.lower() == wanted), None
        )
    if dialect is None:
        raise InvalidArgumentError(
            f"endpoint must be one of {', '.join(map(repr, ENDPOINTS))}, got {name!r} "
            + _DESCRIPTIONS
        )
    return dialect


def endpoints_with(kind: StreamKind) -> List[str]:
    """The names of the endpoints that have streams of ``kind``.

    Example:
        >>> endpoints_with(StreamKind.BOOK_TICKER)
        ['fstream']
    """
    return [name for name, dialect in ENDPOINTS.items() if kind in dialect.kinds]


def parse_message(
    message: Union[str, bytes, bytearray, Any], *, endpoint: Union[str, Dialect] = DEFAULT_ENDPOINT
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
        MessageParseError: If the text is not JSON, or an event in it lacks a field
            the exchange always sends (the field rule of :mod:`binance_options_ws.models`).
        InvalidArgumentError: If ``endpoint`` is not a registered endpoint.

    Example:
        >>> [trade] = parse_message(
        ...     '{"e":"trade","E":9,"T":8,"s":"BTC-200630-9000-P","t":"7","p":"1000","q":"2"}'
        ... )
        >>> trade.trade_id, trade.price * trade.quantity
        (7, 2000.0)
    """
    dialect = ENDPOINTS.get(endpoint) if isinstance(endpoint, str) else None
    if dialect is None:
        dialect = get_endpoint(endpoint)
    return dialect.frame_parser()(message)


class OtherEndpoint(NamedTuple):
    """A stream name that belongs to another endpoint, as found by :func:`other_endpoint`.

    Attributes:
        endpoint: The endpoint whose name it is.
        name: The same stream's name on the endpoint asked about, or None.
        problem: Why there is no such name there (the endpoint has no such stream,
            or not with these parameters).
    """

    endpoint: str
    name: Optional[str]
    problem: str


def other_endpoint(text: str, endpoint: Dialect) -> Optional[OtherEndpoint]:
    """If ``text`` is not a stream of ``endpoint`` but of another one: which, and the name here.

    Example:
        >>> other_endpoint("BTC@trade", ENDPOINTS["fstream"])
        OtherEndpoint(endpoint='nbstream', name='btcusdt@optionTrade', problem='')
    """
    for other in ENDPOINTS.values():
        if other is endpoint:
            continue
        try:
            parsed = other.parse_stream(text)
        except BinanceOptionsWSError:
            continue
        try:
            here = endpoint.equivalent(parsed)
        except BinanceOptionsWSError as exc:
            return OtherEndpoint(other.name, None, f"on {endpoint.name}: {exc}")
        problem = "" if here else f"{endpoint.name} has no such stream"
        return OtherEndpoint(other.name, here, problem)
    return None
