"""The client side of the RFC 6455 frame codec: bytes from the server in, messages out.

Nothing here touches a socket, a thread or a clock. A connection feeds
:class:`FrameDecoder` whatever its socket returned (:meth:`FrameDecoder.feed`)
and takes back every whole message and control frame those bytes complete
(:meth:`FrameDecoder.frames`): one call per ``recv`` of many frames, not one per
frame. The close frame's payload is read and answered here too
(:func:`parse_close`, :func:`close_reply_code`, :func:`close_reason`).

The client's own frames are written, and masked, by websocket-client, which does
the opening handshake as well (``_connection.py``); there is no encoder here.

What the decoder enforces (RFC 6455, section 5), each breach a
:class:`ProtocolError`:

* frames from a server are not masked;
* no reserved bit is set (no extension is ever negotiated);
* the opcode is a known one (continuation, text, binary, close, ping, pong);
* a control frame is final and carries at most 125 bytes;
* a continuation frame only continues a fragmented message, and no new message
  starts before a fragmented one ends (control frames may come in between);
* a 64-bit length has its most significant bit clear;
* a close frame carries no payload, or a code a server may send (1000 to 1003,
  1007 to 1014, 3000 to 4999: section 7.4) and a UTF-8 reason (:func:`parse_close`;
  a one-byte payload, another code or a reason that is not UTF-8 is an error,
  1002 or 1007);
* no frame, and no message once its fragments are joined, exceeds the limit
  (16 MiB by default; the exchange's messages are a few KiB): close code 1009.

A text message that is not UTF-8 is found where it is decoded, by the JSON
parser: the connection then closes with :data:`STATUS_INVALID_DATA` (1007), as
section 8.1 asks.
"""

from __future__ import annotations

from typing import List, Optional, Tuple

__all__ = [
    "BINARY",
    "CLOSE",
    "CONTINUATION",
    "MAX_MESSAGE",
    "PING",
    "PONG",
    "STATUS_INVALID_DATA",
    "STATUS_NORMAL",
    "STATUS_PROTOCOL_ERROR",
    "STATUS_TOO_BIG",
    "TEXT",
    "Frame",
    "FrameDecoder",
    "ProtocolError",
    "close_reason",
    "close_reply_code",
    "parse_close",
]

# Opcodes (RFC 6455, section 5.2).
CONTINUATION = 0x0
TEXT = 0x1
BINARY = 0x2
CLOSE = 0x8
PING = 0x9
PONG = 0xA

#: The largest frame or message accepted by default, in bytes (16 MiB): anything
#: bigger is a broken or hostile peer (the exchange's messages are a few KiB, a
#: whole chain of tickers some hundreds).
MAX_MESSAGE = 16 * 1024 * 1024

# Close codes (RFC 6455, section 7.4.1).
#: The normal close, and the answer to a close frame without a code.
STATUS_NORMAL = 1000
#: The close code for a peer that broke the protocol.
STATUS_PROTOCOL_ERROR = 1002
#: The close code for text that is not UTF-8 (a text message, a close reason).
STATUS_INVALID_DATA = 1007
#: The close code for a frame or message over the size limit.
STATUS_TOO_BIG = 1009

#: A decoded frame: ``(opcode, payload)``. A text or binary message (fragments
#: joined), or a close, ping or pong frame. A plain tuple: the reader makes one per
#: message, and a named tuple would cost ten times as much to build.
Frame = Tuple[int, bytes]

# The first byte of the usual frame: FIN and a text opcode, a whole text message.
_WHOLE_TEXT = 0x80 | TEXT
# A close frame holds at most 125 bytes, two of them the code.
_MAX_CLOSE_REASON = 123


class ProtocolError(Exception):
    """The server sent something RFC 6455 forbids; the message says what.

    Args:
        message: What the server did wrong, e.g. "the server masked a frame".
        code: The close code to send before giving up on the connection.

    Attributes:
        code: The close code to send: 1002 (a protocol error), 1007 (text that is
            not UTF-8) or 1009 (too big).

    Example:
        >>> ProtocolError("the server masked a frame").code
        1002
    """

    def __init__(self, message: str, code: int = STATUS_PROTOCOL_ERROR) -> None:
        super().__init__(message)
        self.code = code


