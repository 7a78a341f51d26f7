"""The fake exchange's working parts: connection state, logs, and the coroutines that serve.

Internal to :mod:`binance_options_ws.testing.server`, whose :class:`FakeExchange`
is the thread-safe facade. Methods that read or change shared state take
:attr:`Engine.lock` themselves and may be called from any thread; the others
(the coroutines, the websockets hooks and the methods documented so) run on the
exchange's event loop thread only.
"""

from __future__ import annotations

import asyncio
import collections
import itertools
import json
import logging
import threading
import time
from typing import (
    Any,
    Awaitable,
    Callable,
    Collection,
    Coroutine,
    Deque,
    Dict,
    FrozenSet,
    List,
    Optional,
    Set,
    Tuple,
    Union,
)

import attrs
from websockets.asyncio.server import Server, ServerConnection
from websockets.exceptions import ConnectionClosed
from websockets.frames import Frame, Opcode
from websockets.http11 import Request, Response

from ..dialects import Dialect
from . import _rest
from ._records import ConnectionInfo, ControlMessage, IncomingFrame, MarketFeed
from ._routes import RouteError, dialect_of, parse_route
from ._session import FakeConnection, Session

__all__ = ["REFUSAL_BODIES", "Deliveries", "Engine", "Settings"]

_log = logging.getLogger("binance_options_ws.testing")

_STOP_GRACE = 0.3  # how long stop() waits for clients to answer its close frames
_LOG_LIMIT = 100_000  # entries kept in each log
#: Bodies of refused handshakes, shaped like Binance's REST errors.
REFUSAL_BODIES = {
    429: {"code": -1003, "msg": "Too many requests; please use the websocket for live updates."},
    418: {"code": -1003, "msg": "Way too many requests; IP banned for now."},
    503: {"code": -1008, "msg": "Service unavailable, please try again later."},
}
_FRAME_KINDS = {
    Opcode.TEXT: "text",
    Opcode.BINARY: "binary",
    Opcode.PING: "ping",
    Opcode.PONG: "pong",
    Opcode.CLOSE: "close",
}

#: Messages ready to go: each session with the text it gets.
Deliveries = List[Tuple[Session, str]]


@attrs.frozen
class Settings:
    """The exchange's limits and timings; None means "no limit" / "never"."""

    max_streams: Optional[int]
    max_rate: Optional[int]
    ping_interval: Optional[float]
    pong_timeout: Optional[float]
    max_age: Optional[float]
    poll_interval: float


def _json_response(connection: ServerConnection, status: int, body: Any) -> Response:
    """A plain HTTP response with a JSON body (``connection.respond`` writes text/plain)."""
    response = connection.respond(status, json.dumps(body, separators=(",", ":")))
    del response.headers["Content-Type"]
    response.headers["Content-Type"] = "application/json"
    return response


