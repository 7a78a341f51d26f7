"""Tests of binance_options_ws._framing: the frame codec, fed bytes, with no socket.

Each table row is the bytes a server sends and what the decoder must make of
them: the frames, or the protocol error and the close code it carries.
"""

from __future__ import annotations

import re
import struct
from typing import List, Optional, Sequence, Tuple

import pytest

from binance_options_ws._framing import (
    BINARY,
    CLOSE,
    CONTINUATION,
    MAX_MESSAGE,
    PING,
    PONG,
    STATUS_PROTOCOL_ERROR,
    STATUS_TOO_BIG,
    TEXT,
    Frame,
    FrameDecoder,
    ProtocolError,
    close_reason,
    close_reply_code,
    parse_close,
)


def frame(
    opcode: int,
    payload: bytes = b"",
    *,
    fin: bool = True,
    rsv: int = 0,
    mask: bool = False,
    length: Optional[int] = None,
) -> bytes:
    """One frame as a server writes it; ``length`` forces 7, 16 or 64 bits for the length."""
    head = bytes([(0x80 if fin else 0) | rsv << 4 | opcode])
    n = len(payload)
    bits = length or (7 if n < 126 else 16 if n <= 0xFFFF else 64)
    flag = 0x80 if mask else 0
    if bits == 64:
        head += bytes([flag | 127]) + struct.pack("!Q", n)
    elif bits == 16:
        head += bytes([flag | 126]) + struct.pack("!H", n)
    else:
        head += bytes([flag | n])
    if mask:
        key = b"\x01\x02\x03\x04"
        head += key
        payload = bytes(b ^ key[i % 4] for i, b in enumerate(payload))
    return head + payload


def decode(*pieces: bytes, max_message: int = MAX_MESSAGE) -> List[Frame]:
    """Feed each piece in turn and collect every frame the decoder returns."""
    decoder = FrameDecoder(max_message)
    out: List[Frame] = []
    for piece in pieces:
        decoder.feed(piece)
        out.extend(decoder.frames())
    return out


def error_of(*pieces: bytes, max_message: int = MAX_MESSAGE) -> ProtocolError:
    """The protocol error that decoding ``pieces`` ends with."""
    with pytest.raises(ProtocolError) as caught:
        _drain(FrameDecoder(max_message), pieces)
    return caught.value


def _drain(decoder: FrameDecoder, pieces: Sequence[bytes]) -> None:
    for piece in pieces:
        decoder.feed(piece)
        while decoder.frames():
            pass


# ---------------------------------------------------------------- lengths


LENGTHS = [
    # (payload length, bits used for the length on the wire)
    (0, 7),
    (1, 7),
    (125, 7),  # the longest 7-bit length
    (126, 16),  # the shortest 16-bit length
    (127, 16),
    (65535, 16),  # the longest 16-bit length
    (65536, 64),  # the shortest 64-bit length
    (200_000, 64),
    (5, 16),  # a short payload in a longer form than needed is still read
    (5, 64),
    (300, 64),
]


@pytest.mark.parametrize(("size", "bits"), LENGTHS, ids=[f"{s}B-{b}bit" for s, b in LENGTHS])
def test_every_length_encoding_is_read(size: int, bits: int) -> None:
    payload = bytes(i % 251 for i in range(size))
    data = frame(TEXT, payload, length=bits)
    assert len(data) == size + {7: 2, 16: 4, 64: 10}[bits]
    assert decode(data) == [(TEXT, payload)]
    # and the frame after it starts where this one ends
    assert decode(data + frame(BINARY, b"next")) == [(TEXT, payload), (BINARY, b"next")]


# ---------------------------------------------------------------- valid frames


