"""``Subscription``: the handle every subscribe method returns.

Example:
    >>> sub = client.subscribe_trade("BTC")   # doctest: +SKIP
    >>> sub.streams, sub.active                # doctest: +SKIP
    (('BTC@trade',), True)
"""

from __future__ import annotations

from typing import Any, Callable, FrozenSet, Optional, Tuple

__all__ = ["Callback", "Subscription"]

#: A function that receives one event.
Callback = Callable[[Any], Any]


class Subscription:
    """A handle on what one subscribe call subscribed, as returned by every subscribe method.

    Attributes:
        streams: The stream names, exactly as sent to the exchange.
        callback: The callback given to subscribe, or None (events go to the queue).
        symbols: The symbols this subscription keeps, or None for every event of its
            streams (``subscribe_index("BTCUSDT")`` on fstream, whose index stream
            carries every underlying, keeps only ``BTCUSDT``).

    Example:
        >>> sub = client.subscribe_trade("BTC")   # doctest: +SKIP
        >>> sub.unsubscribe()                      # doctest: +SKIP
    """

    def __init__(
        self,
        streams: Tuple[str, ...],
        callback: Optional[Callback],
        symbols: Optional[FrozenSet[str]],
        *,
        cancel: Callable[[Subscription, Optional[float]], None],
        is_active: Callable[[Subscription], bool],
    ) -> None:
        self.streams = streams
        self.callback = callback
        self.symbols = symbols
        self._cancel = cancel
        self._is_active = is_active

    @property
    def active(self) -> bool:
        """True until :meth:`unsubscribe` (or the client closes)."""
        return self._is_active(self)

    def unsubscribe(self, *, timeout: Optional[float] = None) -> None:
        """Stop this subscription's delivery; streams nobody else uses are unsubscribed.

        Blocks until the exchange confirms. Calling it twice does nothing.

        Example:
            >>> sub.unsubscribe()   # doctest: +SKIP
        """
        self._cancel(self, timeout)

    def __repr__(self) -> str:
        target = "queue"
        if self.callback is not None:
            target = getattr(self.callback, "__name__", "callback")
        ended = "" if self.active else " (ended)"
        only = f" for {sorted(self.symbols)}" if self.symbols is not None else ""
        return f"<Subscription {list(self.streams)}{only} -> {target}{ended}>"
