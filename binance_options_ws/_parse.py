"""From a WebSocket message to typed events: JSON decode, envelope and reply dispatch.

:func:`parse_frame` is the one routine every endpoint shares. It decodes the
text, unwraps the combined-stream envelope ``{"stream": ..., "data": ...}``,
recognises control replies and errors, splits array payloads, and hands each
payload to the parser of its event type, from the tables of the endpoint's
dialect. What those tables hold (the wire keys) belongs to the dialects.

This module is pure: no sockets, threads or clocks.
"""

from __future__ import annotations

import functools
import json
from sys import intern
from typing import Any, Callable, Dict, List, Mapping, NamedTuple, Optional, Sequence, Tuple, Union

from . import _speedups
from ._wire import read_int, read_str
from .exceptions import MessageParseError
from .models import ControlReply, ErrorReply, Event, Message, UnknownEvent

__all__ = [
    "EventTypeGuess",
    "FrameParser",
    "PayloadParser",
    "TypedPayload",
    "frame_parser",
    "loads",
    "parse_frame",
    "typed_payload",
]

#: Turns one decoded payload (a JSON object) and its stream name (``""`` for a
#: payload without its envelope) into an event.
PayloadParser = Callable[[Dict[str, Any], str], Event]
#: Guesses the event type of a payload without ``e`` from its stream name.
EventTypeGuess = Callable[[Optional[str]], Optional[str]]
#: Turns one WebSocket message into events (what :func:`frame_parser` returns).
FrameParser = Callable[[Union[str, bytes, bytearray]], List[Message]]


class TypedPayload(NamedTuple):
    """How the optional accelerator may read one payload type without a dict.

    A dialect declares it for its busiest payloads with :func:`typed_payload`; it
    is used only when msgspec is installed (see :mod:`binance_options_ws._speedups`).
    """

    #: The wire keys and their types (``float``, ``int``, ``str``, ...), in the order
    #: ``build`` takes their values; a third item, a default, makes one optional.
    fields: Tuple[Tuple[Any, ...], ...]
    #: Builds the event from those values and the stream name, or returns None when
    #: a value is one the payload parser would read otherwise (a non-finite number,
    #: say): the payload parser then decides.
    build: Callable[[Tuple[Any, ...], str], Optional[Event]]


#: The typed reading of each payload parser that has one.
_TYPED: Dict[PayloadParser, TypedPayload] = {}


def typed_payload(
    fields: Sequence[Tuple[Any, ...]], build: Callable[[Tuple[Any, ...], str], Optional[Event]]
) -> Callable[[PayloadParser], PayloadParser]:
    """Declare, on a payload parser, how the accelerator may read its payload.

    The parser stays the reference: ``build`` must give what the parser gives for
    every payload whose fields all read as ``fields`` says, or None.

    Example:
        >>> @typed_payload([("p", float)], lambda values, stream: None)
        ... def parse(d, stream):
        ...     return UnknownEvent(None, d, None, stream)
    """

    def declare(parser: PayloadParser) -> PayloadParser:
        _TYPED[parser] = TypedPayload(tuple(fields), build)
        return parser

    return declare


def _event(
    item: Any, stream: str, parsers: Mapping[str, PayloadParser], guess: EventTypeGuess
) -> Event:
    if item.__class__ is not dict:
        return UnknownEvent(None, item, None, stream)
    event_type = item.get("e")
    parser = parsers.get(event_type) if event_type.__class__ is str else None
    if parser is None and event_type is None:
        guessed = guess(stream)
        parser = parsers.get(guessed) if guessed is not None else None
    if parser is None:
        return UnknownEvent(read_str(event_type), item, read_int(item.get("E")), stream)
    return parser(item, stream)


def _payload(
    data: Any, stream: str, parsers: Mapping[str, PayloadParser], guess: EventTypeGuess
) -> List[Message]:
    if data.__class__ is list:
        return [_event(item, stream, parsers, guess) for item in data]
    return [_event(data, stream, parsers, guess)]


#: The scanner ``json.loads`` itself uses (set by ``JSONDecoder.__init__``, which the
#: type stubs do not declare): ``(text, index) -> (value, end)``.
_scan_once: Callable[[str, int], Tuple[Any, int]] = json.JSONDecoder().scan_once  # type: ignore[attr-defined]


#: msgspec's JSON decoder when the speed-ups extra is installed, or None.
_fast_decode = _speedups.json_decoder()
_FAST_ERRORS = _speedups.DECODE_ERRORS

#: What :func:`parse_frame` decodes as JSON (a constant: a tuple written in the
#: ``isinstance`` call would be built on every call).
_TEXT = (str, bytes, bytearray)


def loads(message: Union[str, bytes, bytearray]) -> Any:
    """``json.loads(message)``, without its overhead on the usual message.

    ``json.loads`` sniffs the encoding of bytes (UTF-8, -16 or -32) and matches
    whitespace around the value with regular expressions: a fifth to a third of
    its time on a 500-byte frame. A WebSocket text frame is UTF-8 and the exchange's JSON has
    no surrounding whitespace, so the scanner (the one ``json.loads`` uses) reads
    it directly. Anything else, valid or not, goes to ``json.loads``, whose answer
    or error is the reference.

    Bytes must be UTF-8, as a text frame is (RFC 6455, 5.6): anything else raises
    :class:`UnicodeDecodeError` (a ``ValueError``), where ``json.loads`` would
    guess UTF-16 or UTF-32, or let encoded surrogates through.

    With the speed-ups extra, msgspec's decoder goes first; what it refuses (a
    ``NaN`` literal, a lone surrogate, a number beyond a float, bytes that are not
    UTF-8, ...) takes the path above, so the result or the error is the same.

    Example:
        >>> loads(b'{"a":1}')
        {'a': 1}
    """
    if _fast_decode is not None:
        try:
            return _fast_decode(message)  # type: ignore[arg-type]
        except _FAST_ERRORS:
            pass
    text = message if message.__class__ is str else message.decode()  # type: ignore[union-attr]
    try:
        data, end = _scan_once(text, 0)
        if end == len(text):
            return data
    except Exception:  # not JSON, nested too deep, ...: json.loads decides
        pass
    return json.loads(text)