VALID = [
    ("text", frame(TEXT, b'{"a":1}'), [(TEXT, b'{"a":1}')]),
    ("binary", frame(BINARY, b"\x00\xff"), [(BINARY, b"\x00\xff")]),
    ("empty text", frame(TEXT), [(TEXT, b"")]),
    ("ping", frame(PING, b"hello"), [(PING, b"hello")]),
    ("pong", frame(PONG), [(PONG, b"")]),
    ("close", frame(CLOSE, b"\x03\xe8bye"), [(CLOSE, b"\x03\xe8bye")]),
    ("control of 125 bytes", frame(PING, b"p" * 125), [(PING, b"p" * 125)]),
    (
        "text in three fragments",
        frame(TEXT, b"ab", fin=False)
        + frame(CONTINUATION, b"cd", fin=False)
        + frame(CONTINUATION, b"ef"),
        [(TEXT, b"abcdef")],
    ),
    (
        "binary in two fragments",
        frame(BINARY, b"\x01", fin=False) + frame(CONTINUATION, b"\x02"),
        [(BINARY, b"\x01\x02")],
    ),
    (
        "empty fragments",
        frame(TEXT, fin=False) + frame(CONTINUATION, fin=False) + frame(CONTINUATION, b"x"),
        [(TEXT, b"x")],
    ),
    (
        "control frames between fragments come first",
        frame(TEXT, b"ab", fin=False)
        + frame(PING, b"1")
        + frame(CONTINUATION, b"cd", fin=False)
        + frame(PONG, b"2")
        + frame(CONTINUATION, b"ef")
        + frame(TEXT, b"next"),
        [(PING, b"1"), (PONG, b"2"), (TEXT, b"abcdef"), (TEXT, b"next")],
    ),
    (
        "a message after a fragmented one",
        frame(TEXT, b"a", fin=False) + frame(CONTINUATION, b"b") + frame(BINARY, b"c"),
        [(TEXT, b"ab"), (BINARY, b"c")],
    ),
]


@pytest.mark.parametrize(
    ("data", "expected"), [case[1:] for case in VALID], ids=[case[0] for case in VALID]
)
def test_valid_frames_decode(data: bytes, expected: List[Frame]) -> None:
    assert decode(data) == expected


def test_several_frames_in_one_feed_come_back_from_one_call() -> None:
    frames = [(TEXT, f'{{"n":{n}}}'.encode()) for n in range(500)]
    decoder = FrameDecoder()
    decoder.feed(b"".join(frame(opcode, payload) for opcode, payload in frames))
    assert decoder.frames() == frames
    assert decoder.frames() == []


def test_payloads_are_bytes() -> None:
    [(_, payload)] = decode(frame(TEXT, b"x" * 300))
    assert type(payload) is bytes


# ---------------------------------------------------------------- cut anywhere


STREAM = (
    frame(TEXT, b"short")
    + frame(TEXT, b"m" * 300)  # 16-bit length
    + frame(BINARY, b"b" * 70_000)  # 64-bit length
    + frame(TEXT, b"t", length=64)
    + frame(TEXT, b"fr", fin=False)
    + frame(PING, b"between")
    + frame(CONTINUATION, b"ag", fin=False)
    + frame(CONTINUATION, b"ment")
    + frame(CLOSE, b"\x03\xe8")
)
STREAM_FRAMES = [
    (TEXT, b"short"),
    (TEXT, b"m" * 300),
    (BINARY, b"b" * 70_000),
    (TEXT, b"t"),
    (PING, b"between"),
    (TEXT, b"fragment"),
    (CLOSE, b"\x03\xe8"),
]


def test_frames_fed_one_byte_at_a_time_arrive_whole_and_in_order() -> None:
    decoder = FrameDecoder()
    out: List[Frame] = []
    for i in range(len(STREAM)):
        decoder.feed(STREAM[i : i + 1])
        out.extend(decoder.frames())
    assert out == STREAM_FRAMES


def test_frames_cut_in_two_at_every_byte_arrive_whole() -> None:
    head = STREAM[:400]  # every boundary of the headers and short frames
    expected = decode(head)
    for cut in range(len(head) + 1):
        assert decode(head[:cut], head[cut:]) == expected, f"cut at byte {cut}"


def test_a_frame_in_many_pieces_comes_out_once_it_is_whole() -> None:
    # As when each recv returns one TLS record of a large frame.
    data = frame(TEXT, b"z" * 100_000)
    pieces = [data[i : i + 1000] for i in range(0, len(data), 1000)]
    decoder = FrameDecoder()
    for piece in pieces[:-1]:
        decoder.feed(piece)
        assert decoder.frames() == []
    decoder.feed(pieces[-1])
    assert decoder.frames() == [(TEXT, b"z" * 100_000)]


def test_incomplete_frames_give_nothing_yet() -> None:
    data = frame(TEXT, b"x" * 200)
    decoder = FrameDecoder()
    assert decoder.frames() == []
    for piece in (data[:1], data[1:3], data[3:100], data[100:-1]):
        decoder.feed(piece)
        assert decoder.frames() == []
    decoder.feed(data[-1:])
    assert decoder.frames() == [(TEXT, b"x" * 200)]


# ---------------------------------------------------------------- protocol errors


