"""One WebSocket connection: its socket, its reader thread, pings, requests and rate limit.

This is the only module that imports websocket-client. A :class:`Connection`
lives for exactly one socket: it connects, reads until the socket ends, tells
its listener what happened, and is then thrown away. Reconnecting, rolling over
and sharding are the pool's job (``_pool.py``).

The reader thread opens its own socket, step by step under one deadline
(``connect_timeout``) that ``close()`` cuts short at any step: a TCP connect in
short slices, the proxy's tunnel if there is one (:mod:`._proxy`), TLS with the
caller's ``ssl_context`` or the system's authorities. websocket-client does the
opening handshake on that socket (a redirect is refused, never followed) and
writes (masks) every frame the client sends. The reader thread reads the
server's frames itself: one ``recv`` of up to 64 KiB, fed to the frame codec
(``_framing.py``), which returns every frame it completes at once;
websocket-client's read loop costs three ``recv`` calls and a ``select`` per
frame (about 17 µs, more than parsing the JSON in it).

Everything the reader thread does is short: hand a message's events to the
listener, resolve a pending request, answer a ping. It never waits on user code.
The frames it reads without waiting in between form a batch; it passes its
:class:`~binance_options_ws._delivery.Batch` with each frame's events, marked
while more frames are already there, so that napping consumers are woken once
per batch rather than once per event, and when it is busy it waits up to
``batch_delay`` between batches (``_delivery.py`` explains why and bounds the
delays).
"""

from __future__ import annotations

import contextlib
import errno
import functools
import json
import logging
import os
import select
import socket
import ssl
import sys
import threading
import time
from typing import Any, Callable, Dict, List, NamedTuple, Optional, Protocol, Sequence, Union
from urllib.parse import urlparse

import websocket

from ._delivery import Batch
from ._framing import (
    BINARY,
    CLOSE,
    PING,
    STATUS_INVALID_DATA,
    STATUS_NORMAL,
    TEXT,
    Frame,
    FrameDecoder,
    ProtocolError,
    close_reason,
    close_reply_code,
    parse_close,
)
from ._proxy import Proxy, proxy_for, tunnel
from ._retry import is_retryable, parse_retry_after
from ._timing import Deadline
from .endpoints import parse_message
from .exceptions import (
    ConnectionFailedError,
    InvalidArgumentError,
    MessageParseError,
    ProxyError,
)
from .models import ControlReply, ErrorReply, Message

__all__ = [
    "DEFAULT_BATCH_DELAY",
    "MAX_BATCH_DELAY",
    "Connection",
    "ConnectionListener",
    "HandshakeRedirectError",
    "HandshakeRefusedError",
    "Reply",
    "TokenBucket",
]

_log = logging.getLogger("binance_options_ws")

#: What a pending request's callback receives: the reply, or the error that ended it.
Reply = Union[ControlReply, ErrorReply, BaseException]

# How much one recv asks for: many frames at once when they come back to back.
_RECV_SIZE = 65536
#: The default ``batch_delay`` of :class:`Connection`, in seconds: 1.5 ms, except on
#: Windows before Python 3.11, whose sleeps last at least a 15.6 ms clock tick.
DEFAULT_BATCH_DELAY = 0.0 if sys.platform == "win32" and sys.version_info < (3, 11) else 0.0015
#: The longest ``batch_delay`` accepted, in seconds: more would be latency with no
#: further saving, and is more likely seconds mistaken for milliseconds.
MAX_BATCH_DELAY = 0.1
# How often a connect in progress looks whether close() was called, in seconds.
_CONNECT_SLICE = 0.05
# What connect_ex answers on a non-blocking socket while the connect goes on
# (WSAEWOULDBLOCK on Windows).
_CONNECT_IN_PROGRESS = frozenset(
    {errno.EINPROGRESS, errno.EWOULDBLOCK, errno.EAGAIN, getattr(errno, "WSAEWOULDBLOCK", 10035)}
)


class HandshakeRefusedError(ConnectionFailedError):
    """The server answered the WebSocket handshake with an HTTP error status.

    Attributes:
        status: The HTTP status, e.g. 429.
        retry_after: Seconds from the Retry-After header, or None.
        retryable: Whether waiting can help (429, 418, 408, 5xx).
    """

    def __init__(
        self, url: str, status: int, retry_after: Optional[float], message: str = ""
    ) -> None:
        hint = f"; retry after {retry_after:g} s" if retry_after is not None else ""
        super().__init__(message or f"{url} refused the connection with HTTP {status}{hint}")
        self.status = status
        self.retry_after = retry_after
        self.retryable = is_retryable(status)