def _reply(data: Dict[str, Any]) -> Message:
    """A JSON object that is neither an event nor an envelope: a reply, an error, or unknown."""
    if "code" in data:  # an error, even without "msg": never a successful reply
        msg = str(data.get("msg", ""))
        return ErrorReply(read_int(data["code"]), msg, read_int(data.get("id")))
    if "error" in data:  # {"error": {"code": 2, "msg": "..."}, "id": 1}
        error = data["error"]
        if error.__class__ is dict:
            code, msg = read_int(error.get("code")), str(error.get("msg", ""))
        else:
            code, msg = None, str(error)
        return ErrorReply(code, msg, read_int(data.get("id")))
    if "id" in data:
        return ControlReply(read_int(data["id"]), data.get("result"))
    return UnknownEvent(None, data, read_int(data.get("E")), "")


def parse_frame(
    parsers: Mapping[str, PayloadParser],
    guess: EventTypeGuess,
    message: Union[str, bytes, bytearray, Any],
) -> List[Message]:
    """Turn one WebSocket message into typed events, with one dialect's payload parsers.

    The tables come first so that ``functools.partial(parse_frame, parsers, guess)``
    binds them positionally: a call through it costs no keyword handling.

    Args:
        parsers: The payload parser of each event type (the ``e`` key).
        guess: The event type of a payload without ``e``, from its stream name.
        message: The message as text (``str`` or UTF-8 ``bytes``) or as already
            decoded JSON, either raw or inside the combined envelope.

    Returns:
        The events, in order (see :func:`binance_options_ws.parse_message`).

    Raises:
        MessageParseError: If the text is not JSON, or an event in it lacks a field
            the exchange always sends (see :mod:`binance_options_ws.models`).

    Example:
        >>> parse_frame({}, lambda stream: None, '{"result": null, "id": 1}')
        [ControlReply(id=1, result=None)]
    """
    if isinstance(message, _TEXT):
        try:
            data = loads(message)
        except (ValueError, RecursionError) as exc:  # JSONDecodeError, UnicodeDecodeError
            text = message[:200] if isinstance(message, str) else repr(bytes(message[:200]))
            what = "UTF-8" if isinstance(exc, UnicodeDecodeError) else "JSON"
            raise MessageParseError(f"message is not {what}: {exc}", text) from exc
    else:
        data = message
    if data.__class__ is dict:
        # The usual message is one event of a known type in the envelope. It goes
        # straight to its parser: what _payload and _event would do with it, without
        # their two calls and repeated checks. Anything else, an array included,
        # takes the general path.
        if "data" in data and "stream" in data:
            payload, stream = data["data"], data["stream"]
            # One copy of each stream name, however many events carry it.
            stream = intern(stream) if stream.__class__ is str else ""
            if payload.__class__ is dict:
                event_type = payload.get("e")
                parser = parsers.get(event_type) if event_type.__class__ is str else None
                if parser is not None:
                    return [parser(payload, stream)]
            return _payload(payload, stream, parsers, guess)
        if "e" in data:
            return [_event(data, "", parsers, guess)]
        return [_reply(data)]
    if data.__class__ is list:
        return _payload(data, "", parsers, guess)
    return [UnknownEvent(None, data, None, "")]


def frame_parser(parsers: Mapping[str, PayloadParser], guess: EventTypeGuess) -> FrameParser:
    """:func:`parse_frame` bound to one dialect's tables: the function connections call.

    With the speed-ups extra installed, and payload parsers that declare a
    :func:`typed_payload`, an enveloped message of those types is read by msgspec
    straight into its values, with no dict and no ``float()`` in Python. Anything
    it does not read (another shape or type, a value of another type, a missing
    key), and any message that is not ASCII (msgspec does not check the UTF-8 of
    the keys it skips), holds a backslash or a ``"-0"`` string (msgspec reads
    ``"-0"`` as 0.0, ``float()`` as -0.0), goes to :func:`parse_frame`. The events
    are the same either way (``tests/test_speedups.py``).

    Example:
        >>> parse = frame_parser({}, lambda stream: None)
        >>> parse('{"result": null, "id": 1}')
        [ControlReply(id=1, result=None)]
    """
    general: FrameParser = functools.partial(parse_frame, parsers, guess)
    typed = {
        event_type: _TYPED[parser] for event_type, parser in parsers.items() if parser in _TYPED
    }
    decode = _speedups.envelope_decoder({t: p.fields for t, p in typed.items()})
    if decode is None:
        return general
    builders = {event_type: payload.build for event_type, payload in typed.items()}
    errors = _FAST_ERRORS

    def parse(message: Union[str, bytes, bytearray]) -> List[Message]:
        if (
            message.__class__ is bytes
            and message.isascii()  # msgspec does not check the UTF-8 of keys it skips
            and b"\\" not in message
            and b'"-0"' not in message
        ):
            try:
                stream, event_type, values = decode(message)
            except errors:
                pass
            else:
                event = builders[event_type](values, intern(stream))
                if event is not None:
                    return [event]
        return general(message)

    return parse
