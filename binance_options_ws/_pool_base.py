"""What the pool and its shards share: settings, the connection interface, counters.

:class:`PoolConnection` is the seam between the pool and the sockets: the pool
asks only this of a connection, so a test's fake connection can stand in for
:class:`~binance_options_ws._connection.Connection`, and a
:class:`ConnectionFactory` makes them.
"""

from __future__ import annotations

import ssl
import threading
from typing import Any, Callable, Dict, List, Optional, Protocol, Sequence, Union

import attrs

from ._connection import ConnectionListener, Reply
from ._proxy import Proxy
from .endpoints import Endpoint

__all__ = ["ConnectionFactory", "PoolConnection", "PoolSettings", "PoolStats"]


@attrs.frozen
class PoolSettings:
    """Everything the pool needs to know; the client builds it from its keyword options."""

    base_url: str
    endpoint: Endpoint
    connect_timeout: float
    request_timeout: float
    ping_interval: float
    stale_timeout: float
    max_connection_age: Optional[float]
    rollover_overlap: float
    reconnect: bool
    backoff_initial: float
    backoff_factor: float
    backoff_cap: float
    max_streams_per_connection: int
    max_messages_per_second: float
    max_request_bytes: int
    headers: Sequence[str]
    name: str
    batch_delay: float
    #: The proxy: a :class:`~binance_options_ws._proxy.Proxy`, True to read the
    #: environment, or None for none.
    proxy: Union[Proxy, bool, None] = None
    #: The TLS settings of ``wss://`` connections (None: the system's defaults).
    ssl_context: Optional[ssl.SSLContext] = None
    #: Added to the error of a connection that could not be opened.
    failure_hint: str = ""


class PoolConnection(Protocol):
    """What the pool uses of a connection.

    :class:`~binance_options_ws._connection.Connection` is one; tests use a fake.
    Every time (``created_at`` and the rest) is on the pool's clock.
    """

    @property
    def number(self) -> int:
        """A number for logs, unique in the pool."""

    @property
    def url(self) -> str:
        """Where the connection goes."""

    @property
    def is_open(self) -> bool:
        """True between a successful handshake and the end of the connection."""

    @property
    def created_at(self) -> float:
        """When the connection was made."""

    @property
    def opened_at(self) -> Optional[float]:
        """When its handshake succeeded (None before)."""

    @property
    def last_received(self) -> float:
        """When anything at all (data, a reply, a pong) last arrived."""

    @property
    def last_ping_sent(self) -> float:
        """When the last ping went out."""

    @property
    def messages(self) -> int:
        """Messages received."""

    @property
    def events(self) -> int:
        """Events parsed from them."""

    @property
    def parse_errors(self) -> int:
        """Messages that could not be parsed."""

    @property
    def thread(self) -> threading.Thread:
        """The thread that reads it."""

    def start(self) -> None:
        """Connect and read, reporting to the listener."""

    def request(
        self,
        method: str,
        params: Optional[List[Any]],
        on_reply: Callable[[Reply], None],
        deadline: Optional[float] = None,
    ) -> int:
        """Send a request; ``on_reply`` hears the answer. Raises ConnectionFailedError."""

    def ping(self) -> bool:
        """Send a ping if allowed now; whether one went."""

    def close(self, reason: str = ...) -> None:
        """End the connection politely; returns at once."""

    def abort(self, reason: str) -> None:
        """End the connection at once (a stalled peer)."""

    def join(self, timeout: Optional[float]) -> bool:
        """Wait for the reader to end; whether it has."""


class ConnectionFactory(Protocol):
    """Makes (does not start) the connection to ``url`` that reports to ``listener``.

    The pool's default makes a :class:`~binance_options_ws._connection.Connection`
    from its settings; tests pass a factory of fakes.
    """

    def __call__(self, url: str, *, number: int, listener: ConnectionListener) -> PoolConnection:
        """A new, unstarted connection numbered ``number``."""


class PoolStats:
    """Reconnect and rollover counts, and the message counters of ended connections.

    Shards count from reader and supervisor threads while the client reads from
    user threads.

    Example:
        >>> stats = PoolStats()
        >>> stats.count_rollover()
        >>> stats.rollovers
        1
    """

    _KEEP = 16  # ended connections kept whole before their counters are folded in

    def __init__(self) -> None:
        # Guards _reconnects, _rollovers, _retired and _ended. Taken last: never
        # wait on another lock while holding it.
        self._lock = threading.Lock()
        self._reconnects = 0
        self._rollovers = 0
        self._retired: List[PoolConnection] = []
        self._ended = {"messages": 0, "events": 0, "parse_errors": 0}

    @property
    def reconnects(self) -> int:
        """Connections opened to replace one that dropped."""
        with self._lock:
            return self._reconnects

    @property
    def rollovers(self) -> int:
        """Connections replaced before their age limit."""
        with self._lock:
            return self._rollovers

    def count_reconnect(self) -> None:
        """Count one reconnect."""
        with self._lock:
            self._reconnects += 1

    def count_rollover(self) -> None:
        """Count one rollover."""
        with self._lock:
            self._rollovers += 1

    def retire(self, conn: PoolConnection) -> None:
        """Keep the counters of a connection its shard let go of (call once per connection)."""
        with self._lock:
            self._retired.append(conn)
            if len(self._retired) > self._KEEP:
                old = self._retired.pop(0)
                self._ended["messages"] += old.messages
                self._ended["events"] += old.events
                self._ended["parse_errors"] += old.parse_errors

    def totals(self, live: Sequence[PoolConnection]) -> Dict[str, int]:
        """Messages, events and parse errors of ``live`` and of every retired connection."""
        with self._lock:
            totals = dict(self._ended)
            conns = list(live) + self._retired
        for conn in conns:
            totals["messages"] += conn.messages
            totals["events"] += conn.events
            totals["parse_errors"] += conn.parse_errors
        return totals