class HandshakeRedirectError(HandshakeRefusedError):
    """The server answered the WebSocket handshake with a redirect, which is never followed.

    Following it would leave the proxy and TLS settings behind and could lead from
    ``wss://`` to plain ``ws://``. Final: the next attempt would be redirected too.

    Attributes:
        location: Where the server pointed (its Location header), or None.
    """

    def __init__(self, url: str, status: int, location: Optional[str]) -> None:
        where = f" to {location}" if location else ""
        super().__init__(
            url,
            status,
            None,
            f"{url} answered the handshake with a redirect (HTTP {status}){where}; "
            "redirects are not followed: if you trust the new address, pass it as base_url",
        )
        self.location = location


class ConnectionListener(Protocol):
    """What a :class:`Connection` reports to (the pool implements it)."""

    def on_open(self, connection: Connection) -> None:
        """The handshake succeeded. Called on the reader thread."""

    def on_events(
        self, connection: Connection, frame: bytes, messages: List[Message], batch: Batch
    ) -> None:
        """A data frame arrived and parsed. Called on the reader thread; must not block.

        Args:
            connection: The connection it arrived on.
            frame: The message's UTF-8 text as received (``bytes``, fragments
                joined): identical messages on two connections give equal frames.
            messages: What it parsed to.
            batch: The reader's batch: pass it with each event to
                :meth:`~binance_options_ws._delivery.EventQueue.put` or
                :meth:`~binance_options_ws._delivery.CallbackDispatcher.submit`, so
                that consumers are woken once per batch of frames.
        """

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


