"""One client connection of the fake exchange: the websockets connection and its state.

Internal to :mod:`binance_options_ws.testing.server`. Everything here runs on the
exchange's event loop thread, except the fields marked "(lock)", which the
exchange also reads from other threads while holding its lock.
"""

from __future__ import annotations

import asyncio
import collections
import time
from typing import Any, Callable, Deque, Optional, Set, Type, Union

from websockets.asyncio.server import ServerConnection
from websockets.frames import Frame

from ._control import ConnectionState
from ._routes import Route

__all__ = ["FakeConnection", "Session", "connection_class"]

#: A backlog read right after resume() is exempt from the rate limit if it comes this soon.
_BACKLOG_WINDOW = 0.1


class Session:
    """The state of one connection, created when its handshake is accepted.

    Attributes:
        id: The connection id, increasing across the exchange's life.
        path: The handshake path with its query string.
        dialect: The endpoint's dialect, from the path.
        endpoint: The dialect's name (``"nbstream"``, ``"fstream"``).
        url_path: The dialect's path (``"public"`` or ``"market"`` on fstream), or
            None on a single-path dialect (nbstream).
        connection: The websockets connection.
        state: Subscriptions and the ``combined`` property (lock).
        opened_at: ``time.monotonic()`` when the handshake was accepted.
        open: True from registration until the exchange starts closing it (lock).
        stalled: True between stall() and resume() (lock).
        resumed: Set unless stalled; the reader, writer and watchdog wait on it.
        paused_reading: True while a stall keeps the socket unread (not in a
            silent stall, which still answers pings).
        outbox: Messages waiting for the writer task, in order.
        recent: Arrival times of the messages counted by the rate limit.
        last_pong: ``time.monotonic()`` of the last pong (or of the open/resume).
        cut: True once the connection broke the rate limit; nothing more is answered.
        backlog_until: A read before this time, the first after resume(), is not
            counted by the rate limit: it holds what the client sent during the stall.
        counting: False while such a backlog read is being processed.
    """

    def __init__(
        self, session_id: int, path: str, route: Route, connection: ServerConnection
    ) -> None:
        self.id = session_id
        self.path = path
        self.connection = connection
        self.dialect = route.dialect
        self.endpoint = route.dialect.name
        self.url_path = route.url_path
        self.state = ConnectionState(route.combined, route.dialect, route.streams, route.url_path)
        self.opened_at = time.monotonic()
        self.open = False
        self.stalled = False
        self.paused_reading = False
        self.resumed = asyncio.Event()
        self.resumed.set()
        self.outbox: asyncio.Queue[Union[str, bytes]] = asyncio.Queue()
        self.recent: Deque[float] = collections.deque()
        self.last_pong = self.opened_at
        self.cut = False
        self.backlog_until: Optional[float] = None
        self.counting = True

    def pause(self, keep_reading: bool = False) -> None:
        """Stop reading and writing (stall). Call with the exchange's lock held.

        ``keep_reading``: the socket is still read, so websockets still answers
        pings (a silent stall); messages wait for :meth:`unpause`.
        """
        self.stalled = True
        self.paused_reading = not keep_reading
        self.resumed.clear()
        if self.paused_reading:
            self.connection.transport.pause_reading()

    def unpause(self) -> None:
        """Undo :meth:`pause`. Call with the exchange's lock held."""
        now = time.monotonic()
        self.stalled = False
        self.last_pong = max(self.last_pong, now)  # a frozen server saw no pongs either
        self.backlog_until = now + _BACKLOG_WINDOW
        self.resumed.set()
        if self.paused_reading:
            self.paused_reading = False
            self.connection.transport.resume_reading()


class FakeConnection(ServerConnection):
    """A websockets server connection that reports every incoming frame.

    websockets answers pings and tracks pongs itself and has no public hook that
    shows them, so :meth:`process_event` (where every parsed frame passes) is
    extended to hand each frame to ``observer`` first.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.session: Optional[Session] = None
        self.observer: Optional[Callable[[Session, Frame], None]] = None

    def process_event(self, event: Any) -> None:
        session, observer = self.session, self.observer
        if session is not None and observer is not None and isinstance(event, Frame):
            observer(session, event)
        super().process_event(event)

    def data_received(self, data: bytes) -> None:
        session = self.session
        if session is None or session.backlog_until is None:
            super().data_received(data)
            return
        # The first read after resume() holds what the client sent while the server
        # was not reading; it arrives in one burst but was not sent as one.
        session.counting = time.monotonic() > session.backlog_until
        session.backlog_until = None
        try:
            super().data_received(data)
        finally:
            session.counting = True


def connection_class(registry: Set[FakeConnection]) -> Type[FakeConnection]:
    """A connection class that keeps every live TCP connection in ``registry``.

    The registry includes connections still in their opening handshake, which the
    websockets server does not list, so that stop() and drop_connections() can
    abort them too.
    """

    class _TrackedConnection(FakeConnection):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            super().connection_made(transport)
            registry.add(self)

        def connection_lost(self, exc: Optional[Exception]) -> None:
            registry.discard(self)
            super().connection_lost(exc)

    return _TrackedConnection
