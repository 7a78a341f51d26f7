"""The fake exchange's protocol logic, free of I/O: handshake paths and control messages.

:func:`parse_route` reads a handshake path (``/ws/<stream>``, ``/stream?streams=a/b``,
and the same under ``/public`` or ``/market`` for the 2026 fstream endpoint) and
:class:`ConnectionState` answers the live control messages of one connection
(SUBSCRIBE, UNSUBSCRIBE, LIST_SUBSCRIPTIONS, SET_PROPERTY, GET_PROPERTY) with the
exact reply and error payloads of Binance's documentation.

This module is pure: no sockets, threads or clocks. The server in
:mod:`binance_options_ws.testing.server` does the I/O around it.
"""

from __future__ import annotations

import functools
import json
import re
from typing import Any, Dict, Iterable, List, NoReturn, Optional, Tuple, Union
from urllib.parse import parse_qsl, unquote, urlsplit

import attrs

from .. import fstream, streams
from ..exceptions import InvalidStreamError

__all__ = [
    "FSTREAM",
    "MALFORMED_KINDS",
    "METHODS",
    "NBSTREAM",
    "ConnectionState",
    "Route",
    "RouteError",
    "malformed_message",
    "parse_route",
    "stream_endpoint",
    "stream_name_error",
    "wrong_path_error",
]

#: The documented endpoint (``wss://nbstream.binance.com/eoptions``): paths ``/ws``, ``/stream``.
NBSTREAM = "nbstream"
#: The 2026 endpoint (``wss://fstream.binance.com``): the same paths under ``/public``, ``/market``.
FSTREAM = "fstream"

#: The control methods the endpoint knows, in the order its error message lists them.
METHODS = ("SUBSCRIBE", "UNSUBSCRIBE", "LIST_SUBSCRIPTIONS", "SET_PROPERTY", "GET_PROPERTY")
#: The kinds of broken frame :func:`malformed_message` can build.
MALFORMED_KINDS = ("not_json", "truncated_json", "unknown_event", "binary", "empty_array")

#: A JSON-ready reply: ``{"result": ..., "id": ...}`` or ``{"code": ..., "msg": ...}``.
Reply = Dict[str, Any]

_MAX_ID = 2**64 - 1  # the id is an unsigned 64-bit integer on the exchange
_PROPERTY = "combined"
_METHOD_VALUE_RE = re.compile(r'"method"\s*:\s*("(?:[^"\\]|\\.)*")')
# Python's json error messages, reworded as the exchange's JSON parser words them.
_JSON_ERRORS = {
    "Expecting value": "expected value",
    "Extra data": "trailing characters",
    "Expecting property name enclosed in double quotes": "key must be a string",
    "Expecting ',' delimiter": "expected `,` or `}`",
    "Expecting ':' delimiter": "expected `:`",
    "Unterminated string starting at": "EOF while parsing a string",
    "Invalid control character at": "control character found while parsing a string",
}


# --------------------------------------------------------------------------
# Handshake paths
# --------------------------------------------------------------------------


@attrs.frozen
class Route:
    """What a handshake path asks for.

    Attributes:
        combined: True for ``/stream`` (combined payloads), False for ``/ws`` (raw).
        streams: The streams named in the path, in order, without duplicates.
        endpoint: :data:`NBSTREAM` or :data:`FSTREAM`.
        url_path: ``"public"`` or ``"market"`` on fstream, None on nbstream.
    """

    combined: bool
    streams: Tuple[str, ...] = ()
    endpoint: str = NBSTREAM
    url_path: Optional[str] = None


class RouteError(ValueError):
    """A handshake path the endpoint refuses.

    Attributes:
        status: The HTTP status to answer with (404 unknown path, 400 bad streams).
        text: A short explanation for the response body.
    """

    def __init__(self, status: int, text: str) -> None:
        super().__init__(text)
        self.status = status
        self.text = text


