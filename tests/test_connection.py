"""One Connection and its socket loop, against the fake exchange and a raw frame server.

The fake exchange (a real ``websockets`` server) covers what a real endpoint does.
What it cannot be made to send (fragments, 64-bit lengths, masked frames, pings
with a payload, broken frames) comes from :class:`RawServer`: a one-connection
server on 127.0.0.1 that answers the handshake and then writes hand-made bytes.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import hashlib
import itertools
import json
import socket
import ssl
import struct
import threading
import time
from pathlib import Path
from typing import Any, Callable, Iterator, List, Optional, Tuple, Union

import pytest

from binance_options_ws import ConnectionFailedError, parse_message
from binance_options_ws._connection import Connection, HandshakeRefusedError, Reply, TokenBucket
from binance_options_ws._delivery import Batch
from binance_options_ws.models import ControlReply, IndexPrice, MarkPrice, Message
from binance_options_ws.testing import FakeExchange
from binance_options_ws.testing.waiting import wait_for

INDEX = "BTCUSDT@index"

# A self-signed certificate for 127.0.0.1 (valid until 2126), for the TLS test only.
TLS_KEY = """-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgpOdEL032JEv5pUlj
2pYOwpiiAf97IywzYSgutT9xLU+hRANCAAQ9yfceVlwL5NwK4Y4Bw2PCT6Mw9Uu6
Qv62YIDuGNFJXnMSV9aQl12Mmp7ip6G2GiFG1663wr6rN7x0LVUV8n25
-----END PRIVATE KEY-----
"""
TLS_CERT = """-----BEGIN CERTIFICATE-----
MIIBmjCCAUGgAwIBAgIUF1cHTrjKzc7/otQusLcvVANFteAwCgYIKoZIzj0EAwIw
FDESMBAGA1UEAwwJMTI3LjAuMC4xMCAXDTI2MTEyMjAzMzAxMloYDzIxMjYxMDI5
MDMzMDEyWjAUMRIwEAYDVQQDDAkxMjcuMC4wLjEwWTATBgcqhkjOPQIBBggqhkjO
PQMBBwNCAAQ9yfceVlwL5NwK4Y4Bw2PCT6Mw9Uu6Qv62YIDuGNFJXnMSV9aQl12M
mp7ip6G2GiFG1663wr6rN7x0LVUV8n25o28wbTAdBgNVHQ4EFgQU8vOmp8LfLnqN
6sSO2KjKC0V8SQ4wHwYDVR0jBBgwFoAU8vOmp8LfLnqN6sSO2KjKC0V8SQ4wDwYD
VR0TAQH/BAUwAwEB/zAaBgNVHREEEzARhwR/AAABgglsb2NhbGhvc3QwCgYIKoZI
zj0EAwIDRwAwRAIgZXjOhc3a0o2JofBn4Ez6ImehtR3eS1NybU5jcwD7ZWoCIAhX
NU8uvvtq42RljKjhd0Ihyg+/NQvia6gyxlv420Mk
-----END CERTIFICATE-----
"""

TEXT, BINARY, CLOSE, PING, PONG = 0x1, 0x2, 0x8, 0x9, 0xA


def index_text(number: int) -> str:
    payload = {"e": "index", "E": 1_700_000_000_000 + number, "s": "BTCUSDT", "p": f"{number}.5"}
    return json.dumps({"stream": INDEX, "data": payload}, separators=(",", ":"))


def prices(events: List[Message]) -> List[float]:
    return [e.price for e in events if isinstance(e, IndexPrice)]


# ---------------------------------------------------------------- the listener


class Recorder:
    """A ConnectionListener that keeps everything it hears."""

    def __init__(self) -> None:
        self.opened = threading.Event()
        self.closed = threading.Event()
        self.frames: List[bytes] = []
        self.events: List[Message] = []
        self.problems: List[Tuple[str, str]] = []
        self.reason: Optional[str] = None
        self.error: Optional[BaseException] = None

    def on_open(self, connection: Connection) -> None:
        self.opened.set()

    def on_events(
        self, connection: Connection, frame: bytes, messages: List[Message], batch: Batch
    ) -> None:
        self.frames.append(frame)
        self.events.extend(messages)

    def on_problem(self, connection: Connection, what: str, detail: str) -> None:
        self.problems.append((what, detail))

    def on_close(self, connection: Connection, reason: str, error: Optional[BaseException]) -> None:
        self.reason, self.error = reason, error
        self.closed.set()


class CountingBucket(TokenBucket):
    """A roomy bucket that counts the automatic pongs charged to it."""

    def __init__(self) -> None:
        super().__init__(rate=100.0, capacity=100.0)
        self.charged = 0

    def charge(self) -> None:
        self.charged += 1
        super().charge()


Connect = Callable[..., Tuple[Connection, Recorder]]


@pytest.fixture
def connect() -> Iterator[Connect]:
    """Start connections; each is closed and joined (within a second) at the end."""
    made: List[Connection] = []
    numbers = itertools.count(1)

    def make(url: str, **options: Any) -> Tuple[Connection, Recorder]:
        recorder = options.pop("listener_override", None) or Recorder()
        number = next(numbers)
        options.setdefault("bucket", CountingBucket())
        conn = Connection(
            url,
            number=number,
            listener=recorder,
            next_id=itertools.count(1).__next__,
            connect_timeout=5.0,
            thread_name=f"binance-options-ws-test-reader-{number}",
            **options,
        )
        made.append(conn)
        conn.start()
        return conn, recorder

    yield make
    for conn in made:
        conn.close()
        assert conn.join(1.0), f"{conn!r} still running a second after close()"


def ended(conn: Connection, recorder: Recorder, timeout: float = 2.0) -> None:
    """Wait for the connection to end on its own, thread included."""
    assert recorder.closed.wait(timeout), "the connection did not end"
    assert conn.join(1.0)
    assert conn.finished.is_set()
    assert not conn.is_open


# ---------------------------------------------------------------- against the fake exchange


@pytest.fixture
def exchange() -> Iterator[FakeExchange]:
    with FakeExchange() as fake:
        yield fake


def open_subscribed(
    exchange: FakeExchange, connect: Connect, **options: Any
) -> Tuple[Connection, Recorder]:
    conn, recorder = connect(exchange.url + "/stream", **options)
    assert recorder.opened.wait(5)
    replies: List[Reply] = []
    conn.request("SUBSCRIBE", [INDEX], replies.append)
    wait_for(lambda: bool(replies), what="the SUBSCRIBE reply")
    assert isinstance(replies[0], ControlReply)
    return conn, recorder


def test_events_arrive_in_order_with_each_frame_as_received(
    exchange: FakeExchange, connect: Connect
) -> None:
    conn, recorder = open_subscribed(exchange, connect)
    for n in range(300):
        exchange.publish(INDEX, {"e": "index", "E": n, "s": "BTCUSDT", "p": f"{n}.5"})
    wait_for(lambda: len(recorder.events) == 300, what="300 events")
    assert prices(recorder.events) == [n + 0.5 for n in range(300)]
    assert all(type(frame) is bytes for frame in recorder.frames)
    assert json.loads(recorder.frames[7]) == {
        "stream": INDEX,
        "data": {"e": "index", "E": 7, "s": "BTCUSDT", "p": "7.5"},
    }
    assert (conn.messages, conn.events, conn.parse_errors) == (301, 300, 0)  # + the reply
    assert recorder.problems == []


def test_large_frames_arrive_whole(exchange: FakeExchange, connect: Connect) -> None:
    _, recorder = open_subscribed(exchange, connect)
    for count in (1, 10, 3000):  # 7-, 16- and 64-bit payload lengths
        marks = [
            {"e": "markPrice", "E": 1, "s": f"ETH-261225-{n}-C", "mp": f"{n}.25"}
            for n in range(count)
        ]
        text = json.dumps({"stream": "ETH@markPrice", "data": marks})
        exchange.send_raw(text)
    wait_for(lambda: len(recorder.frames) == 3, what="three frames")
    assert [len(f) for f in recorder.frames][2] > 65535
    marks_received = [e for e in recorder.events if isinstance(e, MarkPrice)]
    assert len(marks_received) == 3011
    assert marks_received[-1].symbol == "ETH-261225-2999-C"
    assert marks_received[-1].mark_price == 2999.25


def test_bad_frames_are_reported_and_the_connection_goes_on(
    exchange: FakeExchange, connect: Connect
) -> None:
    conn, recorder = open_subscribed(exchange, connect)
    exchange.send_malformed("not_json")
    exchange.send_malformed("binary")
    exchange.publish(INDEX, {"e": "index", "E": 1, "s": "BTCUSDT", "p": "1"})
    wait_for(lambda: len(recorder.events) == 1, what="the event after the bad frames")
    assert [what for what, _ in recorder.problems] == ["malformed frame", "binary frame"]
    assert "not JSON" in recorder.problems[1][1]
    assert conn.parse_errors == 2
    assert conn.is_open


def test_a_server_close_code_and_reason_reach_the_close_detail(
    exchange: FakeExchange, connect: Connect
) -> None:
    conn, recorder = open_subscribed(exchange, connect)
    exchange.close_connections(4000, "maintenance")
    ended(conn, recorder)
    assert recorder.reason == "closed by the server (code 4000: maintenance)"
    assert recorder.error is None
    wait_for(lambda: any(f.kind == "close" for f in exchange.incoming_log), what="our close")


def test_server_pings_get_pongs_charged_to_the_rate_limit(connect: Connect) -> None:
    with FakeExchange(ping_interval=0.05, pong_timeout=0.3) as exchange:
        bucket = CountingBucket()
        conn, recorder = connect(exchange.url + "/stream", bucket=bucket)
        assert recorder.opened.wait(5)
        opened = time.monotonic()

        def pongs() -> int:
            return sum(f.kind == "pong" for f in exchange.incoming_log)

        wait_for(lambda: pongs() >= 3 and time.monotonic() - opened > 0.4, what="pongs")
        assert conn.is_open  # past the pong timeout: the pongs kept it
        answered = pongs()
        assert bucket.charged >= answered >= 3
        assert conn.last_received > opened  # pings count as life
        conn.close()
        assert conn.join(1.0)


def test_close_sends_a_close_frame_and_ends_within_a_second(
    exchange: FakeExchange, connect: Connect
) -> None:
    conn, recorder = open_subscribed(exchange, connect)
    started = time.monotonic()
    conn.close("closed by the test")
    conn.close("twice is fine")
    ended(conn, recorder, timeout=1.0)
    assert time.monotonic() - started < 1.0
    assert recorder.reason == "closed by the test"
    wait_for(lambda: any(f.kind == "close" for f in exchange.incoming_log), what="our close")


def test_abort_ends_a_stalled_connection_and_fails_its_pending_requests(
    exchange: FakeExchange, connect: Connect
) -> None:
    conn, recorder = open_subscribed(exchange, connect)
    exchange.stall()
    replies: List[Reply] = []
    conn.request("LIST_SUBSCRIPTIONS", None, replies.append)
    conn.abort("no data for 30 s")
    ended(conn, recorder, timeout=1.0)
    assert recorder.reason == "no data for 30 s"
    [lost] = replies
    assert isinstance(lost, ConnectionFailedError)
    assert "ended before the reply" in str(lost)
    with pytest.raises(ConnectionFailedError, match="not open"):
        conn.request("LIST_SUBSCRIPTIONS", None, replies.append)
    assert not conn.ping()


def test_a_refused_handshake_is_a_handshake_refused_error(
    exchange: FakeExchange, connect: Connect
) -> None:
    exchange.refuse_connections(5.0, status=429, retry_after=2)
    conn, recorder = connect(exchange.url + "/stream")
    ended(conn, recorder)
    assert not conn.opened.is_set()
    assert isinstance(recorder.error, HandshakeRefusedError)
    assert (recorder.error.status, recorder.error.retry_after) == (429, 2.0)
    assert recorder.error.retryable
    assert recorder.reason is not None
    assert "HTTP 429" in recorder.reason


def test_the_parse_argument_replaces_parse_message(
    exchange: FakeExchange, connect: Connect
) -> None:
    seen: List[Union[str, bytes]] = []

    def parse(message: Union[str, bytes]) -> List[Message]:
        seen.append(message)
        return parse_message(message)

    _, recorder = open_subscribed(exchange, connect, parse=parse)
    exchange.publish(INDEX, {"e": "index", "E": 1, "s": "BTCUSDT", "p": "2"})
    wait_for(lambda: len(recorder.events) == 1, what="the event")
    assert len(seen) == 2  # the SUBSCRIBE reply, then the event
    assert seen[1] == recorder.frames[0]


# ---------------------------------------------------------------- a raw frame server


def frame(
    opcode: int,
    payload: bytes = b"",
    *,
    fin: bool = True,
    rsv: int = 0,
    mask: bool = False,
    long: bool = False,
) -> bytes:
    """One frame as a server would write it; ``long`` forces the 64-bit length form."""
    head = bytes([(0x80 if fin else 0) | rsv << 4 | opcode])
    n = len(payload)
    bit = 0x80 if mask else 0
    if long or n > 0xFFFF:
        head += bytes([bit | 127]) + struct.pack("!Q", n)
    elif n >= 126:
        head += bytes([bit | 126]) + struct.pack("!H", n)
    else:
        head += bytes([bit | n])
    if mask:
        key = b"\x01\x02\x03\x04"
        head += key
        payload = bytes(b ^ key[i % 4] for i, b in enumerate(payload))
    return head + payload


def text(number: int, **options: Any) -> bytes:
    return frame(TEXT, index_text(number).encode(), **options)


def close_payload(code: int, reason: str = "") -> bytes:
    return struct.pack("!H", code) + reason.encode()


class RawServer:
    """Accepts one connection, answers its handshake, then writes whatever a test sends.

    Args:
        tls: A server-side TLS context, or None for plain TCP.
    """

    def __init__(self, tls: Optional[ssl.SSLContext] = None) -> None:
        self._tls = tls
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self.peer: Optional[socket.socket] = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._accept, name="raw-ws-server", daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"{'wss' if self._tls else 'ws'}://127.0.0.1:{self.port}/stream"

    def _accept(self) -> None:
        try:
            sock, _ = self._listener.accept()
        except OSError:  # closed before anyone connected
            return
        if self._tls is not None:
            sock = self._tls.wrap_socket(sock, server_side=True)
        request = b""
        while b"\r\n\r\n" not in request:
            request += sock.recv(4096)
        key = next(
            line.split(b":", 1)[1].strip()
            for line in request.split(b"\r\n")
            if line.lower().startswith(b"sec-websocket-key:")
        )
        accept = base64.b64encode(
            hashlib.sha1(key + b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11").digest()
        )
        sock.sendall(
            b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
            b"Connection: Upgrade\r\nSec-WebSocket-Accept: " + accept + b"\r\n\r\n"
        )
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.settimeout(5.0)
        self.peer = sock
        self._ready.set()

    def wait_ready(self) -> socket.socket:
        assert self._ready.wait(5), "the client never completed the handshake"
        assert self.peer is not None
        return self.peer

    def send(self, data: bytes, *, one_byte_at_a_time: bool = False) -> None:
        peer = self.wait_ready()
        if one_byte_at_a_time:
            for i in range(len(data)):
                peer.sendall(data[i : i + 1])
        else:
            peer.sendall(data)

    def _exactly(self, n: int) -> bytes:
        peer = self.wait_ready()
        data = b""
        while len(data) < n:
            chunk = peer.recv(n - len(data))
            assert chunk, "the client closed the TCP connection"
            data += chunk
        return data

    def read_frame(self) -> Tuple[int, bytes]:
        """The client's next frame, unmasked: (opcode, payload)."""
        first, second = self._exactly(2)
        assert second & 0x80, "a client frame must be masked"
        n = second & 0x7F
        if n == 126:
            n = struct.unpack("!H", self._exactly(2))[0]
        elif n == 127:
            n = struct.unpack("!Q", self._exactly(8))[0]
        key = self._exactly(4)
        data = self._exactly(n)
        return first & 0x0F, bytes(b ^ key[i % 4] for i, b in enumerate(data))

    def read_until(self, opcode: int) -> bytes:
        """Skip the client's frames up to the first with ``opcode``; return its payload."""
        while True:
            got, payload = self.read_frame()
            if got == opcode:
                return payload

    def close(self) -> None:
        with contextlib.suppress(OSError):  # wakes an accept() still waiting
            self._listener.shutdown(socket.SHUT_RDWR)
        self._listener.close()
        if self.peer is not None:
            self.peer.close()
        self._thread.join(5)


