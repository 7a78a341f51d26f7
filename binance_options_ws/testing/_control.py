"""The fake exchange's control messages, free of I/O.

:class:`ConnectionState` answers the live control messages of one connection
(SUBSCRIBE, UNSUBSCRIBE, LIST_SUBSCRIPTIONS, SET_PROPERTY, GET_PROPERTY) with the
exact reply and error payloads of Binance's documentation, checking stream names
with the connection's dialect (see :mod:`binance_options_ws.testing._routes`).

This module is pure: no sockets, threads or clocks. The server in
:mod:`binance_options_ws.testing.server` does the I/O around it.
"""

from __future__ import annotations

import json
import re
from typing import Any, Dict, Iterable, List, NoReturn, Optional, Tuple

from ..dialects import Dialect
from ._routes import stream_name_error, wrong_path_error

__all__ = ["METHODS", "ConnectionState", "Reply"]

#: The control methods the endpoint knows, in the order its error message lists them.
METHODS = ("SUBSCRIBE", "UNSUBSCRIBE", "LIST_SUBSCRIPTIONS", "SET_PROPERTY", "GET_PROPERTY")

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
        dialect: The connection's endpoint dialect: whose names SUBSCRIBE accepts.
        streams: The streams named in the handshake path.
        url_path: On a dialect with several paths (fstream's ``"public"`` or
            ``"market"``), the only path whose streams SUBSCRIBE accepts.

    Attributes:
        combined: Whether data is wrapped as ``{"stream": ..., "data": ...}``.
        dialect: As given.
        url_path: As given.

    Example:
        >>> from binance_options_ws.dialects import nbstream
        >>> state = ConnectionState(combined=True, dialect=nbstream.DIALECT)
        >>> state.handle('{"method": "SUBSCRIBE", "params": ["BTCUSDT@index"], "id": 1}')[1]
        {'result': None, 'id': 1}
        >>> state.subscriptions
        ('BTCUSDT@index',)
    """

    def __init__(
        self,
        combined: bool,
        dialect: Dialect,
        streams: Iterable[str] = (),
        url_path: Optional[str] = None,
    ) -> None:
        self.combined = combined
        self.dialect = dialect
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
            >>> from binance_options_ws.dialects import nbstream
            >>> state = ConnectionState(combined=False, dialect=nbstream.DIALECT)
            >>> state.handle('{"method": "LIST_SUBSCRIPTIONS"}')[1]
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
        method, params = self._read(text, request)
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
            self._set_property(params)
            return None
        # GET_PROPERTY
        if len(params) > 1:
            _fail(2, "Invalid request: too many parameters")
        self._check_property(params)
        return self.combined

    def _read(self, text: str, request: Any) -> Tuple[str, List[Any]]:
        """The method and params of a request, checked key by key in the order sent."""
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
        return request["method"], request.get("params") or []

    def _set_property(self, params: List[Any]) -> None:
        if len(params) > 2:
            _fail(2, "Invalid request: too many parameters")
        self._check_property(params)
        value = params[1] if len(params) > 1 else None
        if not isinstance(value, bool):
            _fail(1, "Invalid value type: expected Boolean")
        self.combined = value

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
            if stream_name_error(name, self.dialect) is not None:
                _fail(2, f"Invalid request: invalid stream name `{name}`")
            problem = wrong_path_error(name, self.dialect, self.url_path)
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
