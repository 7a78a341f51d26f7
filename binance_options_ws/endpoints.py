"""The two endpoints a :class:`~binance_options_ws.StreamClient` can talk to.

* ``"nbstream"`` (the default): ``wss://nbstream.binance.com/eoptions``, the
  original endpoint, which Binance's options WebSocket documentation described
  until 2025. One path, uppercase symbols, streams such as
  ``BTC-261225-100000-C@ticker``.
* ``"fstream"``: ``wss://fstream.binance.com``, where Binance moved the options
  streams in 2026. Two paths (``/public`` for trades, tickers and books,
  ``/market`` for index, mark price, klines, open interest and listings), lowercase
  symbols, streams such as ``btc-261225-100000-c@optionTicker``.

An :class:`Endpoint` bundles what differs: the default URL, the paths and which
stream goes to which, how names are read, and how payloads are parsed.

This module is pure: no sockets, threads or clocks.
"""

from __future__ import annotations

import functools
from types import ModuleType
from typing import Any, Callable, Dict, List, NamedTuple, Optional, Tuple, Union

import attrs

from . import fstream, streams
from .exceptions import BinanceOptionsWSError, InvalidArgumentError
from .models import Message, parse_message
from .streams import StreamKind, StreamName

__all__ = ["ENDPOINTS", "Endpoint", "OtherEndpoint", "get_endpoint", "other_endpoint"]


@attrs.frozen
class Endpoint:
    """What the client needs to know about one endpoint.

    Attributes:
        name: ``"nbstream"`` or ``"fstream"``.
        default_base_url: The URL used when the client is given none.
        paths: The URL paths, each served by its own connections (``("",)`` for a
            single-path endpoint).
        names: The module of stream-name builders (:mod:`~binance_options_ws.streams`
            or :mod:`~binance_options_ws.fstream`).
        parse_stream: Reads and checks a stream name.
        route: The path that serves a parsed stream name.
        parse_message: Turns a frame into events.
    """

    name: str
    default_base_url: str
    paths: Tuple[str, ...]
    names: ModuleType
    parse_stream: Callable[[Union[str, StreamName]], StreamName]
    route: Callable[[StreamName], str]
    parse_message: Callable[[Union[str, bytes]], List[Message]]

    def url(self, base_url: str, path: str) -> str:
        """The combined-stream URL of one path, ready for live SUBSCRIBE messages.

        Example:
            >>> ENDPOINTS["fstream"].url("wss://fstream.binance.com", "market")
            'wss://fstream.binance.com/market/stream'
        """
        base = base_url.rstrip("/")
        return f"{base}/{path}/stream" if path else f"{base}/stream"


def _single_path(name: StreamName) -> str:
    return ""


#: The endpoints by name.
ENDPOINTS: Dict[str, Endpoint] = {
    "nbstream": Endpoint(
        name="nbstream",
        default_base_url=streams.DEFAULT_BASE_URL,
        paths=("",),
        names=streams,
        parse_stream=streams.parse_stream,
        route=_single_path,
        parse_message=parse_message,
    ),
    "fstream": Endpoint(
        name="fstream",
        default_base_url=fstream.BASE_URL,
        paths=fstream.PATHS,
        names=fstream,
        parse_stream=fstream.parse_stream,
        route=fstream.route,
        parse_message=functools.partial(parse_message, endpoint="fstream"),
    ),
}


def get_endpoint(name: object) -> Endpoint:
    """The endpoint called ``name``.

    Raises:
        InvalidArgumentError: If there is no such endpoint.

    Example:
        >>> get_endpoint("fstream").paths
        ('public', 'market')
    """
    endpoint = ENDPOINTS.get(name) if isinstance(name, str) else None
    if endpoint is None:
        raise InvalidArgumentError(
            f"endpoint must be one of {', '.join(map(repr, ENDPOINTS))}, got {name!r} "
            "('nbstream' is the original endpoint, 'fstream' the one Binance moved to in 2026)"
        )
    return endpoint


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


def _asset(underlying: str) -> str:
    """``BTCUSDT`` -> ``BTC``: nbstream names take the base asset."""
    return underlying[: -len("USDT")] if underlying.upper().endswith("USDT") else underlying


def _equivalent(parsed: StreamName, target: Endpoint) -> Optional[str]:
    """The name of the same stream on ``target``, or None if it has no such stream.

    Raises:
        BinanceOptionsWSError: The stream exists there, but not with these parameters
            (a kline interval or depth level only one endpoint has).
    """
    names: Any = target.names
    base = _asset if target.name == "nbstream" else (lambda u: u)
    kind = parsed.kind
    if kind is StreamKind.INDEX:
        if target.name == "fstream":
            return fstream.index()
        return str(names.index(parsed.symbol or "BTCUSDT"))  # nbstream: one stream per pair
    if kind is StreamKind.NEW_SYMBOL_INFO:
        return str(names.new_symbol_info())
    if kind is StreamKind.KLINE:
        return str(names.kline(parsed.symbol, parsed.interval))
    if kind is StreamKind.MARK_PRICE:
        return str(names.mark_price(base(parsed.underlying or "")))
    if kind is StreamKind.OPEN_INTEREST:
        return str(names.open_interest(base(parsed.underlying or ""), parsed.expiration))
    if kind is StreamKind.DEPTH:
        return str(names.depth(parsed.symbol, parsed.levels, parsed.speed))
    if kind is StreamKind.TICKER:
        return str(names.ticker(parsed.symbol))
    if kind is StreamKind.TICKER_BY_EXPIRATION:
        underlying = base(parsed.underlying or "")
        return str(names.ticker_by_expiration(underlying, parsed.expiration))
    if kind is StreamKind.TRADE:
        return str(names.trade(parsed.symbol or base(parsed.underlying or "")))
    return None  # book ticker and diff depth: only fstream has them


def other_endpoint(text: str, endpoint: Endpoint) -> Optional[OtherEndpoint]:
    """If ``text`` is not a stream of ``endpoint`` but of the other one: which, and the name here.

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
            here = _equivalent(parsed, endpoint)
        except BinanceOptionsWSError as exc:
            return OtherEndpoint(other.name, None, f"on {endpoint.name}: {exc}")
        problem = "" if here else f"{endpoint.name} has no such stream"
        return OtherEndpoint(other.name, here, problem)
    return None
