"""One WebSocket connection: its socket, its reader thread, pings, requests and rate limit.

This is the only module that imports websocket-client. A :class:`Connection`
lives for exactly one socket: it connects, reads until the socket ends, tells
its listener what happened, and is then thrown away. Reconnecting, rolling over
and sharding are the pool's job (``pool.py``).

websocket-client does the opening handshake and writes (masks) every frame the
client sends. The reader thread reads the server's frames itself, with
:class:`_FrameReader`: one ``recv`` of up to 64 KiB, then as many frames as it
holds, where websocket-client's read loop costs three ``recv`` calls and a
``select`` per frame (about 17 µs, more than parsing the JSON in it).

Everything the reader thread does is short: decode a frame, hand the events to
the listener, resolve a pending request, answer a ping. It never waits on user
code. While its buffer or its socket already holds the next frame, it holds back
the wake-ups of napping consumers, so that a burst wakes them once rather than
once per event (``delivery.py`` explains why and bounds the delay).
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import math
import select
import socket
import ssl
import sys
import threading
import time
from typing import Any, Callable, Dict, List, Optional, Protocol, Sequence, Tuple, Union
from urllib.parse import urlparse

import websocket

from ._retry import is_retryable, parse_retry_after
from .delivery import wakeup_hold
from .exceptions import ConnectionFailedError, MessageParseError
from .models import ControlReply, ErrorReply, Message, parse_message

__all__ = [
    "DEFAULT_BATCH_DELAY",
    "MAX_BATCH_DELAY",
    "Connection",
    "ConnectionListener",
    "HandshakeRefusedError",
    "Reply",
    "TokenBucket",
]

_log = logging.getLogger("binance_options_ws")

#: What a pending request's callback receives: the reply, or the error that ended it.
Reply = Union[ControlReply, ErrorReply, BaseException]

# Opcodes (RFC 6455, section 5.2).
_CONTINUATION, _TEXT, _BINARY, _CLOSE, _PING, _PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA
# The first byte of the usual frame: FIN and a text opcode, a whole text message.
_WHOLE_TEXT = 0x80 | _TEXT
# How much one recv asks for: many frames at once when they come back to back.
_RECV_SIZE = 65536
# The largest message accepted (the exchange's are a few KiB; a whole chain of
# tickers some hundreds): anything bigger is a broken or hostile peer.
_MAX_MESSAGE = 16 * 1024 * 1024
# Close codes an endpoint may put in a close frame (RFC 6455, section 7.4).
_STATUS_NORMAL = 1000
_STATUS_PROTOCOL_ERROR = 1002
#: The default ``batch_delay`` of :class:`Connection`, in seconds: 1.5 ms, except on
#: Windows before Python 3.11, whose sleeps last at least a 15.6 ms clock tick.
DEFAULT_BATCH_DELAY = 0.0 if sys.platform == "win32" and sys.version_info < (3, 11) else 0.0015
#: The longest ``batch_delay`` accepted, in seconds: more would be latency with no
#: further saving, and is more likely seconds mistaken for milliseconds.
MAX_BATCH_DELAY = 0.1


def _sendable_status(code: int) -> bool:
    return 1000 <= code <= 1003 or 1007 <= code <= 1014 or 3000 <= code <= 4999


def _close_reason(text: str) -> bytes:
    """``text`` in UTF-8, cut between characters to the 123 bytes a close frame holds."""
    return text.encode("utf-8")[:123].decode("utf-8", "ignore").encode("utf-8")


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
        self.retryable = is_retryable(status)


class ConnectionListener(Protocol):
    """What a :class:`Connection` reports to (the pool implements it)."""

    def on_open(self, connection: Connection) -> None:
        """The handshake succeeded. Called on the reader thread."""

    def on_events(self, connection: Connection, frame: bytes, messages: List[Message]) -> None:
        """A data frame arrived and parsed. Called on the reader thread; must not block.

        ``frame`` is the message's UTF-8 text as received (``bytes``, fragments
        joined): identical messages on two connections give equal frames.
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