ERRORS: Sequence[Tuple[str, bytes, str]] = [
    ("masked text", frame(TEXT, b"{}", mask=True), "the server masked a frame"),
    ("masked ping", frame(PING, b"", mask=True), "the server masked a frame"),
    ("rsv1", frame(TEXT, b"{}", rsv=4), "reserved bits set"),
    ("rsv2", frame(TEXT, b"{}", rsv=2), "reserved bits set"),
    ("rsv3", frame(TEXT, b"{}", rsv=1), "reserved bits set"),
    ("rsv on a control frame", frame(PING, b"", rsv=4), "reserved bits set"),
    (
        "rsv on a continuation",
        frame(TEXT, b"a", fin=False) + frame(CONTINUATION, b"b", rsv=2),
        "reserved bits set",
    ),
    *[
        (f"data opcode {op:#x}", frame(op, b"{}"), f"unknown opcode {op:#x}")
        for op in range(0x3, 0x8)
    ],
    *[(f"control opcode {op:#x}", frame(op), f"unknown opcode {op:#x}") for op in range(0xB, 0x10)],
    ("fragmented ping", frame(PING, b"x", fin=False), "a fragmented control frame"),
    ("fragmented pong", frame(PONG, b"x", fin=False), "a fragmented control frame"),
    ("fragmented close", frame(CLOSE, b"\x03\xe8", fin=False), "a fragmented control frame"),
    ("ping of 126 bytes", frame(PING, b"x" * 126), "a control frame of 126 bytes (at most 125)"),
    ("close of 200 bytes", frame(CLOSE, b"x" * 200), "a control frame of 200 bytes"),
    (
        "continuation without a start",
        frame(CONTINUATION, b"{}"),
        "a continuation frame outside a fragmented message",
    ),
    (
        "continuation after a whole message",
        frame(TEXT, b"a") + frame(CONTINUATION, b"b"),
        "a continuation frame outside a fragmented message",
    ),
    (
        "text inside a fragmented message",
        frame(TEXT, b"{", fin=False) + frame(TEXT, b"}"),
        "a new message before the end of a fragmented one",
    ),
    (
        "binary inside a fragmented message",
        frame(TEXT, b"{", fin=False) + frame(BINARY, b"}"),
        "a new message before the end of a fragmented one",
    ),
    (
        "length with its top bit set",
        b"\x81\x7f" + struct.pack("!Q", 2**63) + b"{}",
        "a frame length with its most significant bit set",
    ),
]

# Too big: close code 1009.
TOO_BIG = [
    (
        "a frame over 16 MiB",
        b"\x81\x7f" + struct.pack("!Q", 2**40),
        f"a frame of {2**40} bytes (more than 16 MiB)",
    ),
    (
        "a frame one byte over 16 MiB",
        b"\x82\x7f" + struct.pack("!Q", MAX_MESSAGE + 1),
        f"a frame of {MAX_MESSAGE + 1} bytes (more than 16 MiB)",
    ),
]


@pytest.mark.parametrize(
    ("data", "message"), [case[1:] for case in ERRORS], ids=[case[0] for case in ERRORS]
)
def test_a_breach_of_the_protocol_is_an_error_with_close_code_1002(
    data: bytes, message: str
) -> None:
    error = error_of(data)
    assert message in str(error)
    assert error.code == STATUS_PROTOCOL_ERROR == 1002


@pytest.mark.parametrize(
    ("data", "message"), [case[1:] for case in ERRORS], ids=[case[0] for case in ERRORS]
)
def test_a_breach_is_found_even_one_byte_at_a_time(data: bytes, message: str) -> None:
    pieces = [data[i : i + 1] for i in range(len(data))]
    assert message in str(error_of(*pieces))


def test_a_frame_over_the_limit_is_refused_from_its_header() -> None:
    # Only the header arrives: the decoder does not wait for 16 MiB to refuse it.
    error = error_of(b"\x81\x7f" + struct.pack("!Q", MAX_MESSAGE + 1))
    assert "more than 16 MiB" in str(error)
    assert decode(b"\x82\x7f" + struct.pack("!Q", MAX_MESSAGE)) == []  # at the limit: waits


def test_the_limit_applies_to_frames_and_to_joined_messages() -> None:
    assert decode(frame(TEXT, b"x" * 100), max_message=100) == [(TEXT, b"x" * 100)]
    assert str(error_of(frame(TEXT, b"x" * 200), max_message=100)) == (
        "a frame of 200 bytes (more than 100 bytes)"
    )
    assert decode(
        frame(TEXT, b"x" * 60, fin=False) + frame(CONTINUATION, b"x" * 40), max_message=100
    ) == [(TEXT, b"x" * 100)]
    fragments = frame(TEXT, b"x" * 60, fin=False) + frame(CONTINUATION, b"x" * 41)
    assert str(error_of(fragments, max_message=100)) == "a message of more than 100 bytes"