@pytest.fixture
def raw() -> Iterator[RawServer]:
    server = RawServer()
    yield server
    server.close()


def test_fragments_are_joined_with_control_frames_in_between(
    raw: RawServer, connect: Connect
) -> None:
    whole = index_text(1).encode()
    conn, recorder = connect(raw.url)
    raw.send(
        frame(TEXT, whole[:10], fin=False)
        + frame(PING, b"between")
        + frame(0, whole[10:30], fin=False)
        + frame(0, whole[30:], long=True)
        + text(2)
    )
    wait_for(lambda: len(recorder.events) == 2, what="two events")
    assert recorder.frames == [whole, index_text(2).encode()]
    assert prices(recorder.events) == [1.5, 2.5]
    assert raw.read_until(PONG) == b"between"
    assert conn.messages == 2


def test_frames_split_anywhere_arrive_intact_and_in_order(raw: RawServer, connect: Connect) -> None:
    big = json.dumps(
        {
            "stream": INDEX,
            "data": [{"e": "index", "E": n, "s": "BTCUSDT", "p": f"{n}"} for n in range(1500)],
        }
    ).encode()
    assert len(big) > 65535
    data = (
        text(1)  # 16-bit length
        + frame(TEXT, b'{"result":null,"id":9}')  # 7-bit length
        + text(2, long=True)  # a short frame in the 64-bit form
        + frame(TEXT, big)  # 64-bit length
        + frame(TEXT, index_text(3).encode()[:5], fin=False)
        + frame(0, index_text(3).encode()[5:])
    )
    _, recorder = connect(raw.url)
    raw.send(data, one_byte_at_a_time=True)
    wait_for(lambda: len(recorder.frames) == 4, timeout=20, what="four data frames")
    assert recorder.frames == [
        index_text(1).encode(),
        index_text(2).encode(),
        big,
        index_text(3).encode(),
    ]
    assert prices(recorder.events) == [1.5, 2.5, *range(1500), 3.5]


