"""The fake exchange's REST routes, free of I/O: the look-ups the library makes.

:func:`answer` turns a request target into an HTTP status and a JSON-ready body:

* ``GET /eapi/v1/depth?symbol=BTC-261225-100000-C&limit=10``: the market's book;
* ``GET /eapi/v1/exchangeInfo``: every option the market lists, with the filters,
  scales and terms Binance's answer has (:func:`option_symbol` writes one);
* ``GET /eapi/v1/time`` (``{"serverTime": ms}``) and ``GET /eapi/v1/ping`` (``{}``).

Errors are shaped like Binance's REST errors (``{"code": -1121, "msg": "Invalid
symbol."}``).

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
    "EXCHANGE_INFO_PATH",
    "PING_PATH",
    "REST_PREFIX",
    "TIME_PATH",
    "answer",
    "depth_body",
    "exchange_info_body",
    "option_symbol",
]

#: Every request target under this prefix is answered as REST, never as a WebSocket.
REST_PREFIX = "/eapi/"
#: The order book route.
DEPTH_PATH = "/eapi/v1/depth"
#: The listing route.
EXCHANGE_INFO_PATH = "/eapi/v1/exchangeInfo"
#: The clock and the liveness routes.
TIME_PATH = "/eapi/v1/time"
PING_PATH = "/eapi/v1/ping"
_ROUTES = (DEPTH_PATH, EXCHANGE_INFO_PATH, TIME_PATH, PING_PATH)
# Binance's answer carries these limits (REST docs, "Exchange Information").
_RATE_LIMITS = [
    {"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1, "limit": 6000},
    {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10, "limit": 1200},
    {"rateLimitType": "ORDERS", "interval": "MINUTE", "intervalNum": 1, "limit": 2400},
]
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


def option_symbol(
    number: int,
    name: str,
    asset: str,
    expiry_ms: int,
    strike: str,
    is_call: bool,
    tick: str,
    lot: str,
    price_scale: int,
    quantity_scale: int,
) -> Dict[str, object]:
    """One entry of ``optionSymbols`` in ``GET /eapi/v1/exchangeInfo``, as Binance writes it.

    Args:
        number: The entry's ``id``.
        name: The symbol, e.g. ``"BTC-261225-100000-C"``.
        asset: The base asset, e.g. ``"BTC"``.
        expiry_ms: The expiry instant (``expiryDate``).
        strike: The strike as text, e.g. ``"100000"``.
        is_call: A call (else a put).
        tick: The price tick as text (``tickSize``, and the lowest price).
        lot: The lot size as text (``stepSize`` and ``minQty``).
        price_scale: Decimals of the prices (``priceScale``).
        quantity_scale: Decimals of the quantities (``quantityScale``).

    Example:
        >>> entry = option_symbol(1, "BTC-261225-100000-C", "BTC", 0, "100000", True,
        ...                       "5", "0.01", 3, 2)
        >>> entry["strikePrice"], entry["filters"][0]["tickSize"], entry["side"]
        ('100000.00000000', '5.000', 'CALL')
    """
    tick_text = f"{float(tick):.{price_scale}f}"
    return {
        "id": number,
        "expiryDate": expiry_ms,
        "filters": [
            {
                "filterType": "PRICE_FILTER",
                "minPrice": tick_text,
                "maxPrice": f"{float(tick) * 100_000:.{price_scale}f}",
                "tickSize": tick_text,
            },
            {"filterType": "LOT_SIZE", "minQty": lot, "maxQty": "10000", "stepSize": lot},
        ],
        "symbol": name,
        "side": "CALL" if is_call else "PUT",
        "strikePrice": f"{float(strike):.8f}",
        "underlying": f"{asset}USDT",
        "unit": 1,
        "minQty": lot,
        "maxQty": "10000",
        "initialMargin": "0.15000000",
        "maintenanceMargin": "0.07500000",
        "minInitialMargin": "0.10000000",
        "minMaintenanceMargin": "0.05000000",
        "priceScale": price_scale,
        "quantityScale": quantity_scale,
        "quoteAsset": "USDT",
        "status": "TRADING",
        "contractType": "CRYPTO_OPTIONS",
        "underlyingType": "CRYPTO",
        "nakedSell": True,
    }


def exchange_info_body(
    server_time: int, assets: Sequence[str], symbols: Sequence[Dict[str, object]]
) -> Dict[str, object]:
    """The body of ``GET /eapi/v1/exchangeInfo``: contracts, assets, symbols, limits.

    Example:
        >>> sorted(exchange_info_body(0, ["BTC"], []))
        ['optionAssets', 'optionContracts', 'optionSymbols', 'rateLimits', 'serverTime', 'timezone']
    """
    return {
        "timezone": "UTC",
        "serverTime": server_time,
        "optionContracts": [
            {
                "id": number,
                "baseAsset": asset,
                "quoteAsset": "USDT",
                "underlying": f"{asset}USDT",
                "settleAsset": "USDT",
            }
            for number, asset in enumerate(assets, 1)
        ],
        "optionAssets": [{"id": 1, "name": "USDT"}],
        "optionSymbols": list(symbols),
        "rateLimits": _RATE_LIMITS,
    }


def _error(status: int, code: int, msg: str) -> Answer:
    return status, {"code": code, "msg": msg}


def answer(target: str, market: Any, now_ms: int) -> Answer:
    """Answer one REST request.

    Args:
        target: The request target with its query string.
        market: The exchange's market, or None. The book comes from its
            ``depth_snapshot(symbol, limit, now_ms)`` method, which raises
            ``ValueError`` for a symbol it does not list, and the listing from its
            ``exchange_info(now_ms)``; a market without them lists nothing.
        now_ms: The clock, in milliseconds since the epoch.

    Returns:
        ``(status, body)``: 200 and the answer, or 400 (404 for an unknown route)
        and a Binance-style error.

    Example:
        >>> answer("/eapi/v1/depth?symbol=BTC-261225-100000-C", None, 0)
        (400, {'code': -1121, 'msg': 'Invalid symbol.'})
    """
    parts = urlsplit(target)
    if parts.path not in _ROUTES:
        return _error(
            404,
            -1000,
            f"Unknown route GET {parts.path}: the fake exchange serves {', '.join(_ROUTES)}",
        )
    if parts.path == PING_PATH:
        return 200, {}
    if parts.path == TIME_PATH:
        return 200, {"serverTime": now_ms}
    if parts.path == EXCHANGE_INFO_PATH:
        listing = getattr(market, "exchange_info", None)
        if listing is None:
            return 200, exchange_info_body(now_ms, [], [])
        return 200, listing(now_ms)
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