class FrameDecoder:
    """Turns the bytes a server sends into its messages and control frames.

    The bytes fed live in one ``bytes`` buffer with a read position: a frame is
    sliced out of it once whole, and only a partial frame at the end is carried
    over and joined to the bytes fed next. Bytes fed while a frame is still
    incomplete are joined once, when they complete it, so a large frame that
    arrives in many small pieces (one TLS record per ``recv``) is copied once,
    not once per piece.

    Args:
        max_message: The largest frame, and the largest message once its fragments
            are joined, in bytes.

    Example:
        >>> decoder = FrameDecoder()
        >>> decoder.feed(b"\\x81\\x02hi\\x89\\x00\\x81")
        >>> decoder.frames()
        [(1, b'hi'), (9, b'')]
    """

    __slots__ = (
        "_buffer",
        "_chunks",
        "_error",
        "_have",
        "_max",
        "_needed",
        "_parts",
        "_position",
        "_size",
        "_started",
    )

    def __init__(self, max_message: int = MAX_MESSAGE) -> None:
        self._max = max_message
        self._buffer = b""
        self._position = 0
        # Bytes fed since the buffer was last joined, and how many bytes are unread
        # in all (buffer and chunks); the next frame needs `_needed` of them at least.
        self._chunks: List[bytes] = []
        self._have = 0
        self._needed = 2
        # A fragmented message in progress: its opcode (0 when none), parts and size.
        self._started = 0
        self._parts: List[bytes] = []
        self._size = 0
        # The breach found after frames that came before it were returned.
        self._error: Optional[ProtocolError] = None

    def feed(self, data: bytes) -> None:
        """Add bytes received from the server: any amount, cut anywhere.

        Args:
            data: The bytes, as ``recv`` returned them.

        Example:
            >>> decoder = FrameDecoder()
            >>> decoder.feed(b"\\x81\\x02h"); decoder.feed(b"i")
        """
        self._chunks.append(data)
        self._have += len(data)

    def frames(self) -> List[Frame]:
        """Every whole message and control frame the bytes fed so far hold, in order.

        Returns:
            The frames, ``[]`` when the next one is still incomplete. A fragment is
            kept until its message is whole; the message is then one frame.

        Raises:
            ProtocolError: If the server broke the protocol. The frames before the
                offending one are returned first: the error is raised by the next
                call, and by every call after it.

        Example:
            >>> decoder = FrameDecoder()
            >>> decoder.feed(b"\\x01\\x01h\\x80\\x01i")
            >>> decoder.frames()
            [(1, b'hi')]
        """
        if self._error is not None:
            raise self._error
        if self._have < self._needed:
            return []
        buffer = self._join()
        size = len(buffer)
        position = 0
        largest, started = self._max, self._started
        out: List[Frame] = []
        append = out.append
        try:
            while True:
                available = size - position
                if available < 2:
                    needed = 2
                    break
                length = buffer[position + 1]
                if length & 0x80:
                    raise ProtocolError("the server masked a frame")
                head = 2
                if length >= 126:
                    if length == 126:
                        head = 4
                        if available < 4:
                            needed = 4
                            break
                        length = buffer[position + 2] << 8 | buffer[position + 3]
                    else:
                        head = 10
                        if available < 10:
                            needed = 10
                            break
                        length = int.from_bytes(buffer[position + 2 : position + 10], "big")
                    if length > largest:  # refused before the payload arrives
                        raise self._too_long(length)
                end = position + head + length
                if end > size:
                    needed = head + length
                    break
                first = buffer[position]
                payload = buffer[position + head : end]
                position = end
                if first == _WHOLE_TEXT and not started:  # the usual frame
                    append((TEXT, payload))
                    continue
                frame = self._assemble(first, payload)
                started = self._started
                if frame is not None:
                    append(frame)
        except ProtocolError as exc:
            self._error = exc
            if not out:
                raise
            return out
        self._position = position
        self._have = size - position
        self._needed = needed
        return out

    def _join(self) -> bytes:
        """The buffer from the read position on, with the bytes fed since, in one piece."""
        chunks = self._chunks
        buffer, position = self._buffer, self._position
        if position < len(buffer):
            chunks.insert(0, buffer[position:])  # a partial frame carried over
        buffer = b"".join(chunks)  # one chunk: that very object, no copy
        chunks.clear()
        self._buffer, self._position = buffer, 0
        return buffer

    def _too_long(self, length: int) -> ProtocolError:
        """The error for a frame length over the limit."""
        if length >> 63:
            return ProtocolError("a frame length with its most significant bit set")
        return ProtocolError(
            f"a frame of {length} bytes (more than {_size(self._max)})", STATUS_TOO_BIG
        )

    def _assemble(self, first: int, payload: bytes) -> Optional[Frame]:
        """Check a frame; return a whole message or control frame, or None for a fragment."""
        if first & 0x70:
            raise ProtocolError("reserved bits set, but no extension was negotiated")
        opcode = first & 0x0F
        final = first & 0x80
        if opcode >= CLOSE:
            if opcode > PONG:
                raise ProtocolError(f"unknown opcode {opcode:#x}")
            if not final:
                raise ProtocolError("a fragmented control frame")
            if len(payload) > 125:
                raise ProtocolError(f"a control frame of {len(payload)} bytes (at most 125)")
            return opcode, payload
        if opcode == CONTINUATION:
            return self._continue(final, payload)
        if opcode > BINARY:
            raise ProtocolError(f"unknown opcode {opcode:#x}")
        if self._started:
            raise ProtocolError("a new message before the end of a fragmented one")
        if final:
            return opcode, payload
        self._started, self._parts, self._size = opcode, [payload], len(payload)
        return None

    def _continue(self, final: int, payload: bytes) -> Optional[Frame]:
        """Add a continuation frame to the fragmented message; return it once whole."""
        if not self._started:
            raise ProtocolError("a continuation frame outside a fragmented message")
        self._parts.append(payload)
        self._size += len(payload)
        if self._size > self._max:
            raise ProtocolError(f"a message of more than {self._max} bytes", STATUS_TOO_BIG)
        if not final:
            return None
        message = b"".join(self._parts)
        opcode, self._started, self._parts, self._size = self._started, 0, [], 0
        return opcode, message