def test_wakeups_are_held_during_a_burst_and_released_at_its_end(
    raw: RawServer, connect: Connect
) -> None:
    holding: List[bool] = []

    class Listener(Recorder):
        def on_events(
            self, connection: Connection, frame: bytes, messages: List[Message], batch: Batch
        ) -> None:
            holding.append(batch.more)  # the reader's batch: wake-ups held while set
            super().on_events(connection, frame, messages, batch)

    recorder = Listener()
    connect(raw.url, listener_override=recorder)
    raw.send(text(1) + text(2) + text(3))  # one write: the reader gets them at once
    wait_for(lambda: len(recorder.events) == 3, what="three events")
    # Consumers are woken once, after the last event of the burst, not after each.
    assert holding == [True, True, False]
    raw.send(text(4))
    wait_for(lambda: len(recorder.events) == 4, what="a lone event")
    assert holding[3] is False


class Timeline(Recorder):
    """Records when each event was handed over, and whether the reader was holding wake-ups."""

    def __init__(self) -> None:
        super().__init__()
        self.handed: List[Tuple[float, bool]] = []

    def on_events(
        self, connection: Connection, frame: bytes, messages: List[Message], batch: Batch
    ) -> None:
        self.handed.append((time.monotonic(), batch.more))
        super().on_events(connection, frame, messages, batch)

    def send_and_wait(self, raw: RawServer, *numbers: int) -> float:
        """Send one frame per number (one write each); wait for them; return the send time."""
        expected = len(self.events) + len(numbers)
        sent = time.monotonic()
        for number in numbers:
            raw.send(text(number))
        wait_for(lambda: len(self.events) == expected, what=f"events {numbers}")
        return sent

    def batches(self) -> List[List[float]]:
        """The hand-over times, one list per batch (a batch ends where the hold was off)."""
        out: List[List[float]] = [[]]
        for at, held in self.handed:
            out[-1].append(at)
            if not held:
                out.append([])
        return out[:-1]


