"""Endpoint dialects: one module per endpoint, each owning its whole grammar.

* :mod:`~binance_options_ws.dialects.nbstream`: the original endpoint;
* :mod:`~binance_options_ws.dialects.fstream`: the 2026 endpoint;
* :mod:`~binance_options_ws.dialects.base`: the :class:`Dialect` interface they
  share, with :class:`StreamKind` and :class:`StreamName`.

:mod:`binance_options_ws.endpoints` is the registry that names them; to teach the
library a new endpoint, subclass :class:`Dialect` and register an instance there.
"""

from __future__ import annotations

from .base import Dialect, StreamKind, StreamName

__all__ = ["Dialect", "StreamKind", "StreamName"]
