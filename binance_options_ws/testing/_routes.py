"""Which endpoint dialect serves a handshake path or a stream name, free of I/O.

The fake exchange serves every dialect registered in
:data:`binance_options_ws.endpoints.ENDPOINTS`, read when a connection opens, so
a dialect registered later (a test's toy one) is served too:

* a dialect whose paths are non-empty strings (fstream's ``("public", "market")``)
  at ``/<path>/ws`` and ``/<path>/stream``, each path carrying the streams its
  ``route`` gives;
* the one whose paths are ``("",)`` (nbstream) at ``/ws`` and ``/stream``.

:func:`parse_route` reads a handshake path; :func:`stream_name_error` and
:func:`wrong_path_error` check a name against a connection's dialect and path;
:func:`dialect_of` tells whose exact spelling a name is.

This module is pure: no sockets, threads or clocks.
"""

from __future__ import annotations

from typing import Dict, List, Optional, Tuple
from urllib.parse import parse_qsl, unquote, urlsplit

import attrs

from ..dialects import Dialect
from ..endpoints import ENDPOINTS
from ..exceptions import InvalidStreamError

__all__ = [
    "Route",
    "RouteError",
    "dialect_of",
    "parse_route",
    "stream_name_error",
    "wrong_path_error",
]

_SPELLINGS_KEPT = 4096  # names whose dialect is remembered


@attrs.frozen
class Route:
    """What a handshake path asks for.

    Attributes:
        combined: True for ``/stream`` (combined payloads), False for ``/ws`` (raw).
        streams: The streams named in the path, in order, without duplicates.
        dialect: The dialect of the endpoint the path belongs to.
        url_path: The dialect's path (``"public"``, ``"market"``), or None for a
            single-path dialect.
    """

    combined: bool
    streams: Tuple[str, ...]
    dialect: Dialect
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


def stream_name_error(name: str, dialect: Dialect) -> Optional[str]:
    """Why ``name`` can never be a stream of ``dialect``, or None when it can.

    Names are checked with the dialect's ``parse_stream``, which accepts any
    case: a name in the wrong case passes here even though the exchange
    publishes nothing under it.

    Example:
        >>> from binance_options_ws.dialects import fstream, nbstream
        >>> stream_name_error("BTCUSDT@index", nbstream.DIALECT) is None
        True
        >>> stream_name_error("BTCUSDT@index", fstream.DIALECT) is None
        False
    """
    try:
        dialect.parse_stream(name)
    except InvalidStreamError as exc:
        return str(exc)
    return None


def wrong_path_error(name: str, dialect: Dialect, url_path: Optional[str]) -> Optional[str]:
    """Why a valid ``name`` cannot be served on ``/<url_path>``, or None.

    Example:
        >>> from binance_options_ws.dialects import fstream
        >>> wrong_path_error("!index@arr", fstream.DIALECT, "public")
        'stream `!index@arr` is served on /market, not /public'
    """
    if url_path is None:
        return None
    served = dialect.route(dialect.parse_stream(name))
    if served == url_path:
        return None
    return f"stream `{name}` is served on /{served}, not /{url_path}"


class _Spellings:
    """Whose exact spelling each name is, remembered while the registry stays the same."""

    def __init__(self) -> None:
        self._dialects: Tuple[Dialect, ...] = ()
        self._names: Dict[str, Optional[Dialect]] = {}

    def dialect_of(self, name: str) -> Optional[Dialect]:
        dialects = tuple(ENDPOINTS.values())
        if dialects != self._dialects or len(self._names) > _SPELLINGS_KEPT:
            self._dialects, self._names = dialects, {}
        try:
            return self._names[name]
        except KeyError:
            pass
        found = None
        for dialect in dialects:
            try:
                if dialect.parse_stream(name).name == name:
                    found = dialect
                    break
            except InvalidStreamError:
                pass
        self._names[name] = found
        return found


_SPELLINGS = _Spellings()


def dialect_of(name: str) -> Optional[Dialect]:
    """The registered dialect whose exact spelling ``name`` is (the first such), or None.

    Every ``parse_stream`` accepts any case, so a name belongs to the dialect whose
    canonical form it is: ``BTC-261225-100000-C@kline_1m`` to nbstream,
    ``btc-261225-100000-c@kline_1m`` to fstream.

    Example:
        >>> dialect_of("BTCUSDT@index").name, dialect_of("!index@arr").name
        ('nbstream', 'fstream')
    """
    return _SPELLINGS.dialect_of(name)


def _endpoint_of(path: str) -> Tuple[Optional[Dialect], Optional[str], str]:
    """The dialect a request path belongs to, its URL path, and the rest of the path."""
    single: Optional[Dialect] = None
    for dialect in ENDPOINTS.values():
        for url_path in dialect.paths:
            if not url_path:
                single = single or dialect
            elif path.startswith(f"/{url_path}/"):
                return dialect, url_path, path[len(url_path) + 1 :]
    return single, None, path


def _unknown_path(path: str) -> RouteError:
    prefixes = [f"/{p}" for dialect in ENDPOINTS.values() for p in dialect.paths if p]
    under = f", or the same under {' or '.join(dict.fromkeys(prefixes))}" if prefixes else ""
    return RouteError(
        404, f"Unknown path {path!r}: use /ws, /ws/<stream> or /stream?streams=<a>/<b>{under}"
    )


def parse_route(path: str, max_streams: Optional[int] = None) -> Route:
    """Read a handshake path such as ``/ws/BTCUSDT@index`` or ``/market/stream?streams=a/b``.

    Accepted: ``/ws``, ``/ws/`` and ``/ws/<stream>`` (raw payloads) and ``/stream``,
    ``/stream/`` and ``/stream?streams=<a>/<b>`` (combined payloads), for the
    single-path dialect; the same under ``/<path>`` for each path of the other
    registered dialects, whose streams must be served on that path. Names may
    be percent-encoded; empty names between slashes are skipped.

    Args:
        path: The request target, with its query string.
        max_streams: The most streams one connection may name, or None for no limit.

    Returns:
        The parsed :class:`Route`.

    Raises:
        RouteError: 404 for any other path; 400 for a name that is not a stream of
            the path's dialect, a stream of another of its paths, or more than
            ``max_streams`` names.

    Example:
        >>> parse_route("/stream?streams=BTCUSDT@index/ETHUSDT@index").streams
        ('BTCUSDT@index', 'ETHUSDT@index')
        >>> parse_route("/market/ws/!index@arr").url_path
        'market'
    """
    parts = urlsplit(path)
    dialect, url_path, rest = _endpoint_of(parts.path)
    names: List[str] = []
    if dialect is None:
        raise _unknown_path(parts.path)
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
        raise _unknown_path(parts.path)
    for name in names:
        problem = stream_name_error(name, dialect) or wrong_path_error(name, dialect, url_path)
        if problem is not None:
            raise RouteError(400, f"Invalid stream name {name!r}: {problem}")
    unique = tuple(dict.fromkeys(names))
    if max_streams is not None and len(unique) > max_streams:
        raise RouteError(
            400, f"Too many streams: {len(unique)} requested, at most {max_streams} allowed"
        )
    return Route(combined, unique, dialect, url_path)