def _size(count: int) -> str:
    """A byte count as people write it: "16 MiB" when it is whole mebibytes."""
    mebibytes, rest = divmod(count, 1024 * 1024)
    return f"{mebibytes} MiB" if mebibytes and not rest else f"{count} bytes"


def parse_close(payload: bytes) -> Tuple[Optional[int], str]:
    """The code and reason a close frame carries.

    Args:
        payload: The close frame's payload.

    Returns:
        ``(code, reason)``; ``(None, "")`` for an empty payload.

    Raises:
        ProtocolError: With code 1002 for a payload of one byte or a code a server
            may not send (RFC 6455, section 7.4), 1007 for a reason that is not UTF-8.

    Example:
        >>> parse_close(b"\\x03\\xe9going away")
        (1001, 'going away')
    """
    if not payload:
        return None, ""
    if len(payload) == 1:
        raise ProtocolError("a close frame with a one-byte payload (a code takes two)")
    code = int.from_bytes(payload[:2], "big")
    if not _may_send(code):
        raise ProtocolError(f"a close frame with code {code}, which a server may not send")
    try:
        reason = payload[2:].decode("utf-8")
    except UnicodeDecodeError:
        raise ProtocolError(
            f"a close frame (code {code}) whose reason is not UTF-8", STATUS_INVALID_DATA
        ) from None
    return code, reason


def _may_send(code: int) -> bool:
    """Whether an endpoint may put ``code`` in a close frame (RFC 6455, 7.4)."""
    return 1000 <= code <= 1003 or 1007 <= code <= 1014 or 3000 <= code <= 4999


def close_reply_code(code: Optional[int]) -> int:
    """The code to send back in answer to a close frame with ``code``.

    A code an endpoint may send is echoed; no code, or one that may not be sent
    in a close frame (:func:`parse_close` refuses those), is answered with 1000.

    Args:
        code: The code the server sent, or None.

    Returns:
        The close code for our close frame.

    Example:
        >>> close_reply_code(1001), close_reply_code(None), close_reply_code(1005)
        (1001, 1000, 1000)
    """
    if code is not None and _may_send(code):
        return code
    return STATUS_NORMAL


def close_reason(text: str) -> bytes:
    """``text`` in UTF-8, cut between characters to the 123 bytes a close frame holds.

    Args:
        text: The reason to send.

    Returns:
        The reason's bytes for a close frame.

    Example:
        >>> close_reason("é" * 100)[-2:].decode()
        'é'
    """
    return text.encode("utf-8")[:_MAX_CLOSE_REASON].decode("utf-8", "ignore").encode("utf-8")