class _EndOfStreamError(Exception):
    """The peer closed the TCP connection (or we shut it down)."""


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
        parse: Turns one text message (UTF-8 ``bytes``) into messages; the
            endpoint's parser, :func:`~binance_options_ws.parse_message` by
            default. It raises :class:`MessageParseError` for a message that is not JSON.
        batch_delay: Seconds a busy reader waits, from the start of a batch of frames,
            before its next read, so that it reads several per wake-up (at most this
            much more latency); 0 reads each message at once. Busy: a batch of more
            than one frame, or one that began less than half of this after the last.
        proxy: The proxy to go through, True to take it from the environment
            (``HTTPS_PROXY``, ``ALL_PROXY``, ``NO_PROXY``, ...), or None for none.
        ssl_context: The TLS settings of ``wss://`` connections (None: the system's
            certificate authorities, with verification).
        failure_hint: Added to the error when the connection could not be opened
            (the endpoint's :attr:`~binance_options_ws.dialects.Dialect.failure_hint`).
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
        parse: Callable[[Union[str, bytes]], List[Message]] = parse_message,
        batch_delay: float = 0.0,
        proxy: Union[Proxy, bool, None] = None,
        ssl_context: Optional[ssl.SSLContext] = None,
        failure_hint: str = "",
    ) -> None:
        self.url = url
        self.number = number
        self._listener = listener
        self._next_id = next_id
        self._bucket = bucket
        self._connect_timeout = connect_timeout
        self._headers = list(headers)
        self._parse = parse
        self._batch_delay = batch_delay
        self._proxy = proxy
        self._ssl_context = ssl_context
        self._failure_hint = failure_hint
        self._deadline = Deadline(connect_timeout)  # restarted when the connect begins
        self._phase = "connect"  # the step of the opening under way, for error messages
        # Held until close() or abort(): the reader's wait between batches is an
        # attempt to take it, which they cut short by releasing it.
        self._stop_waiting = threading.Lock()
        self._stop_waiting.acquire()
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
        # The payload of the last ping of the frames being handled, answered after them.
        self._ping_payload: Optional[bytes] = None
        self._lock = threading.Lock()  # protects _pending, _sock, _ws and _close_sent
        self._pending: Dict[int, Callable[[Reply], None]] = {}
        self._sock: Optional[socket.socket] = None
        # websocket-client's WebSocket, once the handshake is done: it sends (and
        # masks) every frame we send, under a lock of its own.
        self._ws: Optional[websocket.WebSocket] = None
        self._close_sent = False
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
            raise ConnectionFailedError(
                f"could not send {method}: connection #{self.number} "
                "is closing or the rate limit left no room in time"
            )
        with self._lock:
            ws = self._ws
            if ws is None or not self.is_open:
                raise ConnectionFailedError(f"connection #{self.number} is not open")
            self._pending[request_id] = on_reply
        try:
            ws.send(text)
        except Exception as exc:
            with self._lock:
                self._pending.pop(request_id, None)
            raise ConnectionFailedError(f"could not send {method}: {exc}") from exc
        return request_id

    def ping(self) -> bool:
        """Send a ping if the rate limit allows it now. Returns whether one was sent."""
        ws = self._ws
        if ws is None or not self.is_open or not self._bucket.try_acquire():
            return False
        try:
            ws.ping(b"")
        except Exception as exc:  # the reader thread will see the broken socket too
            _log.debug("ping on connection #%d failed: %s", self.number, exc)
            return False
        self.last_ping_sent = time.monotonic()
        return True

    def _send_close(self, code: int, reason: str = "") -> None:
        """Send a close frame, once per connection; a broken socket is left to the reader."""
        with self._lock:
            ws = self._ws
            if ws is None or self._close_sent:
                return
            self._close_sent = True
        with contextlib.suppress(Exception):  # already broken: shutdown is enough
            ws.send_close(code, close_reason(reason))

    # ------------------------------------------------------------------ closing

    def close(self, reason: str = "closed by the client") -> None:
        """Ask the connection to end; returns at once (see :meth:`join`)."""
        if self._closing.is_set():
            return
        self._close_detail = reason
        self._closing.set()
        if self.is_open:
            self._send_close(STATUS_NORMAL)
        self._shutdown()

    def abort(self, reason: str) -> None:
        """End the connection at once, without a close frame (a stalled peer)."""
        self._close_detail = reason
        self._closing.set()
        self._shutdown()

    def _shutdown(self) -> None:
        """Unblock the reader: a ``recv`` or a wait between batches returns at once."""
        with contextlib.suppress(RuntimeError):  # released already
            self._stop_waiting.release()
        with self._lock:
            sock = self._sock
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

    def _run(self) -> None:
        try:
            sock = self._handshake(self._open_socket())
            self._on_open()
            self._read(sock)
        except _EndOfStreamError:
            pass  # the server closed TCP (or we shut the socket down): described by _finish
        except Exception as exc:
            self._error = exc
        finally:
            self._finish()

    def _open_socket(self) -> socket.socket:
        """TCP (through the proxy, if any), then TLS for ``wss://``; returns the socket.

        Everything up to the end of the WebSocket handshake shares one deadline,
        ``connect_timeout``; ``close()`` and ``abort()`` cut every step short.
        """
        parts = urlparse(self.url)
        secure = parts.scheme == "wss"
        host = parts.hostname or "localhost"
        port = parts.port or (443 if secure else 80)
        self._deadline = Deadline(self._connect_timeout)
        try:
            proxy = proxy_for(self.url, self._proxy)
        except InvalidArgumentError as exc:  # a proxy in the environment this cannot use
            raise ProxyError(str(exc), "the environment's proxy") from exc
        if proxy is None:
            self._phase = f"TCP connect to {host}:{port}"
            raw = self._dial(host, port)
        else:
            self._phase = f"TCP connect to proxy {proxy.display}"
            try:
                raw = self._dial(proxy.host, proxy.port)
            except (OSError, ConnectionFailedError) as exc:
                if self._closing.is_set():
                    raise
                raise ProxyError(
                    f"could not reach proxy {proxy.display}: {_describe(exc)}", proxy.display
                ) from exc
            self._phase = f"tunnel through proxy {proxy.display}"
            tunnel(raw, proxy, host, port, self._deadline.timeout)
        self._check_open()
        if not secure:
            return raw
        context = self._ssl_context or ssl.create_default_context()
        raw.settimeout(self._time_left())
        tls = context.wrap_socket(raw, server_hostname=host, do_handshake_on_connect=False)
        with self._lock:
            self._sock = tls
        self._check_open()
        self._phase = f"TLS handshake with {host}"
        tls.do_handshake()
        return tls

    def _time_left(self) -> Optional[float]:
        """Seconds left of ``connect_timeout``; a timeout error once none are."""
        left = self._deadline.timeout()
        if left is not None and left <= 0:
            raise socket.timeout(f"timed out ({self._deadline.within()})")
        return left

    def _check_open(self) -> None:
        if self._closing.is_set():
            raise ConnectionFailedError("closed while connecting")

    def _opening_failure(self) -> Optional[_Opening]:
        """What the opening was doing, when the connection never opened."""
        if self.opened.is_set():
            return None
        return _Opening(self._phase, self._failure_hint, self._connect_timeout)

    def _dial(self, host: str, port: int) -> socket.socket:
        """A TCP connection to ``host:port`` that ``close()`` can cut short at any time.

        The connect runs on a non-blocking socket watched in short slices, so that
        a peer that never answers (a firewall dropping packets) costs at most
        ``connect_timeout``, and ``close()`` ends the wait within one slice.
        """
        errors: List[BaseException] = []
        for family, kind, proto, _, address in socket.getaddrinfo(
            host, port, 0, socket.SOCK_STREAM
        ):
            self._check_open()
            sock = socket.socket(family, kind, proto)
            with self._lock:
                self._sock = sock
            try:
                self._connect_in_slices(sock, address)
            except ConnectionFailedError:
                sock.close()
                raise
            except OSError as exc:
                sock.close()
                errors.append(exc)
                if isinstance(exc, socket.timeout):
                    break
                continue
            sock.setblocking(True)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            return sock
        if not errors:
            raise ConnectionFailedError(f"{host} has no address")
        raise errors[-1]

    def _connect_in_slices(self, sock: socket.socket, address: Any) -> None:
        sock.setblocking(False)
        code = sock.connect_ex(address)
        if code == 0:
            return
        if code not in _CONNECT_IN_PROGRESS:
            raise OSError(code, os.strerror(code))
        while True:
            self._check_open()
            left = self._time_left()
            wait = _CONNECT_SLICE if left is None else min(left, _CONNECT_SLICE)
            _, writable, failed = select.select([], [sock], [sock], wait)
            if writable or failed:
                code = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                if code:
                    raise OSError(code, os.strerror(code))
                return

    def _handshake(self, sock: socket.socket) -> socket.socket:
        """The opening handshake, by websocket-client, on our socket; returns the socket to read.

        A plain ``WebSocket`` rather than ``WebSocketApp``: we want its handshake
        (headers, key check, HTTP errors as ``WebSocketBadStatusException``, which
        ``_translate`` maps) and its thread-safe, masked sends, not its read loop.
        The handshake reads the HTTP response one byte at a time, so no frame
        bytes are left behind in it. A redirect is refused, never followed: it
        would open a socket of websocket-client's own, past the proxy, the TLS
        settings and ``close()``, and could lead from ``wss://`` to plain ``ws://``.
        """
        self._check_open()
        self._phase = "WebSocket handshake"
        sock.settimeout(self._time_left())
        ws = websocket.WebSocket(skip_utf8_validation=True)
        connect: Callable[..., None] = ws.connect  # not annotated in websocket-client
        try:
            connect(
                self.url,
                socket=sock,
                header=self._headers,
                timeout=self._time_left(),
                redirect_limit=0,
            )
        except websocket.WebSocketException as exc:
            self._refuse_redirect(ws, exc)
            raise
        self._refuse_redirect(ws, None)  # websocket-client before 1.7 returns after one
        opened = ws.sock
        if opened is None:
            raise ConnectionFailedError("the handshake left no socket")
        # Reads block with no limit; close() and abort() end them by shutting the socket
        # down. Sends block too: they are small and rate-limited, and a peer that stops
        # reading is aborted by the pool's stale check long before its buffers fill.
        opened.settimeout(None)
        with self._lock:
            self._sock, self._ws = opened, ws
        self._check_open()
        return opened

    def _refuse_redirect(self, ws: Any, cause: Optional[BaseException]) -> None:
        """Raise :class:`HandshakeRedirectError` if the handshake answered a redirect."""
        response = getattr(ws, "handshake_response", None)
        status = getattr(response, "status", None)
        if isinstance(status, int) and 300 <= status < 400:
            headers = getattr(response, "headers", None) or {}
            raise HandshakeRedirectError(self.url, status, headers.get("location")) from cause

    def _on_open(self) -> None:
        now = time.monotonic()
        self.opened_at = self.last_received = now
        self.opened.set()
        self._listener.on_open(self)

    def _read(self, sock: socket.socket) -> None:
        """Read and hand over messages until a close frame, the end of the socket, or an error."""
        decoder = FrameDecoder()
        feed, recv = decoder.feed, sock.recv
        readable = _readable_now(sock)
        batch = Batch(self._batch_delay)
        frames_of = decoder.frames
        try:
            while True:
                frames = frames_of()
                if not frames:
                    data = recv(_RECV_SIZE)
                    if not data:
                        raise _EndOfStreamError
                    feed(data)
                elif not self._hand_over(frames, batch, readable):
                    return
        except ProtocolError as exc:  # from the decoder, a close frame or a text message
            self._send_close(exc.code, str(exc))
            raise ConnectionFailedError(f"WebSocket protocol error: {exc}") from None
        finally:
            batch.end()

    def _hand_over(self, frames: List[Frame], batch: Batch, readable: Callable[[], Any]) -> bool:
        """Handle the frames decoded from one read, in order, as part of ``batch``.

        Returns:
            False after a close frame, or once :meth:`close` or :meth:`abort` was
            called: nothing more is handed over then, not even frames already read.
        """
        closing = self._closing.is_set
        if closing():
            return False
        self.last_received = now = time.monotonic()
        batch.add(now, len(frames))
        last = len(frames) - 1
        more = True
        for index, (opcode, payload) in enumerate(frames):
            if index and closing():
                return False
            if index == last:
                more = bool(readable())  # the socket holds the next frame already
            batch.more = more
            if opcode == TEXT:
                self._on_text(payload, batch)
            elif not self._on_other(opcode, payload):
                return False  # a close frame
        ping = self._ping_payload
        if ping is not None:
            self._pong(ping)
        if not more:
            self._end_batch(batch)
        return True

    def _end_batch(self, batch: Batch) -> None:
        """Wake the consumers held back; a busy reader then waits before it reads again.

        ``close()`` and ``abort()`` cut the wait short (they release ``_stop_waiting``).
        """
        batch.end()
        pause = batch.resume_at - time.monotonic()
        if pause > 0:
            self._stop_waiting.acquire(True, pause)

    def _on_text(self, frame: bytes, batch: Batch) -> None:
        self.messages += 1
        try:
            try:
                messages = self._parse(frame)
            except MessageParseError as exc:
                self.parse_errors += 1
                if isinstance(exc.__cause__, UnicodeDecodeError):  # RFC 6455, 8.1: fail
                    raise ProtocolError(
                        f"a text message that is not UTF-8 ({exc.__cause__.reason} at byte "
                        f"{exc.__cause__.start})",
                        STATUS_INVALID_DATA,
                    ) from None
                self._listener.on_problem(self, "malformed frame", f"{exc}: {exc.text!r}")
                return
            if messages:
                first = messages[0]
                if first.__class__ is ControlReply or first.__class__ is ErrorReply:
                    self._on_reply(first)
                    return
            self.events += len(messages)
            self._listener.on_events(self, frame, messages, batch)
        except ProtocolError:
            raise
        except Exception:  # a bug above us must not end the connection
            _log.exception("connection #%d could not hand over a message", self.number)

    def _on_other(self, opcode: int, payload: bytes) -> bool:
        """Handle a binary message or a control frame; False after a close frame."""
        if opcode == PING:
            # Answered once the frames of this read are handled: a burst of pings gets
            # one pong, for the last of them (RFC 6455, 5.5.3), so that a ping flood
            # cannot use up the allowance that requests need.
            self._ping_payload = payload
        elif opcode == CLOSE:
            self._on_close_frame(payload)
            return False
        elif opcode == BINARY:
            self.messages += 1
            self.parse_errors += 1
            try:
                self._listener.on_problem(
                    self, "binary frame", f"{len(payload)} bytes, not JSON text"
                )
            except Exception:
                _log.exception("connection #%d could not report a problem", self.number)
        return True  # for a pong, last_received (set by the caller) is all that changes

    def _pong(self, payload: bytes) -> None:
        """Answer the last ping of a read with one pong."""
        self._ping_payload = None
        self._bucket.charge()  # the automatic pong counts towards the rate limit
        with contextlib.suppress(Exception):  # broken: the next read finds out
            ws = self._ws
            if ws is not None:
                ws.pong(payload)

    def _on_close_frame(self, payload: bytes) -> None:
        """Record the server's close code and reason, and answer with a close frame."""
        code, reason = parse_close(payload)
        if code is not None:
            detail = f"{code}: {reason}" if reason else str(code)
            self._server_close = f"closed by the server (code {detail})"
        self._send_close(close_reply_code(code))

    def _on_reply(self, reply: Union[ControlReply, ErrorReply]) -> None:
        callback = None
        with self._lock:
            if reply.id is not None:
                callback = self._pending.pop(reply.id, None)
            elif isinstance(reply, ErrorReply) and self._pending:
                # The form the exchange's document prints, {"code": 2, "msg": ...}, names
                # no request: the exchange answers in order, so it is the oldest waiting.
                callback = self._pending.pop(next(iter(self._pending)))
        if callback is not None:
            callback(reply)
        elif isinstance(reply, ErrorReply):
            self._listener.on_problem(self, "error reply", f"code {reply.code}: {reply.msg}")
        else:
            _log.debug("reply to unknown request id %s on connection #%d", reply.id, self.number)

    def _finish(self) -> None:
        try:
            error = _translate(self.url, self._error, self._opening_failure())
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


