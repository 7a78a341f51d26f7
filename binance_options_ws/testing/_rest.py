"""The fake exchange's one REST route, free of I/O: ``GET /eapi/v1/depth``.

:func:`answer` turns a request target such as
``/eapi/v1/depth?symbol=BTC-261225-100000-C&limit=10`` into an HTTP status and a
JSON-ready body, asking the market for the book. Errors are shaped like
Binance's REST errors (``{"code": -1121, "msg": "Invalid symbol."}``).

This module is pure: no sockets, threads or clocks. The server in
:mod:`binance_options_ws.testing.server` sends the answer over plain HTTP.
"""

from __future__ import annotations

from typing import Any, Dict, List, Sequence, Tuple
from urllib.parse import parse_qsl, urlsplit

__all__ = [
    "DEFAULT_DEPTH_LIMIT",
    "DEPTH_LIMITS",
    "DEPTH_PATH",
    "REST_PREFIX",
    "answer",
    "depth_body",
]

#: Every request target under this prefix is answered as REST, never as a WebSocket.
REST_PREFIX = "/eapi/"
#: The order book route.
DEPTH_PATH = "/eapi/v1/depth"
#: The ``limit`` values the route accepts, and the default.
DEPTH_LIMITS = (10, 20, 50, 100, 500, 1000)
DEFAULT_DEPTH_LIMIT = 100

#: ``(status, body)``: what to send back.
Answer = Tuple[int, Any]

_BAD_SYMBOL: Answer = (400, {"code": -1121, "msg": "Invalid symbol."})


def depth_body(
    bids: Sequence[Sequence[str]], asks: Sequence[Sequence[str]], time_ms: int, update_id: int
) -> Dict[str, object]:
    """The body of a ``GET /eapi/v1/depth`` answer.

    Args:
        bids: ``[["price", "qty"], ...]``, best first.
        asks: The same for the asks.
        time_ms: When the book last changed (``T``).
        update_id: The book's update id (``lastUpdateId``).

    Example:
        >>> depth_body([["5", "1"]], [], 7, 3)
        {'bids': [['5', '1']], 'asks': [], 'T': 7, 'lastUpdateId': 3}
    """
    return {"bids": bids, "asks": asks, "T": time_ms, "lastUpdateId": update_id}


def _error(status: int, code: int, msg: str) -> Answer:
    return status, {"code": code, "msg": msg}


def answer(target: str, market: Any, now_ms: int) -> Answer:
    """Answer one REST request.

    Args:
        target: The request target with its query string.
        market: The exchange's market, or None. The book comes from its
            ``depth_snapshot(symbol, limit, now_ms)`` method, which raises
            ``ValueError`` for a symbol it does not list; a market without that
            method lists nothing.
        now_ms: The clock, in milliseconds since the epoch.

    Returns:
        ``(status, body)``: 200 and the book, or 400 (404 for an unknown route)
        and a Binance-style error.

    Example:
        >>> answer("/eapi/v1/depth?symbol=BTC-261225-100000-C", None, 0)
        (400, {'code': -1121, 'msg': 'Invalid symbol.'})
    """
    parts = urlsplit(target)
    if parts.path != DEPTH_PATH:
        return _error(
            404, -1000, f"Unknown route GET {parts.path}: the fake exchange serves {DEPTH_PATH}"
        )
    params: Dict[str, List[str]] = {}
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        params.setdefault(key, []).append(value)
    if any(len(values) > 1 for values in params.values()):
        return _error(400, -1101, "Duplicate values for a parameter detected.")
    symbol = params.get("symbol", [""])[0]
    if not symbol:
        return _error(
            400, -1102, "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed."
        )
    limit_text = params.get("limit", [str(DEFAULT_DEPTH_LIMIT)])[0]
    limit = int(limit_text) if limit_text.isdigit() else -1
    if limit not in DEPTH_LIMITS:
        legal = ", ".join(map(str, DEPTH_LIMITS))
        return _error(
            400,
            -1100,
            f"Illegal characters found in parameter 'limit'; legal range is '{legal}'.",
        )
    snapshot = getattr(market, "depth_snapshot", None)
    if snapshot is None:
        return _BAD_SYMBOL
    try:
        return 200, snapshot(symbol, limit, now_ms)
    except ValueError:
        return _BAD_SYMBOL
