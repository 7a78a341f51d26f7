"""A fake Binance options exchange for tests, examples and offline demos.

:class:`FakeExchange` is a real WebSocket server on 127.0.0.1 that speaks the
options stream protocol (paths, control messages, limits, pings) of both
endpoints, the documented nbstream one (``/ws``, ``/stream``) and the 2026
fstream one (the same under ``/public`` and ``/market``), serves the REST order
book ``GET /eapi/v1/depth``, and can inject every fault a client must survive.
:class:`SyntheticMarket` generates plausible data for every stream of both;
attach one with ``FakeExchange(market=True)``. Any other endpoint registered with
:func:`binance_options_ws.endpoints.register` is served too, under its own
paths; the market renders it once a renderer is registered for its dialect
(:func:`binance_options_ws.testing.renderers.register_renderer`).

Inside: :mod:`~binance_options_ws.testing.simulation` is the market's state and
its evolution, free of any wire format; :mod:`~binance_options_ws.testing.renderers`
writes it as each dialect's payloads; :mod:`~binance_options_ws.testing.market`
joins them behind :class:`SyntheticMarket`; :mod:`~binance_options_ws.testing.server`
is the server, with its routes, control messages, fault injection and runtime in
private modules beside it.

Needs the ``testing`` extra (``pip install binance-options-ws[testing]``), which
brings the ``websockets`` library. Nothing is imported until a name is used, so
``import binance_options_ws.testing`` (and the pytest plugin) work without it.

Example:
    >>> from binance_options_ws.testing import FakeExchange
    >>> with FakeExchange(market=True) as exchange:
    ...     exchange.url.startswith("ws://127.0.0.1:")
    True
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .._extras import TESTING_EXTRA

if TYPE_CHECKING:
    from .market import SyntheticMarket
    from .server import ConnectionInfo, ControlMessage, FakeExchange, IncomingFrame, MarketFeed
    from .waiting import wait_for

__all__ = [
    "ConnectionInfo",
    "ControlMessage",
    "FakeExchange",
    "IncomingFrame",
    "MarketFeed",
    "SyntheticMarket",
    "wait_for",
]

# Where each public name lives. server.py needs websockets; market.py does not.
_HOMES = {
    "ConnectionInfo": ".server",
    "ControlMessage": ".server",
    "FakeExchange": ".server",
    "IncomingFrame": ".server",
    "MarketFeed": ".server",
    "SyntheticMarket": ".market",
    "wait_for": ".waiting",
}


def __getattr__(name: str) -> Any:
    """Import the public names on first use (PEP 562)."""
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    try:
        module = importlib.import_module(home, __name__)
    except ModuleNotFoundError as exc:
        if (exc.name or "").split(".")[0] != "websockets":
            raise
        raise ModuleNotFoundError(
            f"binance_options_ws.testing.{name} needs the 'testing' extra: {TESTING_EXTRA}",
            name=exc.name,
        ) from exc
    value = getattr(module, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