def busy_connection(raw: RawServer, connect: Connect, delay: float) -> Tuple[Connection, Timeline]:
    """A connection with ``batch_delay=delay``, made busy: two messages in quick succession."""
    recorder = Timeline()
    conn, _ = connect(raw.url, listener_override=recorder, batch_delay=delay)
    recorder.send_and_wait(raw, 1)
    recorder.send_and_wait(raw, 2)  # much less than `delay` after the first
    return conn, recorder


def test_a_busy_connection_reads_in_batches_at_most_batch_delay_late(
    raw: RawServer, connect: Connect
) -> None:
    delay = 0.5
    _, recorder = busy_connection(raw, connect, delay)
    sent = recorder.send_and_wait(raw, 3, 4)  # while the reader waits
    (second, _), (third, third_held), (fourth, fourth_held) = recorder.handed[1:]
    assert third - second >= delay * 0.95  # read `delay` after the previous batch began
    assert third - sent < delay + 0.3  # and no later
    # Both read at once, and consumers woken once, after the fourth.
    assert (third_held, fourth_held) == (True, False)
    assert fourth - third < 0.1
    assert prices(recorder.events) == [1.5, 2.5, 3.5, 4.5]


def test_a_steady_stream_is_read_once_per_batch_delay(raw: RawServer, connect: Connect) -> None:
    delay = 0.2
    _, recorder = busy_connection(raw, connect, delay)
    for number in range(3, 33):  # five messages per `delay`, for six delays
        raw.send(text(number))
        time.sleep(delay / 5)  # the pace of the stream under test
    wait_for(lambda: len(recorder.events) == 32, what="32 events")
    batches = recorder.batches()[2:]  # after the two that made it busy
    starts = [batch[0] for batch in batches]
    assert all(later - earlier >= delay * 0.95 for earlier, later in zip(starts, starts[1:]))
    assert all(len(batch) >= 2 for batch in batches[:-1])  # the last may be a straggler
    assert len(batches) <= 9  # about one per `delay`, not one per message
    assert prices(recorder.events) == [n + 0.5 for n in range(1, 33)]