def _format_seconds(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


class Engine:
    """Sessions, logs and fault settings, and the coroutines that serve connections.

    One engine lives as long as its :class:`FakeExchange`, across restarts, so
    connection ids keep increasing and the logs are kept.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        # Guards sessions (and their "(lock)" fields), both logs, refusal and reply_delay.
        self.lock = threading.Lock()
        self.sessions: Dict[int, Session] = {}
        self.control_log: Deque[ControlMessage] = collections.deque(maxlen=_LOG_LIMIT)
        self.incoming_log: Deque[IncomingFrame] = collections.deque(maxlen=_LOG_LIMIT)
        self.refusal: Optional[Tuple[float, int, Optional[float]]] = None
        # (status, Location) answered to every handshake while set (redirect_handshakes).
        self.redirect: Optional[Tuple[int, str]] = None
        self.reply_delay = 0.0
        self.handshake_delay = 0.0
        # The market, polled by feed() and asked by the REST route (event loop thread only).
        self.market: Optional[MarketFeed] = None
        self._ids = itertools.count(1)
        # Tasks the engine starts by itself (closes); kept so they are not collected.
        self._tasks: Set[asyncio.Task[None]] = set()

    # -- reads and publishing (any thread) -------------------------------

    def open_sessions(self, connection_id: Optional[int] = None) -> List[Session]:
        """The open sessions, oldest first, or the one with ``connection_id``."""
        with self.lock:
            return [s for s in self.sessions.values() if s.open and connection_id in (None, s.id)]

    def snapshots(self) -> List[ConnectionInfo]:
        with self.lock:
            return [
                ConnectionInfo(
                    s.id,
                    s.path,
                    s.state.subscriptions,
                    s.state.combined,
                    s.opened_at,
                    s.endpoint,
                    s.url_path,
                )
                for s in self.sessions.values()
                if s.open
            ]

    def union(self) -> FrozenSet[str]:
        """Every stream some open connection is subscribed to."""
        with self.lock:
            union: Set[str] = set()
            for session in self.sessions.values():
                if session.open:
                    union.update(session.state.subscriptions)
        return frozenset(union)

    def prepare(self, stream: str, payload: Any, dialect: Optional[Dialect] = None) -> Deliveries:
        """Encode ``payload`` once (and its wrapped form once) for its recipients.

        ``dialect`` limits the recipients to the connections of that endpoint;
        None means every endpoint.
        """
        with self.lock:
            targets = [
                (s, s.state.combined)
                for s in self.sessions.values()
                if s.open
                and not s.stalled
                and s.state.is_subscribed(stream)
                and (dialect is None or s.dialect is dialect)
            ]
        if not targets:
            return []
        raw = json.dumps(payload, separators=(",", ":"))
        wrapped = ""
        if any(combined for _, combined in targets):
            wrapped = f'{{"stream":{json.dumps(stream)},"data":{raw}}}'
        return [(s, wrapped if combined else raw) for s, combined in targets]

    # -- faults and sends (event loop thread) -----------------------------

    def deliver(self, deliveries: Deliveries) -> None:
        """Queue prepared data; a session that closed or stalled since gets nothing."""
        for session, message in deliveries:
            if session.open and not session.stalled:
                session.outbox.put_nowait(message)

    def send_each(
        self, connection_id: Optional[int], build: Callable[[Session], Union[str, bytes]]
    ) -> int:
        """Queue ``build(session)`` for every open session, or the one with ``connection_id``."""
        sessions = self.open_sessions(connection_id)
        if connection_id is not None and not sessions:
            raise ValueError(f"no open connection has id {connection_id!r}")
        for session in sessions:
            session.outbox.put_nowait(build(session))
        return len(sessions)

    def ping_each(self, connection_id: Optional[int], count: int) -> int:
        """Send ``count`` pings at once to every open session, or the one with ``connection_id``."""
        sessions = self.open_sessions(connection_id)
        if connection_id is not None and not sessions:
            raise ValueError(f"no open connection has id {connection_id!r}")
        for session in sessions:
            self._spawn(self._ping_burst(session, count))
        return len(sessions)

    async def _ping_burst(self, session: Session, count: int) -> None:
        try:
            for number in range(count):
                await session.connection.ping(f"burst-{session.id}-{number}")
        except ConnectionClosed:
            pass

    def drop(self, connections: Collection[FakeConnection]) -> None:
        """Abort every TCP connection, those still in their handshake included."""
        with self.lock:
            for session in self.sessions.values():
                session.open = False
        for connection in list(connections):
            connection.transport.abort()

    def close_all(self, code: int, reason: str) -> None:
        """Start closing every open connection: the frames go out at the next loop turn."""
        for session in self.open_sessions():
            self._spawn(self._close(session, code, reason))

    async def close_all_written(self, code: int, reason: str) -> None:
        """:meth:`close_all`, returning once the close frames are written."""
        self.close_all(code, reason)
        await asyncio.sleep(0)  # each close task writes its frame before it yields

    def pause(self, pongs: bool = False) -> None:
        """Stall every open connection (``pongs``: still answering pings)."""
        with self.lock:
            for session in self.sessions.values():
                if session.open and not session.stalled:
                    session.pause(keep_reading=pongs)

    def unpause(self) -> None:
        """Resume every stalled connection."""
        with self.lock:
            for session in self.sessions.values():
                if session.stalled:
                    session.unpause()

    async def shut_down(self, server: Server, connections: Collection[FakeConnection]) -> None:
        """Close every connection with 1001, briefly, then abort what is left."""
        server.close(close_connections=False)  # stop accepting
        with self.lock:
            sessions = [s for s in self.sessions.values() if s.open]
            for session in sessions:
                session.open = False
        closes = [
            asyncio.ensure_future(s.connection.close(1001, "server shutting down"))
            for s in sessions
            if not s.stalled  # a frozen server sends nothing, not even a close frame
        ]
        if closes:
            await asyncio.wait(closes, timeout=_STOP_GRACE)
        for connection in list(connections):
            connection.transport.abort()
        try:
            await asyncio.wait_for(server.wait_closed(), timeout=0.5)
        except asyncio.TimeoutError:
            _log.warning("the fake exchange's connection handlers did not finish in time")

    # -- serving connections (event loop thread) --------------------------

    def accept(
        self, connection: ServerConnection, request: Request
    ) -> Union[Optional[Response], Awaitable[Optional[Response]]]:
        """The server's ``process_request``: :meth:`process_request`, after any handshake delay."""
        delay = self.handshake_delay
        if delay > 0 and not request.path.startswith(_rest.REST_PREFIX):
            return self._accept_later(connection, request, delay)
        return self.process_request(connection, request)

    async def _accept_later(
        self, connection: ServerConnection, request: Request, delay: float
    ) -> Optional[Response]:
        await asyncio.sleep(delay)
        return self.process_request(connection, request)

    def process_request(self, connection: ServerConnection, request: Request) -> Optional[Response]:
        """Answer REST, refuse a handshake (refusing, bad path) or create its session."""
        if request.path.startswith(_rest.REST_PREFIX):
            status, body = _rest.answer(request.path, self.market, int(time.time() * 1000))
            return _json_response(connection, status, body)
        with self.lock:
            refusal = self.refusal
            if refusal is not None and time.monotonic() >= refusal[0]:
                refusal = self.refusal = None
        redirect = self.redirect
        if redirect is not None:
            response = connection.respond(redirect[0], f"moved to {redirect[1]}\n")
            response.headers["Location"] = redirect[1]
            return response
        if refusal is not None:
            _, status, retry_after = refusal
            response = _json_response(connection, status, REFUSAL_BODIES[status])
            if retry_after is not None:
                response.headers["Retry-After"] = _format_seconds(retry_after)
            return response
        try:
            route = parse_route(request.path, self.settings.max_streams)
        except RouteError as exc:
            return connection.respond(exc.status, exc.text + "\n")
        assert isinstance(connection, FakeConnection)
        with self.lock:
            session_id = next(self._ids)
        connection.session = Session(session_id, request.path, route, connection)
        connection.observer = self.observe
        return None

    async def handle(self, connection: ServerConnection) -> None:
        """Serve one connection: answer its control messages until it closes."""
        assert isinstance(connection, FakeConnection)
        session = connection.session
        assert session is not None
        with self.lock:
            session.open = True
            self.sessions[session.id] = session
        writer = asyncio.ensure_future(self._write(session))
        watchdog = asyncio.ensure_future(self._watch(session))
        try:
            while True:
                await session.resumed.wait()
                try:
                    message = await connection.recv()
                except ConnectionClosed:
                    return
                if isinstance(message, str) and not session.cut:
                    self._answer(session, message)
        finally:
            with self.lock:
                session.open = False
                self.sessions.pop(session.id, None)
            writer.cancel()
            watchdog.cancel()
            await asyncio.gather(writer, watchdog, return_exceptions=True)

    def observe(self, session: Session, frame: Frame) -> None:
        """Log one incoming frame, note pongs and apply the message-rate limit."""
        kind = _FRAME_KINDS.get(frame.opcode)
        if kind is None:  # a continuation frame belongs to a message already logged
            return
        now = time.monotonic()
        with self.lock:
            self.incoming_log.append(IncomingFrame(now, session.id, kind))
        if frame.opcode is Opcode.PONG:
            session.last_pong = now
        max_rate = self.settings.max_rate
        if kind == "close" or max_rate is None or session.cut or not session.counting:
            return
        recent = session.recent
        recent.append(now)
        while recent[0] <= now - 1.0:
            recent.popleft()
        if len(recent) > max_rate:
            session.cut = True
            self._spawn(self._close(session, 1008, "Too many messages"))

    async def feed(self, market: MarketFeed) -> None:
        """Poll the market and publish what it returns, every poll interval."""
        while True:
            try:
                items = list(market.poll(int(time.time() * 1000), self.union()))
            except Exception:
                _log.error("the market's poll() failed", exc_info=True)
                items = []
            for stream, payload in items:
                try:
                    # Only the endpoint that spells the name this way gets it: a
                    # lowercase kline name is fstream's, even on an nbstream connection.
                    dialect = dialect_of(stream) if isinstance(stream, str) else None
                    self.deliver(self.prepare(stream, payload, dialect))
                except (TypeError, ValueError):
                    _log.error("cannot encode %r from the market", stream, exc_info=True)
            await asyncio.sleep(self.settings.poll_interval)

    def _answer(self, session: Session, text: str) -> None:
        now = time.monotonic()
        with self.lock:
            decoded, reply = session.state.handle(text, self.settings.max_streams)
            self.control_log.append(ControlMessage(now, session.id, text, decoded))
            delay = self.reply_delay
        encoded = json.dumps(reply, separators=(",", ":"))
        if delay > 0:
            asyncio.get_running_loop().call_later(delay, session.outbox.put_nowait, encoded)
        else:
            session.outbox.put_nowait(encoded)

    async def _write(self, session: Session) -> None:
        """Send the session's outbox in order, holding it while the session is stalled."""
        try:
            while True:
                message = await session.outbox.get()
                await session.resumed.wait()
                await session.connection.send(message)
        except ConnectionClosed:
            pass

    async def _watch(self, session: Session) -> None:
        """Ping, and enforce the pong deadline and the connection lifetime."""
        interval = self.settings.ping_interval
        pong_timeout, max_age = self.settings.pong_timeout, self.settings.max_age
        next_ping = None if interval is None else session.opened_at + interval
        try:
            while True:
                if not session.resumed.is_set():  # a frozen server keeps no time
                    await session.resumed.wait()
                    if interval is not None:
                        next_ping = time.monotonic() + interval
                now = time.monotonic()
                if max_age is not None and now >= session.opened_at + max_age:
                    await self._close(session, 1001, "connection reached its maximum age")
                    return
                if pong_timeout is not None and now >= session.last_pong + pong_timeout:
                    await self._close(session, 1011, "no pong received in time")
                    return
                if next_ping is not None and interval is not None and now >= next_ping:
                    next_ping = max(next_ping + interval, now)
                    try:
                        await session.connection.ping(str(int(time.time() * 1000)))
                    except RuntimeError:  # the same payload is still pending: go random
                        await session.connection.ping()
                wakes = [
                    next_ping,
                    None if max_age is None else session.opened_at + max_age,
                    None if pong_timeout is None else session.last_pong + pong_timeout,
                ]
                wake = min((w for w in wakes if w is not None), default=None)
                if wake is None:
                    return  # no pings and no deadlines: nothing to watch
                await asyncio.sleep(max(0.0, wake - time.monotonic()))
        except ConnectionClosed:
            pass

    async def _close(self, session: Session, code: int, reason: str) -> None:
        with self.lock:
            session.open = False
        await session.connection.close(code, reason)

    def _spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