class _Opening(NamedTuple):
    """What a connection that never opened was doing, for its error message."""

    phase: str
    hint: str
    timeout: float


def _describe(error: BaseException) -> str:
    """One line about a socket-level error."""
    text = str(error)
    if isinstance(error, socket.timeout):
        return "no answer in time"
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def _translate(
    url: str, error: Optional[BaseException], opening: Optional[_Opening] = None
) -> Optional[BaseException]:
    """Turn websocket-client's and the socket layer's errors into the library's own.

    Args:
        url: The connection's URL.
        error: What ended it, if anything.
        opening: Set when the connection never opened: the step that failed, the
            endpoint's hint, and ``connect_timeout``.
    """
    if error is None or isinstance(error, ProxyError):
        return error
    translated: BaseException
    hint = opening.hint if opening is not None else ""
    host = urlparse(url).hostname or url
    if isinstance(error, HandshakeRefusedError):
        translated = error
        if hint and not isinstance(error, HandshakeRedirectError):
            translated = HandshakeRefusedError(
                url, error.status, error.retry_after, f"{error}{hint}"
            )
    elif isinstance(error, ConnectionFailedError):
        return error
    elif isinstance(error, websocket.WebSocketBadStatusException):
        retry_after = parse_retry_after(error.resp_headers)
        refused = HandshakeRefusedError(url, error.status_code, retry_after)
        translated = HandshakeRefusedError(url, error.status_code, retry_after, f"{refused}{hint}")
    elif isinstance(error, websocket.WebSocketConnectionClosedException) and opening is None:
        return None  # an ordinary end of the connection, described by the close code
    elif isinstance(error, ssl.SSLCertVerificationError):
        translated = ConnectionFailedError(
            f"the TLS certificate of {host} could not be verified "
            f"({error.verify_message or error.reason}); if a private certificate authority "
            "or a company proxy that inspects TLS signs it, pass "
            "ssl_context=ssl.create_default_context(cafile=...) (see the README)"
        )
    elif isinstance(error, socket.gaierror):
        translated = ConnectionFailedError(
            f"could not resolve {host} (DNS: {error.strerror or error}): no network, "
            f"or a wrong address{hint}"
        )
    elif isinstance(error, ssl.SSLError):
        translated = ConnectionFailedError(
            f"the TLS handshake with {host} failed ({error.reason or error}){hint}"
        )
    elif opening is not None and isinstance(error, (OSError, websocket.WebSocketException)):
        if isinstance(error, (socket.timeout, websocket.WebSocketTimeoutException)):
            what = f"no answer to the {opening.phase} within connect_timeout={opening.timeout:g} s"
        else:
            what = f"{opening.phase} failed: {_describe(error)}"
        translated = ConnectionFailedError(f"could not connect to {url}: {what}{hint}")
    else:
        translated = ConnectionFailedError(_describe(error))
    if translated is not error:
        translated.__cause__ = error
    return translated