def test_a_message_over_16_mib_in_fragments_is_refused() -> None:
    half = b"x" * (MAX_MESSAGE // 2)
    data = frame(TEXT, half, fin=False) + frame(CONTINUATION, half, fin=False)
    assert decode(data) == []  # exactly 16 MiB so far
    error = error_of(data + frame(CONTINUATION, b"x"))
    assert str(error) == f"a message of more than {MAX_MESSAGE} bytes"
    assert error.code == STATUS_TOO_BIG


def test_frames_before_a_breach_come_first_then_the_error_every_time() -> None:
    decoder = FrameDecoder()
    decoder.feed(frame(TEXT, b"1") + frame(PING, b"2") + frame(TEXT, b"{}", rsv=4) + frame(TEXT))
    assert decoder.frames() == [(TEXT, b"1"), (PING, b"2")]
    for _ in range(2):
        with pytest.raises(ProtocolError, match="reserved bits"):
            decoder.frames()
    decoder.feed(frame(TEXT, b"more"))
    with pytest.raises(ProtocolError, match="reserved bits"):
        decoder.frames()


def test_a_breach_with_nothing_before_it_is_raised_at_once() -> None:
    decoder = FrameDecoder()
    decoder.feed(frame(TEXT, b"{}", mask=True))
    with pytest.raises(ProtocolError, match="masked"):
        decoder.frames()


# ---------------------------------------------------------------- close frames


CLOSE_PAYLOADS = [
    # (payload, (code, reason), the code we answer with)
    (b"", (None, ""), 1000),
    (struct.pack("!H", 1000), (1000, ""), 1000),
    (struct.pack("!H", 1001) + b"going away", (1001, "going away"), 1001),
    (struct.pack("!H", 1011) + "é".encode(), (1011, "é"), 1011),
    (struct.pack("!H", 4000) + b"maintenance", (4000, "maintenance"), 4000),
    (struct.pack("!H", 3000), (3000, ""), 3000),
    (struct.pack("!H", 4999), (4999, ""), 4999),
]


# Close payloads a server may not send (RFC 6455, 7.4; Autobahn|Testsuite 7.3.2, 7.5.1,
# 7.9.x): (payload, the close code to answer with, what the error says).
BAD_CLOSE_PAYLOADS = [
    (b"\x03", 1002, "a close frame with a one-byte payload"),
    *(
        (struct.pack("!H", code), 1002, f"a close frame with code {code}, which a server may not")
        for code in (0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535)
    ),
    (struct.pack("!H", 1000) + b"\xff\xfe", 1007, "a close frame (code 1000) whose reason is not"),
    (struct.pack("!H", 1001) + b"\xce\xba\xe1\xbd", 1007, "reason is not UTF-8"),  # cut short
]


@pytest.mark.parametrize(("payload", "code", "message"), BAD_CLOSE_PAYLOADS)
def test_a_close_payload_a_server_may_not_send_is_a_protocol_error(
    payload: bytes, code: int, message: str
) -> None:
    with pytest.raises(ProtocolError, match=re.escape(message)) as caught:
        parse_close(payload)
    assert caught.value.code == code


@pytest.mark.parametrize(("data", "message"), [case[1:] for case in TOO_BIG])
def test_a_frame_over_the_limit_is_an_error_with_close_code_1009(data: bytes, message: str) -> None:
    error = error_of(data)
    assert message in str(error)
    assert error.code == STATUS_TOO_BIG == 1009


@pytest.mark.parametrize(("payload", "parsed", "answer"), CLOSE_PAYLOADS)
def test_a_close_payload_is_read_and_answered(
    payload: bytes, parsed: Tuple[Optional[int], str], answer: int
) -> None:
    assert parse_close(payload) == parsed
    assert close_reply_code(parsed[0]) == answer


@pytest.mark.parametrize(
    ("reason", "expected"),
    [
        ("", b""),
        ("short", b"short"),
        ("x" * 123, b"x" * 123),
        ("x" * 200, b"x" * 123),
        ("é" * 100, "é".encode() * 61),  # never cut inside a character
        ("x" + "€" * 50, b"x" + "€".encode() * 40),
    ],
)
def test_a_close_reason_fits_a_close_frame(reason: str, expected: bytes) -> None:
    encoded = close_reason(reason)
    assert encoded == expected
    assert len(encoded) <= 123
    encoded.decode("utf-8")  # whole characters only
