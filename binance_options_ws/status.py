"""What a client tells about itself: connection changes and counters.

Example:
    >>> StateChange("connected", "wss://fstream.binance.com/market/stream", 0.0, "market").path
    'market'
"""

from __future__ import annotations

from typing import Callable, Optional, Tuple

import attrs

__all__ = ["ClientStats", "StateChange", "StateListener"]


@attrs.frozen
class StateChange:
    """A change in the client's connections, as given to ``on_state``.

    Attributes:
        state: ``"connecting"``, ``"connected"``, ``"disconnected"``,
            ``"reconnecting"``, ``"rolled_over"`` or ``"closed"``.
        detail: A readable explanation (the reason for a disconnect, the delay
            before a reconnect, ...).
        time: Wall-clock time of the change (``time.time()``).
        path: The URL path of the connection that changed (``""`` on a single-path
            endpoint, ``"public"`` or ``"market"`` on fstream), or None for a change
            of the whole client (``"closed"``).
    """

    state: str
    detail: str
    time: float
    path: Optional[str] = None


#: What :meth:`StreamClient.add_state_listener` takes: a function of one StateChange.
StateListener = Callable[[StateChange], object]


@attrs.frozen
class ClientStats:
    """Counters since the client started, from :attr:`StreamClient.stats`.

    Attributes:
        messages: WebSocket messages received (data and replies).
        events: Events parsed from them.
        parse_errors: Messages that were not valid JSON text (counted, logged, skipped).
        callback_errors: Exceptions raised by your callbacks (logged, skipped).
        dropped_events: Events dropped because the queue (or the callback backlog)
            was full; the oldest go first.
        unrouted_events: Events for streams nobody is subscribed to any more.
        reconnects: Connections re-opened after an unexpected drop.
        rollovers: Connections replaced before their age limit.
        connections: Connections open now.
        last_message_age: Seconds since each open connection last received anything.
    """

    messages: int
    events: int
    parse_errors: int
    callback_errors: int
    dropped_events: int
    unrouted_events: int
    reconnects: int
    rollovers: int
    connections: int
    last_message_age: Tuple[float, ...]