def stream_name_error(name: str, endpoint: str = NBSTREAM) -> Optional[str]:
    """Why ``name`` can never be a stream of ``endpoint``, or None when it can.

    Names are checked with the endpoint's ``parse_stream``
    (:func:`binance_options_ws.streams.parse_stream` or
    :func:`binance_options_ws.fstream.parse_stream`), which accept any case: a
    name in the wrong case passes here even though the exchange publishes
    nothing under it.

    Example:
        >>> stream_name_error("BTCUSDT@index") is None
        True
        >>> stream_name_error("BTCUSDT@index", FSTREAM) is None
        False
    """
    parse = fstream.parse_stream if endpoint == FSTREAM else streams.parse_stream
    try:
        parse(name)
    except InvalidStreamError as exc:
        return str(exc)
    return None


def wrong_path_error(name: str, url_path: Optional[str]) -> Optional[str]:
    """Why a valid fstream ``name`` cannot be served on ``/<url_path>``, or None.

    Example:
        >>> wrong_path_error("!index@arr", "public")
        'stream `!index@arr` is served on /market, not /public'
    """
    if url_path is None:
        return None
    served = fstream.route(name)
    if served == url_path:
        return None
    return f"stream `{name}` is served on /{served}, not /{url_path}"


@functools.lru_cache(maxsize=4096)
def stream_endpoint(name: str) -> Optional[str]:
    """The endpoint whose exact spelling ``name`` is, or None for neither.

    Both ``parse_stream`` functions accept any case, so a name belongs to the
    endpoint whose canonical form it is: ``BTC-261225-100000-C@kline_1m`` to
    nbstream, ``btc-261225-100000-c@kline_1m`` to fstream.

    Example:
        >>> stream_endpoint("BTCUSDT@index"), stream_endpoint("!index@arr")
        ('nbstream', 'fstream')
    """
    for endpoint, parse in ((NBSTREAM, streams.parse_stream), (FSTREAM, fstream.parse_stream)):
        try:
            if parse(name).name == name:
                return endpoint
        except InvalidStreamError:
            pass
    return None


_FSTREAM_PREFIXES = tuple((f"/{path}", path) for path in fstream.PATHS)


def parse_route(path: str, max_streams: Optional[int] = None) -> Route:
    """Read a handshake path such as ``/ws/BTCUSDT@index`` or ``/market/stream?streams=a/b``.

    Accepted: ``/ws``, ``/ws/`` and ``/ws/<stream>`` (raw payloads) and ``/stream``,
    ``/stream/`` and ``/stream?streams=<a>/<b>`` (combined payloads), for the
    nbstream endpoint; the same under ``/public`` or ``/market`` for the fstream
    endpoint, whose streams must be served on that path. Names may be
    percent-encoded; empty names between slashes are skipped.

    Args:
        path: The request target, with its query string.
        max_streams: The most streams one connection may name, or None for no limit.

    Returns:
        The parsed :class:`Route`.

    Raises:
        RouteError: 404 for any other path; 400 for a name that is not a stream of
            the path's endpoint, a stream of the other fstream path, or more than
            ``max_streams`` names.

    Example:
        >>> parse_route("/stream?streams=BTCUSDT@index/ETHUSDT@index").streams
        ('BTCUSDT@index', 'ETHUSDT@index')
        >>> parse_route("/market/ws/!index@arr").url_path
        'market'
    """
    parts = urlsplit(path)
    rest, url_path = parts.path, None
    for prefix, name in _FSTREAM_PREFIXES:
        if rest.startswith(prefix + "/"):
            rest, url_path = rest[len(prefix) :], name
            break
    endpoint = NBSTREAM if url_path is None else FSTREAM
    names: List[str] = []
    if rest in ("/ws", "/ws/"):
        combined = False
    elif rest.startswith("/ws/") and "/" not in rest[len("/ws/") :]:
        combined = False
        names.append(unquote(rest[len("/ws/") :]))
    elif rest in ("/stream", "/stream/"):
        combined = True
        for key, value in parse_qsl(parts.query, keep_blank_values=True):
            if key == "streams":
                names.extend(unquote(name) for name in value.split("/") if name)
    else:
        raise RouteError(
            404,
            f"Unknown path {parts.path!r}: use /ws, /ws/<stream> or /stream?streams=<a>/<b>, "
            "or the same under /public or /market",
        )
    for name in names:
        problem = stream_name_error(name, endpoint) or wrong_path_error(name, url_path)
        if problem is not None:
            raise RouteError(400, f"Invalid stream name {name!r}: {problem}")
    unique = tuple(dict.fromkeys(names))
    if max_streams is not None and len(unique) > max_streams:
        raise RouteError(
            400, f"Too many streams: {len(unique)} requested, at most {max_streams} allowed"
        )
    return Route(combined, unique, endpoint, url_path)