def test_messages_more_than_half_the_delay_apart_are_read_at_once(
    raw: RawServer, connect: Connect
) -> None:
    # Waiting would gather one message per wake-up anyway: latency for nothing.
    delay = 1.0
    recorder = Timeline()
    connect(raw.url, listener_override=recorder, batch_delay=delay)
    for number in range(1, 5):
        sent = recorder.send_and_wait(raw, number)
        assert recorder.handed[-1][0] - sent < delay / 5
        time.sleep(delay * 0.6)  # the pace of the stream under test
    assert prices(recorder.events) == [1.5, 2.5, 3.5, 4.5]


def test_a_connection_that_goes_quiet_reads_the_next_message_at_once(
    raw: RawServer, connect: Connect
) -> None:
    delay = 0.5
    _, recorder = busy_connection(raw, connect, delay)
    recorder.send_and_wait(raw, 3)  # read `delay` after the second
    # The stream pauses for longer than the delay: the pause is the situation under
    # test, not a wait for something to happen.
    time.sleep(delay * 2.5)
    for number in (4, 5):
        sent = recorder.send_and_wait(raw, number)
        assert recorder.handed[number - 1][0] - sent < delay / 2
    assert prices(recorder.events) == [1.5, 2.5, 3.5, 4.5, 5.5]


