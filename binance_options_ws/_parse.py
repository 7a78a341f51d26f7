"""From a WebSocket message to typed events: JSON decode, envelope and reply dispatch.

:func:`parse_frame` is the one routine every endpoint shares. It decodes the
text, unwraps the combined-stream envelope ``{"stream": ..., "data": ...}``,
recognises control replies and errors, splits array payloads, and hands each
payload to the parser of its event type, from the tables of the endpoint's
dialect. What those tables hold (the wire keys) belongs to the dialects.

This module is pure: no sockets, threads or clocks.
"""

from __future__ import annotations

import json
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple, Union

from ._wire import read_int, read_str
from .exceptions import MessageParseError
from .models import ControlReply, ErrorReply, Event, Message, UnknownEvent

__all__ = ["EventTypeGuess", "PayloadParser", "loads", "parse_frame"]

#: Turns one decoded payload (a JSON object) and its stream name (``""`` for a
#: payload without its envelope) into an event.
PayloadParser = Callable[[Dict[str, Any], str], Event]
#: Guesses the event type of a payload without ``e`` from its stream name.
EventTypeGuess = Callable[[Optional[str]], Optional[str]]


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

    Example:
        >>> loads(b'{"a":1}')
        {'a': 1}
    """
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
            if stream.__class__ is not str:
                stream = ""
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