# --------------------------------------------------------------------------
# Control messages
# --------------------------------------------------------------------------


class _RequestError(Exception):
    """One error reply, raised inside :meth:`ConnectionState.handle`."""

    def __init__(self, code: int, msg: str) -> None:
        super().__init__(msg)
        self.code = code
        self.msg = msg


def _fail(code: int, msg: str) -> NoReturn:
    raise _RequestError(code, msg)


def _line_col(text: str, index: int) -> Tuple[int, int]:
    """1-based line and column of ``text[index]``, as the exchange's parser reports them."""
    index = max(0, min(index, len(text) - 1))
    line = text.count("\n", 0, index) + 1
    return line, index - (text.rfind("\n", 0, index) + 1) + 1


def _at_end(text: str) -> str:
    line, col = _line_col(text, len(text.rstrip()) - 1)
    return f"at line {line} column {col}"


def _describe(value: Any) -> str:
    """A JSON value named the way the exchange's error messages name it."""
    if value is None:
        return "unit value"
    if isinstance(value, bool):
        return f"boolean `{str(value).lower()}`"
    if isinstance(value, int):
        return f"integer `{value}`"
    if isinstance(value, float):
        return f"floating point `{value}`"
    if isinstance(value, str):
        return f"string {json.dumps(value)}"
    return "sequence" if isinstance(value, list) else "map"