def test_close_cuts_the_wait_between_batches_short(raw: RawServer, connect: Connect) -> None:
    delay = 5.0
    conn, recorder = busy_connection(raw, connect, delay)  # now waiting up to 5 s to read
    raw.send(text(3))
    started = time.monotonic()
    conn.close()
    assert conn.join(1.0)
    assert time.monotonic() - started < 1.0
    assert prices(recorder.events) == [1.5, 2.5]  # nothing handed over after close()


def test_nothing_is_handed_over_after_close_even_from_the_buffer(
    raw: RawServer, connect: Connect
) -> None:
    # The pool closes a rolled-over connection and must hear nothing more from it,
    # although the reader may hold many frames already received.
    class Listener(Recorder):
        def on_events(
            self, connection: Connection, frame: bytes, messages: List[Message], batch: Batch
        ) -> None:
            super().on_events(connection, frame, messages, batch)
            connection.close("rolled over")

    recorder = Listener()
    conn, _ = connect(raw.url, listener_override=recorder)
    raw.send(b"".join(text(n) for n in range(100)))  # one write: one recv gets many
    ended(conn, recorder)
    assert prices(recorder.events) == [0.5]
    assert recorder.reason == "rolled over"
    assert raw.read_until(CLOSE) == close_payload(1000)