class _ProtocolError(Exception):
    """The server sent something RFC 6455 forbids; the message says what."""


class _FrameReader:
    """Reads a server's WebSocket messages from a socket, many frames per ``recv``.

    The bytes received live in one ``bytes`` buffer with a read position; a frame
    is sliced out of it once complete, and only a partial frame at the end is
    carried over into the next buffer. ``SSLSocket.recv`` returns at most one TLS
    record, so a frame may take several reads: :meth:`_fill` reads until enough
    is there. The socket must block (timeout None); shutting it down ends a read.

    :meth:`read` returns whole messages (fragments joined) and control frames, and
    checks what RFC 6455 asks a client to check: no mask, no reserved bits, known
    opcodes, control frames short and unfragmented, continuations only inside a
    fragmented message.
    """

    __slots__ = ("_buffer", "_parts", "_position", "_recv", "_size", "_started")

    def __init__(self, recv: Callable[[int], bytes]) -> None:
        self._recv = recv
        self._buffer = b""
        self._position = 0
        # A fragmented message in progress: its opcode (0 when none) and its parts.
        self._started = 0
        self._parts: List[bytes] = []
        self._size = 0

    def read(self) -> Tuple[int, bytes]:
        """Wait for the next message or control frame.

        Returns:
            ``(opcode, payload)``: text, binary, close, ping or pong.

        Raises:
            _EndOfStreamError: If the socket reached its end.
            _ProtocolError: If the server broke the protocol.
            OSError: From the socket.
        """
        while True:
            first, payload = self._frame()
            if first == _WHOLE_TEXT and not self._started:
                return _TEXT, payload
            message = self._assemble(first, payload)
            if message is not None:
                return message

    def holds_frame(self) -> bool:
        """Whether the buffer already holds the whole next frame, so ``read`` will not wait."""
        buffer, position = self._buffer, self._position
        available = len(buffer) - position
        if available < 2:
            return False
        second = buffer[position + 1]
        length = second & 0x7F
        head = 6 if second & 0x80 else 2  # a masked frame (an error, but a whole one)
        if length == 126:
            head += 2
            if available < head:
                return False
            length = int.from_bytes(buffer[position + 2 : position + 4], "big")
        elif length == 127:
            head += 8
            if available < head:
                return False
            length = int.from_bytes(buffer[position + 2 : position + 10], "big")
        return available >= head + length

    def _frame(self) -> Tuple[int, bytes]:
        """The next frame's first byte (FIN, reserved bits, opcode) and its payload."""
        while True:
            buffer, position = self._buffer, self._position
            available = len(buffer) - position
            if available < 2:
                self._fill(2)
                continue
            length = buffer[position + 1]
            if length & 0x80:
                raise _ProtocolError("the server masked a frame")
            head = 2
            if length >= 126:
                head = 4 if length == 126 else 10
                if available < head:
                    self._fill(head)
                    continue
                length = int.from_bytes(buffer[position + 2 : position + head], "big")
                if length >> 63:
                    raise _ProtocolError("a frame length with its most significant bit set")
                if length > _MAX_MESSAGE:
                    raise _ProtocolError(f"a frame of {length} bytes (more than 16 MiB)")
            end = position + head + length
            if end > len(buffer):
                self._fill(head + length)
                continue
            self._position = end
            return buffer[position], buffer[position + head : end]

    def _fill(self, needed: int) -> None:
        """Read until the buffer holds ``needed`` bytes from the read position."""
        rest = self._buffer[self._position :]
        chunks = [rest] if rest else []
        have = len(rest)
        recv = self._recv
        while have < needed:
            data = recv(_RECV_SIZE)
            if not data:
                raise _EndOfStreamError
            chunks.append(data)
            have += len(data)
        self._buffer = b"".join(chunks)  # one chunk: that very object, no copy
        self._position = 0

    def _assemble(self, first: int, payload: bytes) -> Optional[Tuple[int, bytes]]:
        """Check a frame; return a whole message or control frame, or None for a fragment."""
        if first & 0x70:
            raise _ProtocolError("reserved bits set, but no extension was negotiated")
        opcode = first & 0x0F
        final = first & 0x80
        if opcode >= _CLOSE:
            if opcode > _PONG:
                raise _ProtocolError(f"unknown opcode {opcode:#x}")
            if not final:
                raise _ProtocolError("a fragmented control frame")
            if len(payload) > 125:
                raise _ProtocolError(f"a control frame of {len(payload)} bytes (at most 125)")
            return opcode, payload
        if opcode == _CONTINUATION:
            if not self._started:
                raise _ProtocolError("a continuation frame outside a fragmented message")
            self._parts.append(payload)
            self._size += len(payload)
            if self._size > _MAX_MESSAGE:
                raise _ProtocolError(f"a message of more than {_MAX_MESSAGE} bytes")
            if not final:
                return None
            message = b"".join(self._parts)
            opcode, self._started, self._parts, self._size = self._started, 0, [], 0
            return opcode, message
        if opcode > _BINARY:
            raise _ProtocolError(f"unknown opcode {opcode:#x}")
        if self._started:
            raise _ProtocolError("a new message before the end of a fragmented one")
        if final:
            return opcode, payload
        self._started, self._parts, self._size = opcode, [payload], len(payload)
        return None


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
            endpoint's parser, :func:`~binance_options_ws.models.parse_message` by
            default. It raises :class:`MessageParseError` for a message that is not JSON.
        batch_delay: Seconds a busy reader waits, from the start of a batch of frames,
            before its next read, so that it reads several per wake-up (at most this
            much more latency); 0 reads each message at once. Busy: a batch of more
            than one frame, or one that began less than half of this after the last.
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
            raise ConnectionFailedError(f"could not send {method}: connection #{self.number} "
                                        "is closing or the rate limit left no room in time")
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
            ws.send_close(code, _close_reason(reason))

    # ------------------------------------------------------------------ closing

    def close(self, reason: str = "closed by the client") -> None:
        """Ask the connection to end; returns at once (see :meth:`join`)."""
        if self._closing.is_set():
            return
        self._close_detail = reason
        self._closing.set()
        if self.is_open:
            self._send_close(_STATUS_NORMAL)
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

    def _handshake(self, sock: socket.socket) -> socket.socket:
        """The opening handshake, by websocket-client, on our socket; returns the socket to read.

        A plain ``WebSocket`` rather than ``WebSocketApp``: we want its handshake
        (headers, key check, HTTP errors as ``WebSocketBadStatusException``, which
        ``_translate`` maps) and its thread-safe, masked sends, not its read loop.
        The handshake reads the HTTP response one byte at a time, so no frame
        bytes are left behind in it.
        """
        if self._closing.is_set():
            raise ConnectionFailedError("closed while connecting")
        ws = websocket.WebSocket(skip_utf8_validation=True)
        connect: Callable[..., None] = ws.connect  # not annotated in websocket-client
        connect(self.url, socket=sock, header=self._headers, timeout=self._connect_timeout)
        opened = ws.sock  # a new socket if websocket-client followed a redirect
        if opened is None:
            raise ConnectionFailedError("the handshake left no socket")
        # Reads block with no limit; close() and abort() end them by shutting the socket
        # down. Sends block too: they are small and rate-limited, and a peer that stops
        # reading is aborted by the pool's stale check long before its buffers fill.
        opened.settimeout(None)
        with self._lock:
            self._sock, self._ws = opened, ws
        if self._closing.is_set():
            raise ConnectionFailedError("closed while connecting")
        return opened

    def _on_open(self) -> None:
        now = time.monotonic()
        self.opened_at = self.last_received = now
        self.opened.set()
        self._listener.on_open(self)

    def _read(self, sock: socket.socket) -> None:
        """Read and dispatch messages until a close frame, the end of the socket, or an error."""
        reader = _FrameReader(sock.recv)
        read, holds_frame = reader.read, reader.holds_frame
        readable = _readable_now(sock)
        closing = self._closing.is_set
        monotonic, delay = time.monotonic, self._batch_delay
        half_delay = delay / 2
        wait = self._stop_waiting.acquire
        # While the buffer or the socket already holds the next frame, the consumers
        # are woken once for the whole batch rather than once per event (delivery.py).
        hold = wakeup_hold()
        # A batch: the frames read without waiting. The connection is busy when a
        # batch holds several frames, or, from quiet, when one begins less than half
        # `delay` after the previous one. A busy reader waits until `delay` after the
        # batch began before it reads again, so that the next batch is several frames
        # (at most `delay` more latency for them), and stays busy while it finds more
        # than one frame waiting. Below about two frames per `delay`, waiting would
        # cost a wake-up per frame as before, and latency on top.
        busy = False
        batch_start = previous_start = -math.inf
        frames = 0  # of the batch being read
        try:
            while True:
                try:
                    opcode, payload = read()
                except _ProtocolError as exc:
                    self._send_close(_STATUS_PROTOCOL_ERROR, str(exc))
                    raise ConnectionFailedError(f"WebSocket protocol error: {exc}") from None
                if closing():  # after close() or abort(), nothing more is handed over
                    return
                self.last_received = now = monotonic()
                if not frames:
                    previous_start, batch_start = batch_start, now
                frames += 1
                more = holds_frame() or bool(readable())
                hold.active = more
                if opcode == _TEXT:
                    self._on_text(payload)
                elif not self._on_other(opcode, payload):
                    return  # a close frame
                if not more:
                    hold.release()
                    if delay:
                        busy = frames > 1 or (
                            not busy and batch_start - previous_start < half_delay
                        )
                        if busy:
                            pause = batch_start + delay - monotonic()
                            if pause > 0:
                                wait(True, pause)
                    frames = 0
        finally:
            hold.release()

    def _on_text(self, frame: bytes) -> None:
        self.messages += 1
        try:
            try:
                messages = self._parse(frame)
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
            self._listener.on_events(self, frame, messages)
        except Exception:  # a bug above us must not end the connection
            _log.exception("connection #%d could not hand over a message", self.number)

    def _on_other(self, opcode: int, payload: bytes) -> bool:
        """Handle a binary message or a control frame; False after a close frame."""
        if opcode == _PING:
            self._bucket.charge()  # the automatic pong counts towards the rate limit
            with contextlib.suppress(Exception):  # broken: the next read finds out
                ws = self._ws
                if ws is not None:
                    ws.pong(payload)
        elif opcode == _CLOSE:
            self._on_close_frame(payload)
            return False
        elif opcode == _BINARY:
            self.messages += 1
            self.parse_errors += 1
            try:
                self._listener.on_problem(
                    self, "binary frame", f"{len(payload)} bytes, not JSON text"
                )
            except Exception:
                _log.exception("connection #%d could not report a problem", self.number)
        return True  # for a pong, last_received (set by the caller) is all that changes

    def _on_close_frame(self, payload: bytes) -> None:
        """Record the server's close code and reason, and answer with a close frame."""
        code: Optional[int] = None
        if len(payload) >= 2:
            code = int.from_bytes(payload[:2], "big")
            reason = payload[2:].decode("utf-8", "replace")
            detail = f"{code}: {reason}" if reason else str(code)
            self._server_close = f"closed by the server (code {detail})"
        self._send_close(code if code is not None and _sendable_status(code) else _STATUS_NORMAL)

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
        retry_after = parse_retry_after(error.resp_headers)
        refused = HandshakeRefusedError(url, error.status_code, retry_after)
        refused.__cause__ = error
        return refused
    if isinstance(error, websocket.WebSocketConnectionClosedException):
        return None  # an ordinary end of the connection, described by the close code
    failed = ConnectionFailedError(f"{type(error).__name__}: {error}" if str(error) else
                                   type(error).__name__)
    failed.__cause__ = error
    return failed
