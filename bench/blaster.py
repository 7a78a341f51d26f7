"""A loopback WebSocket server that sends pre-encoded market data as fast as asked.

It is built never to be the bottleneck: every frame is encoded before the clock
starts, and the data goes out in large ``sendall()`` calls of whole frames. It
speaks just enough of the exchange's protocol for a real client: it answers the
HTTP upgrade, ``SUBSCRIBE`` / ``UNSUBSCRIBE`` / ``LIST_SUBSCRIPTIONS``, pings
(with a pong) and the close handshake, and then sends, for the streams the client
subscribed, combined-envelope frames ``{"stream": ..., "data": {...}}``.

Two modes:

* ``saturate``: ``--count`` messages, back to back.
* ``paced``: ``--rate`` messages per second for ``--seconds`` seconds. The send
  time (microseconds since the epoch, ``time.time()``) is written into each
  event's ``E`` field just before its ``sendall()``, so that the consumer can
  compute the latency from the server's send to its own hands.

The first line on stdout is ``{"port": N}``; the last is a JSON summary. The
server serves one client, the first connection that subscribes (with
``SUBSCRIBE``, or with ``?streams=a/b`` in its URL), and exits; other connections
(a client that opens one per URL path, say) are answered but get no data. Every
wait is bounded.

Run it alone with, e.g.::

    python bench/blaster.py --mode paced --rate 2000 --seconds 5
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import hashlib
import json
import random
import socket
import struct
import sys
import threading
import time
from typing import Dict, List, Optional, Sequence, Tuple
from urllib.parse import unquote

__all__ = [
    "DEFAULT_STREAMS",
    "depth_payload",
    "encode_frame",
    "envelope",
    "main",
    "ticker_payload",
]

#: The streams a consumer subscribes to: a ticker and a 20-level book for four options.
DEFAULT_STREAMS: Tuple[str, ...] = tuple(
    f"BTC-261225-{strike}-{side}@{kind}"
    for strike, side in (("100000", "C"), ("100000", "P"), ("110000", "C"), ("90000", "P"))
    for kind in ("ticker", "depth20")
)

_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
#: Width of the ``E`` field: microseconds since the epoch have 16 digits until 2286.
_STAMP_WIDTH = 16
_STAMP_PLACEHOLDER = "9" * _STAMP_WIDTH
#: Bytes per ``sendall()`` in saturate mode (always whole frames).
_CHUNK_BYTES = 64 * 1024
#: Distinct frames in the pre-encoded block that saturate mode repeats.
_BLOCK_FRAMES = 1024


# ---------------------------------------------------------------------- payloads


def _json_object(fields: Sequence[Tuple[str, str]]) -> str:
    """Compact JSON text of an object whose values are already JSON text."""
    return "{" + ",".join(f'"{key}":{value}' for key, value in fields) + "}"


def _text(value: object) -> str:
    """A JSON string, as the exchange sends numbers: ``"2020.5"``."""
    return f'"{value}"'


def ticker_payload(symbol: str, rng: random.Random, stamp: str = _STAMP_PLACEHOLDER) -> str:
    """A 24hrTicker event as the exchange sends it, with realistic values.

    Modelled on the documentation's example; the numbers carry as many digits
    as the live stream's do.

    Args:
        symbol: The option symbol.
        rng: Where the values come from (seeded, so runs are reproducible).
        stamp: The text of the ``E`` field.

    Returns:
        The compact JSON text of the event (without the envelope).
    """
    mark = rng.uniform(2000.0, 6000.0)
    u = rng.uniform
    return _json_object(
        [
            ("e", '"24hrTicker"'),
            ("E", stamp),
            ("T", "1766620800123"),
            ("s", _text(symbol)),
            ("o", _text(f"{mark * 0.95:.1f}")),
            ("h", _text(f"{mark * 1.05:.1f}")),
            ("l", _text(f"{mark * 0.9:.1f}")),
            ("c", _text(f"{mark:.1f}")),
            ("V", _text(f"{u(1, 500):.2f}")),
            ("A", _text(f"{u(1e4, 1e6):.4f}")),
            ("P", _text(f"{u(-0.2, 0.2):.4f}")),
            ("p", _text(f"{u(-300, 300):.1f}")),
            ("Q", _text(f"{u(0.01, 5):.2f}")),
            ("F", _text(rng.randrange(10_000, 20_000))),
            ("L", _text(rng.randrange(20_000, 30_000))),
            ("n", str(rng.randrange(10, 999))),
            ("bo", _text(f"{mark * 0.98:.1f}")),
            ("ao", _text(f"{mark * 1.02:.1f}")),
            ("bq", _text(f"{u(0.01, 50):.2f}")),
            ("aq", _text(f"{u(0.01, 50):.2f}")),
            ("b", _text(f"{u(0.4, 0.6):.8f}")),
            ("a", _text(f"{u(0.4, 0.6):.8f}")),
            ("d", _text(f"{u(-1, 1):.8f}")),
            ("t", _text(f"{u(-80, -1):.8f}")),
            ("g", _text(f"{u(1e-6, 1e-4):.8f}")),
            ("v", _text(f"{u(10, 300):.8f}")),
            ("vo", _text(f"{u(0.4, 0.6):.8f}")),
            ("mp", _text(f"{mark:.1f}")),
            ("hl", _text(f"{mark * 1.5:.1f}")),
            ("ll", _text(f"{mark * 0.5:.1f}")),
            ("eep", '"0"'),
        ]
    )


def depth_payload(
    symbol: str, rng: random.Random, stamp: str = _STAMP_PLACEHOLDER, levels: int = 12
) -> str:
    """A depth20 event: an option book with ``levels`` bids and asks (option books are thin).

    Modelled on the documentation's partial book depth example.

    Args:
        symbol: The option symbol.
        rng: Where the values come from.
        stamp: The text of the ``E`` field.
        levels: Levels on each side (at most 20 on a depth20 stream).

    Returns:
        The compact JSON text of the event (without the envelope).
    """
    mid = rng.uniform(2000.0, 6000.0)

    def side(sign: int) -> str:
        return ",".join(
            f'["{mid + sign * 5 * (i + 1):.1f}","{rng.uniform(0.01, 30):.2f}"]'
            for i in range(levels)
        )

    update = str(rng.randrange(10_000_000, 99_999_999))
    return _json_object(
        [
            ("e", '"depth"'),
            ("E", stamp),
            ("T", "1766620800123"),
            ("s", _text(symbol)),
            ("u", update),
            ("pu", update),
            ("b", f"[{side(-1)}]"),
            ("a", f"[{side(+1)}]"),
        ]
    )


def envelope(stream: str, data: str) -> str:
    """Wrap an event's JSON text in the combined-stream envelope."""
    return _json_object([("stream", _text(stream)), ("data", data)])