def test_a_ping_gets_a_pong_with_the_same_payload_at_once(raw: RawServer, connect: Connect) -> None:
    bucket = CountingBucket()
    conn, recorder = connect(raw.url, bucket=bucket)
    payload = bytes(range(125))  # the longest a control frame may carry
    raw.send(frame(PING, payload))
    assert raw.read_frame() == (PONG, payload)
    assert bucket.charged == 1
    raw.send(frame(PONG, b"unsolicited") + text(1))  # a pong needs no answer
    wait_for(lambda: len(recorder.events) == 1, what="the event after the pong")
    conn.close()
    assert raw.read_frame() == (CLOSE, close_payload(1000))


def test_a_close_frame_is_answered_and_its_code_and_reason_kept(
    raw: RawServer, connect: Connect
) -> None:
    conn, recorder = connect(raw.url)
    raw.send(text(1) + frame(CLOSE, close_payload(1001, "going away")) + text(2))
    assert raw.read_until(CLOSE) == close_payload(1001)  # the code echoed
    ended(conn, recorder)
    assert recorder.reason == "closed by the server (code 1001: going away)"
    assert recorder.error is None
    assert prices(recorder.events) == [1.5]  # nothing is read after the close frame


def test_a_close_frame_without_a_code_is_answered_with_1000(
    raw: RawServer, connect: Connect
) -> None:
    conn, recorder = connect(raw.url)
    raw.send(frame(CLOSE))
    assert raw.read_until(CLOSE) == close_payload(1000)
    ended(conn, recorder)
    assert recorder.error is None


def test_the_end_of_tcp_without_a_close_frame_ends_the_connection(
    raw: RawServer, connect: Connect
) -> None:
    conn, recorder = connect(raw.url)
    raw.send(text(1)[:7])  # half a frame, then nothing
    raw.wait_ready().shutdown(socket.SHUT_RDWR)
    ended(conn, recorder)
    assert recorder.reason == "closed by the server without a close frame"
    assert recorder.error is None
    assert recorder.events == []


PROTOCOL_ERRORS = [
    ("masked", text(1, mask=True), "masked"),
    ("reserved bit", frame(TEXT, b"{}", rsv=4), "reserved bits"),
    ("unknown data opcode", frame(0x3, b"{}"), "unknown opcode 0x3"),
    ("unknown control opcode", frame(0xB), "unknown opcode 0xb"),
    ("fragmented ping", frame(PING, b"x", fin=False), "fragmented control frame"),
    ("long ping", frame(PING, b"x" * 126), "control frame of 126 bytes"),
    ("stray continuation", frame(0, b"{}"), "continuation frame outside"),
    (
        "interrupted message",
        frame(TEXT, b"{", fin=False) + frame(TEXT, b"{}"),
        "new message before the end",
    ),
    ("length over 2**63", b"\x81\x7f" + struct.pack("!Q", 2**63) + b"{}", "most significant bit"),
    ("a close frame of one byte", frame(CLOSE, b"\x03"), "one-byte payload"),
    ("close code 999", frame(CLOSE, close_payload(999)), "code 999, which a server may not"),
    ("close code 1005", frame(CLOSE, close_payload(1005)), "code 1005, which a server may not"),
    ("close code 5000", frame(CLOSE, close_payload(5000)), "code 5000, which a server may not"),
]