def _valid_id(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= _MAX_ID


def _reject_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not JSON")


def _json_error(text: str, exc: ValueError) -> str:
    if isinstance(exc, json.JSONDecodeError):
        what = _JSON_ERRORS.get(exc.msg, exc.msg[:1].lower() + exc.msg[1:])
        return f"Invalid JSON: {what} at line {exc.lineno} column {exc.colno}"
    return f"Invalid JSON: expected value {_at_end(text)}"


class ConnectionState:
    """The subscriptions and the ``combined`` property of one connection.

    :meth:`handle` answers one control message and updates the state. Stream
    names are exact strings, as on the real endpoint: ``btcusdt@index`` is
    accepted but is not ``BTCUSDT@index``.

    Choices where Binance's documentation is silent:

    * A missing ``params`` is an empty list; ``params`` that is not a list is
      code 2 ``Invalid request: invalid type: ..., expected a sequence``.
    * SUBSCRIBE rejects, with code 2 and nothing changed, a request naming a
      stream that the endpoint's ``parse_stream`` cannot read (``Invalid request:
      invalid stream name `x```), on fstream one served on the other path
      (``Invalid request: stream `x` is served on /market, not /public``), and a
      request that would take the connection over ``max_streams``
      (``Invalid request: too many streams``).
      UNSUBSCRIBE accepts any string; unknown names change nothing.
    * Subscribing twice to a stream keeps it once, in its first place.
    * ``too many parameters`` is returned for LIST_SUBSCRIPTIONS with any
      params, GET_PROPERTY with more than one and SET_PROPERTY with more than two.
    * Method and property names are case-sensitive. Unknown top-level keys are
      ignored. Keys are checked in the order they appear, so the first bad one
      gives the error; column numbers are approximate.
    * Every error reply carries ``"id"`` when the request had a valid one.

    Args:
        combined: The initial ``combined`` property.
        streams: The streams named in the handshake path.
        endpoint: :data:`NBSTREAM` or :data:`FSTREAM`: whose names SUBSCRIBE accepts.
        url_path: On fstream, ``"public"`` or ``"market"``: the only path whose
            streams SUBSCRIBE accepts.

    Attributes:
        combined: Whether data is wrapped as ``{"stream": ..., "data": ...}``.
        endpoint: As given.
        url_path: As given.

    Example:
        >>> state = ConnectionState(combined=True)
        >>> state.handle('{"method": "SUBSCRIBE", "params": ["BTCUSDT@index"], "id": 1}')[1]
        {'result': None, 'id': 1}
        >>> state.subscriptions
        ('BTCUSDT@index',)
    """

    def __init__(
        self,
        combined: bool,
        streams: Iterable[str] = (),
        endpoint: str = NBSTREAM,
        url_path: Optional[str] = None,
    ) -> None:
        self.combined = combined
        self.endpoint = endpoint
        self.url_path = url_path
        self._subscriptions: Dict[str, None] = dict.fromkeys(streams)

    @property
    def subscriptions(self) -> Tuple[str, ...]:
        """The subscribed stream names, in subscribe order."""
        return tuple(self._subscriptions)

    def is_subscribed(self, stream: str) -> bool:
        """Whether ``stream`` (an exact string) is subscribed."""
        return stream in self._subscriptions

    def handle(self, text: str, max_streams: Optional[int] = None) -> Tuple[Any, Reply]:
        """Answer one control message, updating the state as the exchange would.

        Args:
            text: The text frame as received.
            max_streams: The most streams the connection may listen to (None: no limit).

        Returns:
            ``(decoded, reply)``: the decoded JSON (None when the text was not JSON)
            and the JSON-ready reply to send back.

        Example:
            >>> ConnectionState(combined=False).handle('{"method": "LIST_SUBSCRIPTIONS"}')[1]
            {'code': 2, 'msg': 'Invalid request: request ID must be an unsigned integer'}
        """
        try:
            decoded = json.loads(text, parse_constant=_reject_constant)
        except ValueError as exc:  # JSONDecodeError, and NaN/Infinity
            return None, {"code": 3, "msg": _json_error(text, exc)}
        request_id = decoded.get("id") if isinstance(decoded, dict) else None
        if not _valid_id(request_id):
            request_id = None
        try:
            result = self._dispatch(text, decoded, max_streams)
        except _RequestError as exc:
            reply: Reply = {"code": exc.code, "msg": exc.msg}
            if request_id is not None:
                reply["id"] = request_id
            return decoded, reply
        return decoded, {"result": result, "id": request_id}

    # -- one request ---------------------------------------------------------

    def _dispatch(self, text: str, request: Any, max_streams: Optional[int]) -> Any:
        if not isinstance(request, dict):
            _fail(2, f"Invalid request: invalid type: {_describe(request)}, expected a map")
        for key, value in request.items():  # the first bad key, in the order sent
            if key == "method" and value not in METHODS:
                _fail(2, self._unknown_method(text, value))
            if key == "id" and not _valid_id(value):
                _fail(2, "Invalid request: request ID must be an unsigned integer")
            if key == "params" and value is not None and not isinstance(value, list):
                _fail(2, f"Invalid request: invalid type: {_describe(value)}, expected a sequence")
        if "method" not in request:
            _fail(2, f"Invalid request: missing field `method` {_at_end(text)}")
        if "id" not in request:
            _fail(2, "Invalid request: request ID must be an unsigned integer")
        method: str = request["method"]
        params: List[Any] = request.get("params") or []
        if method == "SUBSCRIBE":
            self._subscribe(params, max_streams)
            return None
        if method == "UNSUBSCRIBE":
            for name in self._names(params):
                self._subscriptions.pop(name, None)
            return None
        if method == "LIST_SUBSCRIPTIONS":
            if params:
                _fail(2, "Invalid request: too many parameters")
            return list(self._subscriptions)
        if method == "SET_PROPERTY":
            if len(params) > 2:
                _fail(2, "Invalid request: too many parameters")
            self._check_property(params)
            value = params[1] if len(params) > 1 else None
            if not isinstance(value, bool):
                _fail(1, "Invalid value type: expected Boolean")
            self.combined = value
            return None
        # GET_PROPERTY
        if len(params) > 1:
            _fail(2, "Invalid request: too many parameters")
        self._check_property(params)
        return self.combined

    @staticmethod
    def _unknown_method(text: str, value: Any) -> str:
        expected = ", ".join(f"`{name}`" for name in METHODS)
        match = _METHOD_VALUE_RE.search(text)
        where = _at_end(text)
        if match is not None:
            line, col = _line_col(text, match.end(1) - 1)
            where = f"at line {line} column {col}"
        if isinstance(value, str):
            return f"Invalid request: unknown variant `{value}`, expected one of {expected} {where}"
        return (
            f"Invalid request: invalid type: {_describe(value)}, expected one of {expected} {where}"
        )

    @staticmethod
    def _names(params: List[Any]) -> List[str]:
        for name in params:
            if not isinstance(name, str):
                _fail(2, f"Invalid request: invalid type: {_describe(name)}, expected a string")
        return params

    def _subscribe(self, params: List[Any], max_streams: Optional[int]) -> None:
        names = self._names(params)
        for name in names:
            if stream_name_error(name, self.endpoint) is not None:
                _fail(2, f"Invalid request: invalid stream name `{name}`")
            problem = wrong_path_error(name, self.url_path)
            if problem is not None:
                _fail(2, f"Invalid request: {problem}")
        total = len(self._subscriptions.keys() | set(names))
        if max_streams is not None and total > max_streams:
            _fail(
                2,
                f"Invalid request: too many streams: a connection can listen to at most "
                f"{max_streams} streams, this request would make {total}",
            )
        self._subscriptions.update(dict.fromkeys(names))

    @staticmethod
    def _check_property(params: List[Any]) -> None:
        if not params or not isinstance(params[0], str):
            _fail(2, "Invalid request: property name must be a string")
        if params[0] != _PROPERTY:
            _fail(0, "Unknown property")


# --------------------------------------------------------------------------
# Broken frames, for fault injection
# --------------------------------------------------------------------------


def _wrap(stream: str, data: str, combined: bool) -> str:
    return f'{{"stream":{json.dumps(stream)},"data":{data}}}' if combined else data


def malformed_message(
    kind: str, combined: bool, now_ms: int, endpoint: str = NBSTREAM
) -> Union[str, bytes]:
    """A frame the endpoint should never send, for testing how a client copes.

    Kinds (stream names as on nbstream; fstream connections get the fstream
    counterparts in brackets):

    * ``"not_json"``: the text ``<html><body>502 Bad Gateway</body></html>``.
    * ``"truncated_json"``: the first half of an ``index`` event (fstream: of an
      ``!index@arr`` array), wrapped on a combined connection.
    * ``"unknown_event"``: valid JSON with event type ``"futureEvent"`` (wrapped on
      a combined connection as stream ``BTCUSDT@futureEvent``
      [``btcusdt@futureEvent``]).
    * ``"binary"``: a binary frame, ``b"\\x00\\xffnot text"``; the endpoint only
      sends text.
    * ``"empty_array"``: ``[]`` (``{"stream":"BTC@markPrice","data":[]}``
      [``btcusdt@optionMarkPrice``] on a combined connection).

    Args:
        kind: One of :data:`MALFORMED_KINDS`.
        combined: Whether the connection receives combined payloads.
        now_ms: The event time to write, in milliseconds.
        endpoint: :data:`NBSTREAM` or :data:`FSTREAM`.

    Returns:
        A ``str`` for a text frame or ``bytes`` for a binary frame.

    Raises:
        ValueError: If ``kind`` is not one of :data:`MALFORMED_KINDS`.

    Example:
        >>> malformed_message("empty_array", combined=False, now_ms=0)
        '[]'
    """
    new = endpoint == FSTREAM
    if kind == "not_json":
        return "<html><body>502 Bad Gateway</body></html>"
    if kind == "truncated_json":
        if new:
            event = f'[{{"e":"indexPrice","E":{now_ms},"s":"BTCUSDT","p":"65000.12345678"}}]'
            whole = _wrap(fstream.INDEX_STREAM, event, combined)
        else:
            event = f'{{"e":"index","E":{now_ms},"s":"BTCUSDT","p":"65000.12345678"}}'
            whole = _wrap("BTCUSDT@index", event, combined)
        return whole[: len(whole) // 2]
    if kind == "unknown_event":
        event = f'{{"e":"futureEvent","E":{now_ms},"s":"BTCUSDT","x":"1"}}'
        return _wrap("btcusdt@futureEvent" if new else "BTCUSDT@futureEvent", event, combined)
    if kind == "binary":
        return b"\x00\xffnot text"
    if kind == "empty_array":
        return _wrap("btcusdt@optionMarkPrice" if new else "BTC@markPrice", "[]", combined)
    valid = ", ".join(MALFORMED_KINDS)
    raise ValueError(f"unknown malformed kind {kind!r}; valid kinds are {valid}")
