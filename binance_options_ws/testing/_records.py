"""What a test sees of the fake exchange: snapshots, log entries, the market interface.

Re-exported by :mod:`binance_options_ws.testing`; import them from there.
"""

from __future__ import annotations

from typing import Any, Collection, Iterable, Optional, Protocol, Tuple

import attrs

from ..endpoints import DEFAULT_ENDPOINT

__all__ = ["ConnectionInfo", "ControlMessage", "IncomingFrame", "MarketFeed"]


class MarketFeed(Protocol):
    """What :class:`~binance_options_ws.testing.FakeExchange` needs from a market.

    :class:`~binance_options_ws.testing.SyntheticMarket` is one; a test can pass any
    object with this ``poll`` method to script its own data. Two more methods are
    optional: ``depth_snapshot(symbol, limit, now_ms)`` answers the REST route
    ``/eapi/v1/depth`` (without it every symbol is unknown), and
    ``skip_depth_updates(symbol, count)`` backs ``FakeExchange.skip_depth_updates``.

    Example:
        >>> class OneTick:
        ...     def poll(self, now_ms, subscribed):
        ...         return [("BTCUSDT@index", {"e": "index", "E": now_ms, "p": "1"})]
    """

    def poll(self, now_ms: int, subscribed: Collection[str]) -> Iterable[Tuple[str, Any]]:
        """The ``(stream, payload)`` pairs due at ``now_ms`` (epoch ms) for ``subscribed``."""


@attrs.frozen
class ConnectionInfo:
    """A snapshot of one open client connection, from ``FakeExchange.connections``.

    Attributes:
        id: The connection id, increasing over the exchange's life.
        path: The handshake path with its query, e.g. ``"/stream?streams=BTCUSDT@index"``.
        subscriptions: The subscribed streams, in subscribe order.
        combined: Whether data goes out wrapped as ``{"stream": ..., "data": ...}``.
        opened_at: ``time.monotonic()`` when the handshake was accepted.
        endpoint: The name of the endpoint's dialect: ``"nbstream"`` (paths ``/ws``,
            ``/stream``), ``"fstream"`` (the same under ``/public`` or ``/market``)
            or any other registered one.
        url_path: The dialect's path (``"public"`` or ``"market"`` on fstream), or
            None on a single-path dialect (nbstream).

    Example:
        >>> info = exchange.connections[0]  # doctest: +SKIP
        >>> info.path, info.subscriptions  # doctest: +SKIP
        ('/ws/BTCUSDT@index', ('BTCUSDT@index',))
        >>> info.endpoint, info.url_path  # doctest: +SKIP
        ('nbstream', None)
    """

    id: int
    path: str
    subscriptions: Tuple[str, ...]
    combined: bool
    opened_at: float
    endpoint: str = DEFAULT_ENDPOINT
    url_path: Optional[str] = None


@attrs.frozen
class ControlMessage:
    """A text message a client sent, from ``FakeExchange.control_log``.

    Attributes:
        time: ``time.monotonic()`` when the server read it.
        connection_id: The :attr:`ConnectionInfo.id` of the sender.
        text: The text as received.
        message: The decoded JSON, or None when the text was not JSON.

    Example:
        >>> [m.message["method"] for m in exchange.control_log]  # doctest: +SKIP
        ['SUBSCRIBE', 'LIST_SUBSCRIPTIONS']
    """

    time: float
    connection_id: int
    text: str
    message: Any = attrs.field(eq=False)


@attrs.frozen
class IncomingFrame:
    """A frame a client sent, from ``FakeExchange.incoming_log``.

    A fragmented message is one entry, with the kind of its first frame.

    Attributes:
        time: ``time.monotonic()`` when the server read it.
        connection_id: The :attr:`ConnectionInfo.id` of the sender.
        kind: ``"text"``, ``"binary"``, ``"ping"``, ``"pong"`` or ``"close"``.

    Example:
        >>> sum(f.kind == "pong" for f in exchange.incoming_log)  # doctest: +SKIP
        3
    """

    time: float
    connection_id: int
    kind: str