def payload_for(stream: str, rng: random.Random, stamp: str = _STAMP_PLACEHOLDER) -> str:
    """The enveloped message for one subscribed stream name (ticker or book)."""
    symbol = stream.partition("@")[0]
    if "@depth" in stream:
        return envelope(stream, depth_payload(symbol, rng, stamp))
    return envelope(stream, ticker_payload(symbol, rng, stamp))


def encode_frame(payload: bytes, opcode: int = 0x1) -> bytes:
    """One final, unmasked server frame (RFC 6455 section 5.2)."""
    length = len(payload)
    if length < 126:
        header = struct.pack("!BB", 0x80 | opcode, length)
    elif length < 65536:
        header = struct.pack("!BBH", 0x80 | opcode, 126, length)
    else:
        header = struct.pack("!BBQ", 0x80 | opcode, 127, length)
    return header + payload


# ---------------------------------------------------------------------- the connection


class _Peer:
    """One client connection: handshake, a reader thread for its frames, locked writes."""

    def __init__(self, sock: socket.socket, deadline: float) -> None:
        self.sock = sock
        self.deadline = deadline
        self.write_lock = threading.Lock()  # protects writes: frames never interleave
        self.subscribed = threading.Event()
        self.closed = threading.Event()  # the client sent a close frame or went away
        self.streams: List[str] = []
        self.pings = 0
        self.requests = 0
        self._buffer = b""
        self._close_sent = False

    # -- handshake

    def handshake(self) -> None:
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise ConnectionError("the client left during the handshake")
            data += chunk
            if len(data) > 65536:
                raise ConnectionError("handshake too long")
        head, _, self._buffer = data.partition(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        # GET /stream?streams=a/b HTTP/1.1: streams named in the URL are subscribed.
        target = lines[0].split(b" ")[1] if len(lines[0].split(b" ")) > 2 else b""
        query = target.partition(b"?")[2].decode("latin-1")
        for part in query.split("&"):
            name, _, value = part.partition("=")
            if name == "streams" and value:
                self.streams.extend(s for s in unquote(value).split("/") if s)
        key = b""
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"sec-websocket-key":
                key = value.strip()
        accept = base64.b64encode(hashlib.sha1(key + _GUID).digest())
        self.sock.sendall(
            b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
            b"Connection: Upgrade\r\nSec-WebSocket-Accept: " + accept + b"\r\n\r\n"
        )
        if self.streams:
            self.subscribed.set()

    # -- writing

    def send(self, data: bytes) -> None:
        with self.write_lock:
            self.sock.sendall(data)

    def send_close(self) -> None:
        with self.write_lock:
            if self._close_sent:
                return
            self._close_sent = True
            with contextlib.suppress(OSError):
                self.sock.sendall(encode_frame(struct.pack("!H", 1000), 0x8))

    # -- reading (on the reader thread)

    def _read_exact(self, size: int) -> Optional[bytes]:
        while len(self._buffer) < size:
            if time.monotonic() > self.deadline:
                return None
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                continue
            except OSError:
                return None
            if not chunk:
                return None
            self._buffer += chunk
        data, self._buffer = self._buffer[:size], self._buffer[size:]
        return data

    def _read_frame(self) -> Optional[Tuple[int, bytes]]:
        head = self._read_exact(2)
        if head is None:
            return None
        opcode, length = head[0] & 0x0F, head[1] & 0x7F
        if length == 126:
            more = self._read_exact(2)
            if more is None:
                return None
            length = struct.unpack("!H", more)[0]
        elif length == 127:
            more = self._read_exact(8)
            if more is None:
                return None
            length = struct.unpack("!Q", more)[0]
        mask = self._read_exact(4) if head[1] & 0x80 else b"\0\0\0\0"
        payload = self._read_exact(length)
        if mask is None or payload is None:
            return None
        if mask != b"\0\0\0\0":
            repeated = (mask * (length // 4 + 1))[:length]
            payload = (int.from_bytes(payload, "big") ^ int.from_bytes(repeated, "big")).to_bytes(
                length, "big"
            )
        return opcode, payload

    def read_loop(self) -> None:
        """Answer the client's requests, pings and close until it leaves or time is up."""
        try:
            while True:
                frame = self._read_frame()
                if frame is None:
                    return
                opcode, payload = frame
                if opcode == 0x9:  # ping
                    self.pings += 1
                    self.send(encode_frame(payload, 0xA))
                elif opcode == 0x8:  # close
                    self.send_close()
                    return
                elif opcode == 0x1:
                    self._on_request(payload)
        except OSError:
            return
        finally:
            self.closed.set()
            self.subscribed.set()  # never leave the sender waiting

    def _on_request(self, payload: bytes) -> None:
        try:
            request = json.loads(payload)
            method, request_id = request.get("method"), request.get("id")
        except (ValueError, AttributeError):
            return
        self.requests += 1
        result: object = None
        if method == "SUBSCRIBE":
            self.streams.extend(s for s in request.get("params") or () if s not in self.streams)
        elif method == "UNSUBSCRIBE":
            gone = set(request.get("params") or ())
            self.streams = [s for s in self.streams if s not in gone]
        elif method == "LIST_SUBSCRIPTIONS":
            result = list(self.streams)
        elif method == "GET_PROPERTY":
            result = True
        reply = json.dumps({"result": result, "id": request_id}, separators=(",", ":"))
        self.send(encode_frame(reply.encode()))
        if method == "SUBSCRIBE" and self.streams:
            self.subscribed.set()


# ---------------------------------------------------------------------- sending


def _templates(streams: Sequence[str], variants: int, seed: int = 7) -> List[bytes]:
    """Pre-encoded frames, cycling over the streams, each with its own values."""
    rng = random.Random(seed)
    return [
        encode_frame(payload_for(streams[i % len(streams)], rng).encode()) for i in range(variants)
    ]


def _saturate(peer: _Peer, count: int) -> int:
    frames = _templates(peer.streams, _BLOCK_FRAMES)
    # Chunks of whole frames, about _CHUNK_BYTES each, pre-joined once.
    chunks: List[Tuple[bytes, int]] = []
    current: List[bytes] = []
    size = 0
    for frame in frames:
        current.append(frame)
        size += len(frame)
        if size >= _CHUNK_BYTES:
            chunks.append((b"".join(current), len(current)))
            current, size = [], 0
    if current:
        chunks.append((b"".join(current), len(current)))
    sent = 0
    while sent < count and not peer.closed.is_set():
        for chunk, frames_in_chunk in chunks:
            left = count - sent
            if left <= 0:
                break
            if frames_in_chunk > left:  # the last, partial chunk
                chunk = b"".join(frames[(sent + i) % len(frames)] for i in range(left))
                frames_in_chunk = left
            peer.send(chunk)
            sent += frames_in_chunk
            if time.monotonic() > peer.deadline:
                return sent
    return sent


def _paced(peer: _Peer, rate: float, seconds: float) -> int:
    frames = _templates(peer.streams, 256)
    placeholder = _STAMP_PLACEHOLDER.encode()
    offsets = [frame.index(placeholder) for frame in frames]
    total = int(rate * seconds)
    sent = 0
    start = time.monotonic()
    while sent < total and not peer.closed.is_set():
        now = time.monotonic()
        if now > peer.deadline:
            break
        due = min(total, int((now - start) * rate) + 1) - sent
        if due <= 0:
            time.sleep(max(0.0, start + sent / rate - now))
            continue
        stamp = b"%016d" % (time.time_ns() // 1000)
        batch = []
        for i in range(sent, sent + due):
            frame = bytearray(frames[i % len(frames)])
            offset = offsets[i % len(frames)]
            frame[offset : offset + _STAMP_WIDTH] = stamp
            batch.append(frame)
        peer.send(b"".join(batch))
        sent += due
    return sent


def _accept(listener: socket.socket, deadline: float, peers: List[_Peer]) -> None:
    """Accept every connection until the deadline, each with its own reader thread."""
    while time.monotonic() < deadline:
        try:
            sock, _ = listener.accept()
        except socket.timeout:
            continue
        except OSError:  # the listener was closed: the client is chosen
            return
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        # Bounds every blocking send and read (a partial send would corrupt the stream,
        # so the limit is generous; the reader wakes up to check the deadline).
        sock.settimeout(10.0)
        peer = _Peer(sock, deadline)
        try:
            peer.handshake()
        except (OSError, ConnectionError, IndexError):
            sock.close()
            continue
        threading.Thread(target=peer.read_loop, name="blaster-reader", daemon=True).start()
        peers.append(peer)


def serve(
    mode: str, count: int, rate: float, seconds: float, timeout: float, linger: float
) -> Dict[str, object]:
    """Serve the first connection that subscribes; returns the summary."""
    deadline = time.monotonic() + timeout
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    print(json.dumps({"port": listener.getsockname()[1]}), flush=True)
    summary: Dict[str, object] = {"mode": mode, "sent": 0}
    peers: List[_Peer] = []
    acceptor = threading.Thread(
        target=_accept, args=(listener, deadline, peers), name="blaster-accept", daemon=True
    )
    acceptor.start()
    peer: Optional[_Peer] = None
    wait_until = time.monotonic() + min(timeout, 30.0)
    while peer is None and time.monotonic() < wait_until:
        peer = next((p for p in list(peers) if p.subscribed.is_set() and p.streams), None)
        if peer is None:
            time.sleep(0.005)  # before the clock starts: costs the measurement nothing
    if peer is None:
        listener.close()
        summary["error"] = "no client subscribed" if peers else "no client connected"
        return summary
    # A client may name one stream in its URL and the rest in a SUBSCRIBE that
    # follows: wait until its list has not changed for 0.3 s (before the clock starts).
    settled = time.monotonic() + 0.3
    known = len(peer.streams)
    while time.monotonic() < settled:
        time.sleep(0.01)
        if len(peer.streams) != known:
            known, settled = len(peer.streams), time.monotonic() + 0.3
    try:
        if not peer.streams:
            summary["error"] = "the client subscribed to nothing"
            return summary
        started = time.monotonic()
        sent = _saturate(peer, count) if mode == "saturate" else _paced(peer, rate, seconds)
        summary.update(
            sent=sent,
            send_seconds=round(time.monotonic() - started, 4),
            streams=len(peer.streams),
        )
        # Let the consumer read what is on the wire, then say goodbye.
        peer.closed.wait(max(0.0, min(linger, deadline - time.monotonic())))
        for each in list(peers):
            each.send_close()
        peer.closed.wait(1.0)
        summary.update(pings=peer.pings, requests=peer.requests)
    except OSError as exc:
        summary["error"] = f"{type(exc).__name__}: {exc}"
    finally:
        listener.close()
        for each in list(peers):
            with contextlib.suppress(OSError):
                each.sock.shutdown(socket.SHUT_RDWR)
            each.sock.close()
    return summary


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mode", choices=("saturate", "paced"), default="saturate")
    parser.add_argument("--count", type=int, default=100_000, help="saturate: messages")
    parser.add_argument("--rate", type=float, default=2000.0, help="paced: messages/s")
    parser.add_argument("--seconds", type=float, default=5.0, help="paced: duration")
    parser.add_argument("--timeout", type=float, default=120.0, help="hard limit, seconds")
    parser.add_argument(
        "--linger", type=float, default=15.0, help="seconds to wait for the client to close"
    )
    args = parser.parse_args(argv)
    summary = serve(args.mode, args.count, args.rate, args.seconds, args.timeout, args.linger)
    print(json.dumps(summary), flush=True)
    return 0 if "error" not in summary else 1


if __name__ == "__main__":
    sys.exit(main())
