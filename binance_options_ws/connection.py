"""One WebSocket connection: its socket, its reader thread, pings, requests and rate limit.

This is the only module that imports websocket-client. A :class:`Connection`
lives for exactly one socket: it connects, reads until the socket ends, tells
its listener what happened, and is then thrown away. Reconnecting, rolling over
and sharding are the pool's job (``_pool.py``).

Everything the reader thread does is short: decode a frame, hand the events to
the listener, resolve a pending request. It never waits on user code. While its
socket already holds the next frame, it holds back the wake-ups of napping
consumers, so that a burst wakes them once rather than once per event
(``delivery.py`` explains why and bounds the delay).
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import select
import socket
import ssl
import threading
import time
from typing import Any, Callable, Dict, List, Optional, Protocol, Sequence, Union
from urllib.parse import urlparse

import websocket

from .backoff import retry_after_seconds, should_retry_status
from .delivery import WakeupHold, wakeup_hold
from .exceptions import ConnectionFailedError, MessageParseError
from .models import ControlReply, ErrorReply, Message, parse_message

__all__ = ["Connection", "ConnectionListener", "HandshakeRefusedError", "Reply", "TokenBucket"]

_log = logging.getLogger("binance_options_ws")

#: What a pending request's callback receives: the reply, or the error that ended it.
Reply = Union[ControlReply, ErrorReply, BaseException]

_OPCODE_TEXT = websocket.ABNF.OPCODE_TEXT


class HandshakeRefusedError(ConnectionFailedError):
    """The server answered the WebSocket handshake with an HTTP error status.

    Attributes:
        status: The HTTP status, e.g. 429.
        retry_after: Seconds from the Retry-After header, or None.
        retryable: Whether waiting can help (429, 418, 408, 5xx).
    """

    def __init__(self, url: str, status: int, retry_after: Optional[float]) -> None:
        hint = f"; retry after {retry_after:g} s" if retry_after is not None else ""
        super().__init__(f"{url} refused the connection with HTTP {status}{hint}")
        self.status = status
        self.retry_after = retry_after
        self.retryable = should_retry_status(status)


class ConnectionListener(Protocol):
    """What a :class:`Connection` reports to (the pool implements it)."""

    def on_open(self, connection: Connection) -> None:
        """The handshake succeeded. Called on the reader thread."""

    def on_events(self, connection: Connection, frame: bytes, messages: List[Message]) -> None:
        """A data frame arrived and parsed. Called on the reader thread; must not block."""

    def on_problem(self, connection: Connection, what: str, detail: str) -> None:
        """A malformed frame or an unsolicited error reply. Called on the reader thread."""

    def on_close(self, connection: Connection, reason: str, error: Optional[BaseException]) -> None:
        """The connection ended (or never opened). Called once, on the reader thread."""


class TokenBucket:
    """Paces outgoing messages: at most ``capacity`` at once, refilled at ``rate`` per second.

    In any one-second window at most ``capacity + rate`` messages pass, so a bucket
    of 4 and 4/s stays well under the exchange's 10 incoming messages per second
    even with an automatic pong on top.

    Example:
        >>> bucket = TokenBucket(rate=4.0, capacity=4.0)
        >>> bucket.try_acquire()
        True
    """

    def __init__(self, rate: float, capacity: float) -> None:
        self._rate = rate
        self._capacity = capacity
        self._tokens = capacity
        self._stamp = time.monotonic()
        self._lock = threading.Lock()  # protects _tokens and _stamp

    def _refill(self, now: float) -> None:
        self._tokens = min(self._capacity, self._tokens + (now - self._stamp) * self._rate)
        self._stamp = now

    def try_acquire(self) -> bool:
        """Take a token if one is there; never waits."""
        with self._lock:
            self._refill(time.monotonic())
            if self._tokens >= 1.0:
                self._tokens -= 1.0
                return True
            return False

    def acquire(self, stop: threading.Event, deadline: Optional[float]) -> bool:
        """Wait for a token until ``deadline`` (monotonic) or until ``stop`` is set."""
        while True:
            with self._lock:
                now = time.monotonic()
                self._refill(now)
                if self._tokens >= 1.0:
                    self._tokens -= 1.0
                    return True
                wait = (1.0 - self._tokens) / self._rate
            if deadline is not None:
                wait = min(wait, deadline - now)
                if wait <= 0:
                    return False
            if stop.wait(wait):
                return False

    def charge(self) -> None:
        """Count a message that was sent without asking (an automatic pong)."""
        with self._lock:
            self._refill(time.monotonic())
            self._tokens -= 1.0


class Connection:
    """One WebSocket connection to a combined-stream URL, read by its own thread.

    Args:
        url: The full URL, e.g. ``wss://nbstream.binance.com/eoptions/stream``.
        number: A number for logs and thread names.
        listener: Who hears about opens, events, problems and the close.
        next_id: Returns a fresh request id (an unsigned integer).
        bucket: The rate limiter for this connection's outgoing messages.
        connect_timeout: Seconds allowed for TCP, TLS and the WebSocket handshake.
        thread_name: The reader thread's name.
        headers: Extra handshake headers (the User-Agent).
    """

    def __init__(
        self,
        url: str,
        *,
        number: int,
        listener: ConnectionListener,
        next_id: Callable[[], int],
        bucket: TokenBucket,
        connect_timeout: float,
        thread_name: str,
        headers: Sequence[str] = (),
    ) -> None:
        self.url = url
        self.number = number
        self._listener = listener
        self._next_id = next_id
        self._bucket = bucket
        self._connect_timeout = connect_timeout
        self._headers = list(headers)
        self.opened = threading.Event()
        self.finished = threading.Event()
        self._closing = threading.Event()
        self.created_at = time.monotonic()
        self.opened_at: Optional[float] = None
        #: Monotonic time of the last frame of any kind (data, reply, ping, pong).
        self.last_received = self.created_at
        self.last_ping_sent = self.created_at
        # Counters, written only by the reader thread.
        self.messages = 0
        self.events = 0
        self.parse_errors = 0
        self._lock = threading.Lock()  # protects _pending, _sock and _app
        self._pending: Dict[int, Callable[[Reply], None]] = {}
        self._sock: Optional[socket.socket] = None
        # Made by the reader thread on first use: whether the socket has bytes waiting
        # now, and the reader thread's hold on consumers' wake-ups (see _on_data).
        self._readable: Optional[Callable[[], Any]] = None
        self._hold: Optional[WakeupHold] = None
        self._app: Optional[websocket.WebSocketApp] = None
        self._close_detail = "closed"
        self._server_close = "closed by the server without a close frame"
        self._error: Optional[BaseException] = None
        self._thread = threading.Thread(target=self._run, name=thread_name, daemon=True)

    def __repr__(self) -> str:
        state = "open" if self.is_open else ("finished" if self.finished.is_set() else "new")
        return f"<Connection #{self.number} {state} {self.url}>"

    @property
    def is_open(self) -> bool:
        """True between a successful handshake and the end of the connection."""
        return self.opened.is_set() and not self.finished.is_set()

    @property
    def age(self) -> float:
        """Seconds since the handshake (0 before it)."""
        return 0.0 if self.opened_at is None else time.monotonic() - self.opened_at

    def start(self) -> None:
        """Start the reader thread, which connects and then reads."""
        self._thread.start()

    # ------------------------------------------------------------------ sending

    def request(
        self,
        method: str,
        params: Optional[List[Any]],
        on_reply: Callable[[Reply], None],
        deadline: Optional[float] = None,
    ) -> int:
        """Send a control request (SUBSCRIBE, ...) without waiting for the reply.

        ``on_reply`` is called once, on the reader thread, with the reply, or with
        a :class:`ConnectionFailedError` if the connection ends first.

        Returns:
            The request id.

        Raises:
            ConnectionFailedError: If the connection is not open or the rate limit
                could not give a slot before ``deadline``.
        """
        request_id = self._next_id()
        payload: Dict[str, Any] = {"method": method, "id": request_id}
        if params is not None:
            payload = {"method": method, "params": params, "id": request_id}
        text = json.dumps(payload, separators=(",", ":"))
        if not self._bucket.acquire(self._closing, deadline):
            raise ConnectionFailedError(f"could not send {method}: connection #{self.number} "
                                        "is closing or the rate limit left no room in time")
        with self._lock:
            app = self._app
            if app is None or not self.is_open:
                raise ConnectionFailedError(f"connection #{self.number} is not open")
            self._pending[request_id] = on_reply
        try:
            app.send(text)
        except Exception as exc:
            with self._lock:
                self._pending.pop(request_id, None)
            raise ConnectionFailedError(f"could not send {method}: {exc}") from exc
        return request_id

    def ping(self) -> bool:
        """Send a ping if the rate limit allows it now. Returns whether one was sent."""
        app = self._app
        if app is None or not self.is_open or not self._bucket.try_acquire():
            return False
        try:
            sock = app.sock
            if sock is not None:
                sock.ping(b"")
                self.last_ping_sent = time.monotonic()
                return True
        except Exception as exc:  # the reader thread will see the broken socket too
            _log.debug("ping on connection #%d failed: %s", self.number, exc)
        return False

    # ------------------------------------------------------------------ closing

    def close(self, reason: str = "closed by the client") -> None:
        """Ask the connection to end; returns at once (see :meth:`join`)."""
        if self._closing.is_set():
            return
        self._close_detail = reason
        self._closing.set()
        with self._lock:
            app, sock = self._app, self._sock
        if app is not None:
            app.keep_running = False
            ws = app.sock
            if ws is not None and self.is_open:
                with contextlib.suppress(Exception):  # already broken: shutdown is enough
                    ws.send_close(websocket.STATUS_NORMAL, b"")
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def abort(self, reason: str) -> None:
        """End the connection at once, without a close frame (a stalled peer)."""
        self._close_detail = reason
        self._closing.set()
        with self._lock:
            app, sock = self._app, self._sock
        if app is not None:
            app.keep_running = False
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def join(self, timeout: Optional[float]) -> bool:
        """Wait for the reader thread to end (never joins the current thread)."""
        if self._thread is threading.current_thread() or not self._thread.is_alive():
            return not self._thread.is_alive()
        self._thread.join(timeout)
        return not self._thread.is_alive()

    @property
    def thread(self) -> threading.Thread:
        """The reader thread."""
        return self._thread

    # ------------------------------------------------------------------ reader thread

    def _open_socket(self) -> socket.socket:
        parts = urlparse(self.url)
        secure = parts.scheme == "wss"
        host = parts.hostname or "localhost"
        port = parts.port or (443 if secure else 80)
        raw = socket.create_connection((host, port), timeout=self._connect_timeout)
        with self._lock:
            self._sock = raw
        if self._closing.is_set():
            raw.close()
            raise ConnectionFailedError("closed while connecting")
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if not secure:
            return raw
        tls = ssl.create_default_context().wrap_socket(raw, server_hostname=host)
        with self._lock:
            self._sock = tls
        return tls

    def _run(self) -> None:
        try:
            sock = self._open_socket()
            app = websocket.WebSocketApp(
                self.url,
                header=self._headers,
                on_open=self._on_open,
                on_data=self._on_data,
                on_ping=self._on_ping,
                on_pong=self._on_pong,
                on_error=self._on_error,
                on_close=self._on_ws_close,
                socket=sock,
            )
            with self._lock:
                self._app = app
            if not self._closing.is_set():
                app.run_forever(ping_interval=0, skip_utf8_validation=True, reconnect=0)
        except Exception as exc:
            self._error = exc
        finally:
            self._finish()

    def _on_open(self, app: websocket.WebSocketApp) -> None:
        now = time.monotonic()
        self.opened_at = self.last_received = now
        self.opened.set()
        self._listener.on_open(self)

    def _on_data(self, app: websocket.WebSocketApp, data: Any, opcode: int, fin: bool) -> None:
        self.last_received = time.monotonic()
        self.messages += 1
        # While the socket already holds the next frame, the consumers are woken once
        # for the whole burst rather than once per event (see delivery.py).
        hold = self._hold
        if hold is None:
            hold = self._hold = wakeup_hold()  # the reader thread's
        more = self._more_to_read()
        hold.active = more
        try:
            if opcode != _OPCODE_TEXT:
                self.parse_errors += 1
                detail = f"{len(data)} bytes, not JSON text"
                self._listener.on_problem(self, "binary frame", detail)
                return
            try:
                messages = parse_message(data)
            except MessageParseError as exc:
                self.parse_errors += 1
                self._listener.on_problem(self, "malformed frame", f"{exc}: {exc.text!r}")
                return
            if messages:
                first = messages[0]
                if first.__class__ is ControlReply or first.__class__ is ErrorReply:
                    self._on_reply(first)
                    return
            self.events += len(messages)
            self._listener.on_events(self, data, messages)
        finally:
            if not more:
                hold.release()

    def _more_to_read(self) -> bool:
        """Whether the socket already holds more data, so that the reader will not wait."""
        sock = self._sock
        if sock is None:
            return False
        try:
            readable = self._readable
            if readable is None:
                readable = self._readable = _readable_now(sock)
            return bool(readable())
        except (OSError, ValueError):  # closed meanwhile: the reader will find out
            return False

    def _on_reply(self, reply: Union[ControlReply, ErrorReply]) -> None:
        callback = None
        if reply.id is not None:
            with self._lock:
                callback = self._pending.pop(reply.id, None)
        if callback is not None:
            callback(reply)
        elif isinstance(reply, ErrorReply):
            self._listener.on_problem(self, "error reply", f"code {reply.code}: {reply.msg}")
        else:
            _log.debug("reply to unknown request id %s on connection #%d", reply.id, self.number)

    def _on_ping(self, app: websocket.WebSocketApp, data: bytes) -> None:
        self.last_received = time.monotonic()
        self._bucket.charge()  # websocket-client has answered it with a pong

    def _on_pong(self, app: websocket.WebSocketApp, data: bytes) -> None:
        self.last_received = time.monotonic()

    def _on_error(self, app: websocket.WebSocketApp, error: Any) -> None:
        if isinstance(error, websocket.ABNF):  # older websocket-client: the close frame itself
            raw = error.data or b""
            data = raw.encode("utf-8") if isinstance(raw, str) else bytes(raw)
            code = int.from_bytes(data[:2], "big") if len(data) >= 2 else None
            self._on_ws_close(app, code, data[2:].decode("utf-8", "replace") or None)
        elif isinstance(error, BaseException) and self._error is None:
            self._error = error

    def _on_ws_close(
        self, app: websocket.WebSocketApp, code: Optional[int], reason: Optional[str]
    ) -> None:
        if code is not None:
            detail = f"{code}: {reason}" if reason else str(code)
            self._server_close = f"closed by the server (code {detail})"

    def _finish(self) -> None:
        try:
            error = _translate(self.url, self._error)
        except Exception:  # never lose the close over an odd error object
            _log.exception("could not describe the error of connection #%d", self.number)
            error = ConnectionFailedError(repr(self._error))
        if self._closing.is_set():
            reason = self._close_detail
        elif error is not None:
            reason = str(error)
        else:
            reason = self._server_close
        with self._lock:
            pending, self._pending = self._pending, {}
            sock, self._sock = self._sock, None
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.close()
        self.finished.set()
        lost = ConnectionFailedError(f"connection #{self.number} ended before the reply: {reason}")
        for callback in pending.values():
            callback(lost)
        self._listener.on_close(self, reason, error)


def _readable_now(sock: socket.socket) -> Callable[[], Any]:
    """A function that returns something true when ``sock`` has bytes to read now."""
    check: Callable[[], Any]
    if hasattr(select, "poll"):
        poller = select.poll()
        poller.register(sock, select.POLLIN)
        check = functools.partial(poller.poll, 0)
    else:  # Windows has no poll()

        def check() -> Any:
            return select.select([sock], [], [], 0)[0]

    if isinstance(sock, ssl.SSLSocket):  # bytes already decrypted count too
        pending, kernel = sock.pending, check
        return lambda: pending() or kernel()
    return check


def _translate(url: str, error: Optional[BaseException]) -> Optional[BaseException]:
    """Turn websocket-client's and the socket layer's errors into the library's own."""
    if error is None or isinstance(error, ConnectionFailedError):
        return error
    if isinstance(error, websocket.WebSocketBadStatusException):
        retry_after = retry_after_seconds(error.resp_headers)
        refused = HandshakeRefusedError(url, error.status_code, retry_after)
        refused.__cause__ = error
        return refused
    if isinstance(error, websocket.WebSocketConnectionClosedException):
        return None  # an ordinary end of the connection, described by the close code
    failed = ConnectionFailedError(f"{type(error).__name__}: {error}" if str(error) else
                                   type(error).__name__)
    failed.__cause__ = error
    return failed