@pytest.mark.parametrize(
    ("data", "phrase"),
    [case[1:] for case in PROTOCOL_ERRORS],
    ids=[case[0] for case in PROTOCOL_ERRORS],
)
def test_a_protocol_error_closes_with_1002_and_a_clear_reason(
    raw: RawServer, connect: Connect, data: bytes, phrase: str
) -> None:
    conn, recorder = connect(raw.url)
    raw.send(text(1) + data + text(2))
    code = raw.read_until(CLOSE)[:2]
    assert struct.unpack("!H", code) == (1002,)
    ended(conn, recorder)
    assert isinstance(recorder.error, ConnectionFailedError)
    assert recorder.reason is not None
    assert recorder.reason.startswith("WebSocket protocol error: ")
    assert phrase in recorder.reason
    assert prices(recorder.events) == [1.5]


@pytest.mark.parametrize(
    ("data", "code", "phrase"),
    [
        pytest.param(
            frame(TEXT, b'{"e":"index","s":"\xff\xfe"}'),
            1007,
            "a text message that is not UTF-8",
            id="text not UTF-8",
        ),
        pytest.param(
            frame(TEXT, b'{"e":"index","s":"\xce\xba', fin=False) + frame(0, b'\xe1\xbd"}'),
            1007,
            "a text message that is not UTF-8",
            id="fragments not UTF-8 once joined",
        ),
        pytest.param(
            frame(CLOSE, close_payload(1000) + b"\xff"),
            1007,
            "whose reason is not UTF-8",
            id="close reason not UTF-8",
        ),
        pytest.param(
            b"\x81\x7f" + struct.pack("!Q", 2**40) + b"{}",
            1009,
            "more than 16 MiB",
            id="a frame over 16 MiB",
        ),
        pytest.param(
            frame(TEXT, b"x" * 2**23, fin=False)
            + frame(0, b"x" * 2**23, fin=False)
            + frame(0, b"x"),
            1009,
            "a message of more than",
            id="a message over 16 MiB",
        ),
    ],
)
def test_invalid_text_and_oversized_messages_close_with_the_rfc_code(
    raw: RawServer, connect: Connect, data: bytes, code: int, phrase: str
) -> None:
    conn, recorder = connect(raw.url)
    raw.send(text(1) + data + text(2))
    assert struct.unpack("!H", raw.read_until(CLOSE)[:2]) == (code,)
    ended(conn, recorder)
    assert isinstance(recorder.error, ConnectionFailedError)
    assert recorder.reason is not None
    assert phrase in recorder.reason
    assert prices(recorder.events) == [1.5]
    # Counted with the malformed messages when a text message was the problem.
    assert conn.parse_errors == (1 if "text message" in phrase else 0)


def test_close_unblocks_a_reader_waiting_on_a_silent_server(
    raw: RawServer, connect: Connect
) -> None:
    conn, recorder = connect(raw.url)
    raw.send(text(1)[:3])  # the reader now waits for the rest
    wait_for(lambda: conn.is_open, what="the open")
    started = time.monotonic()
    conn.close()
    ended(conn, recorder, timeout=1.0)
    assert time.monotonic() - started < 1.0
    assert recorder.reason == "closed by the client"


def test_tls_frames_spanning_records_arrive_intact(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, connect: Connect
) -> None:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert.write_text(TLS_CERT)
    key.write_text(TLS_KEY)
    server_side = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_side.load_cert_chain(cert, key)
    trusting = functools.partial(ssl.create_default_context, cafile=str(cert))
    monkeypatch.setattr(ssl, "create_default_context", trusting)
    server = RawServer(tls=server_side)
    try:
        big = json.dumps(
            {
                "stream": INDEX,
                "data": [{"e": "index", "E": n, "s": "BTCUSDT", "p": f"{n}"} for n in range(2000)],
            }
        ).encode()  # several TLS records
        _, recorder = connect(server.url)
        burst = b"".join(text(n) for n in range(200))
        server.send(burst + frame(TEXT, big) + burst + frame(PING, b"tls"))
        assert server.read_until(PONG) == b"tls"
        wait_for(lambda: len(recorder.frames) == 401, what="401 frames")
        expected = [n + 0.5 for n in range(200)]
        assert prices(recorder.events) == [*expected, *range(2000), *expected]
    finally:
        server.close()
